import type { DeviceBasicConfigDto, DeviceDto } from '@gb/contracts';
import { api, messageOf } from '../api';
import { h, toast } from '../dom';
import { t, type MessageKey } from '../i18n';
import { can } from '../session-role';

/**
 * A device's controls (GB/T 28181 §A.2.3.1, §A.2.4.7): record start / stop, a keyframe now, reboot (admins) and its
 * BasicParam read from the device (ConfigDownload) and set (DeviceConfig, admins).
 */
type ConfigKey = 'name' | 'expirationS' | 'heartbeatIntervalS' | 'heartbeatCount';

export function openDeviceControl(dialog: HTMLDialogElement, d: DeviceDto): void {
  const fail = (e: unknown) => toast(t('deviceControl.error', { message: messageOf(e) }), 'error');
  const send = (body: Record<string, unknown>, done: string) => api('POST', `/api/devices/${d.deviceId}/control`, body).then(() => toast(done), fail);
  const field = (key: ConfigKey, type: string, attrs: Record<string, string> = {}) =>
    h('input', { type, name: key, 'aria-label': t(`deviceControl.${key}` as MessageKey), 'data-field': key, ...attrs }) as HTMLInputElement;
  const name = field('name', 'text', { maxlength: '64' });
  const expirationS = field('expirationS', 'number', { min: '60', max: '86400' });
  const heartbeatIntervalS = field('heartbeatIntervalS', 'number', { min: '5', max: '3600' });
  const heartbeatCount = field('heartbeatCount', 'number', { min: '1', max: '100' });
  const admin = can('deviceEdit');
  for (const i of [name, expirationS, heartbeatIntervalS, heartbeatCount]) i.disabled = !admin;
  const show = (c: DeviceBasicConfigDto) => {
    name.value = c.name ?? '';
    expirationS.value = c.expirationS === null ? '' : String(c.expirationS);
    heartbeatIntervalS.value = c.heartbeatIntervalS === null ? '' : String(c.heartbeatIntervalS);
    heartbeatCount.value = c.heartbeatCount === null ? '' : String(c.heartbeatCount);
  };
  const read = () => api<DeviceBasicConfigDto>('GET', `/api/devices/${d.deviceId}/config`).then(show, fail);
  const write = async () => {
    const body: Record<string, unknown> = {};
    if (name.value.trim()) body.name = name.value.trim();
    for (const [k, i] of [['expirationS', expirationS], ['heartbeatIntervalS', heartbeatIntervalS], ['heartbeatCount', heartbeatCount]] as const) if (i.value) body[k] = Number(i.value);
    try {
      show(await api<DeviceBasicConfigDto>('PUT', `/api/devices/${d.deviceId}/config`, body));
      toast(t('deviceControl.configSaved'));
    } catch (e) {
      fail(e);
    }
  };
  const reboot = () => {
    if (!confirm(t('deviceControl.confirmReboot', { label: d.name ? `${d.deviceId} (${d.name})` : d.deviceId }))) return;
    void api('POST', `/api/devices/${d.deviceId}/reboot`, {}).then(() => toast(t('deviceControl.rebooting')), fail);
  };
  const label = (key: ConfigKey, input: HTMLElement) => h('label', {}, t(`deviceControl.${key}` as MessageKey), input);
  dialog.replaceChildren(
    h('div', { class: 'device-control', 'data-field': 'device-control' },
      h('h3', {}, t('deviceControl.title', { id: d.deviceId })),
      h('div', { class: 'toolbar' },
        h('button', { onclick: () => void send({ command: 'record' }, t('deviceControl.recording')) }, t('deviceControl.record')),
        h('button', { onclick: () => void send({ command: 'stopRecord' }, t('deviceControl.recordStopped')) }, t('deviceControl.stopRecord')),
        h('button', { onclick: () => void send({ command: 'keyframe' }, t('deviceControl.keyframeSent')) }, t('deviceControl.keyframe')),
        admin && h('button', { class: 'danger', onclick: reboot }, t('deviceControl.reboot')),
      ),
      h('h4', {}, t('deviceControl.config')),
      label('name', name), label('expirationS', expirationS), label('heartbeatIntervalS', heartbeatIntervalS), label('heartbeatCount', heartbeatCount),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', onclick: () => void read() }, t('deviceControl.readConfig')),
        admin && h('button', { type: 'button', class: 'primary', onclick: () => void write() }, t('deviceControl.writeConfig')),
        h('button', { type: 'button', onclick: () => dialog.close() }, t('common.close')),
      ),
    ),
  );
  dialog.showModal();
  void read();
}
