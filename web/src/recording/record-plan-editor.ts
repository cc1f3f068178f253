import type { RecordPlanDto, RecordPlanMode, RecordScheduleRangeDto } from '@gb/contracts';
import { api, ApiError, messageOf } from '../api';
import { h, toast } from '../dom';
import { t } from '../i18n';
import { formatDayRanges, parseDayRanges } from './day-ranges';

const DAYS = [1, 2, 3, 4, 5, 6, 0] as const;

/**
 * The record plan of a channel (admins): mode (always, weekly schedule, events), the schedule per weekday as
 * "08:00-18:00" ranges, the events (device alarm, congestion alert) with pre/post seconds, enabled; its state.
 */
export function mountRecordPlanEditor(channelId: string, deviceId: string, editable: boolean): HTMLElement {
  const mode = h('select', { 'data-field': 'plan-mode', disabled: !editable }, (['none', 'always', 'schedule', 'events'] as const).map((m) => h('option', { value: m }, t(`plan.mode.${m}`))));
  const enabled = h('input', { type: 'checkbox', checked: true, 'data-field': 'plan-enabled', disabled: !editable });
  const dayInputs = new Map<number, HTMLInputElement>(DAYS.map((d) => [d, h('input', { type: 'text', placeholder: '08:00-18:00', 'data-day': d, disabled: !editable })]));
  const onAlarm = h('input', { type: 'checkbox', 'data-field': 'plan-alarm', disabled: !editable });
  const onCongestion = h('input', { type: 'checkbox', 'data-field': 'plan-congestion', disabled: !editable });
  const pre = h('input', { type: 'number', min: 0, max: 300, value: 10, 'data-field': 'plan-pre', disabled: !editable });
  const post = h('input', { type: 'number', min: 0, max: 3600, value: 30, 'data-field': 'plan-post', disabled: !editable });
  const state = h('span', { class: 'muted', 'data-field': 'plan-state' });
  const schedBox = h('div', { class: 'plan-schedule' }, ...DAYS.map((d) => h('label', {}, t(`plan.day.${d}`), ' ', dayInputs.get(d)!)));
  const eventsBox = h('div', { class: 'row' }, h('label', {}, onAlarm, ' ', t('plan.onAlarm')), h('label', {}, onCongestion, ' ', t('plan.onCongestion')), h('label', {}, t('plan.pre'), ' ', pre), h('label', {}, t('plan.post'), ' ', post));
  const save = h('button', { class: 'primary', 'data-action': 'plan-save', hidden: !editable }, t('plan.save'));

  const show = () => {
    schedBox.hidden = mode.value !== 'schedule';
    eventsBox.hidden = mode.value !== 'events';
  };
  const render = (p: RecordPlanDto | null) => {
    mode.value = p?.mode ?? 'none';
    enabled.checked = p?.enabled ?? true;
    for (const [d, input] of dayInputs) input.value = formatDayRanges((p?.schedule ?? []).filter((r) => r.day === d));
    onAlarm.checked = p?.onAlarm ?? false;
    onCongestion.checked = p?.onCongestion ?? false;
    if (p) (pre.value = String(p.preSeconds)), (post.value = String(p.postSeconds));
    state.textContent = p ? t(`plan.state.${p.status.state}`) + (p.status.cause ? ` · ${p.status.cause}` : '') : t('plan.state.none');
    show();
  };
  const load = async () => {
    try {
      render(await api<RecordPlanDto>('GET', `/api/channels/${channelId}/record-plan`));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) render(null);
      else state.textContent = messageOf(e);
    }
  };
  save.onclick = async () => {
    try {
      if (mode.value === 'none') {
        await api('DELETE', `/api/channels/${channelId}/record-plan`).catch((e: unknown) => {
          if (!(e instanceof ApiError && e.status === 404)) throw e;
        });
        render(null);
        return toast(t('plan.saved'));
      }
      const schedule: RecordScheduleRangeDto[] = [];
      for (const [d, input] of dayInputs) {
        const r = parseDayRanges(input.value);
        if (r === null) return toast(t('plan.badRanges', { value: input.value }), 'error');
        schedule.push(...r.map((x) => ({ day: d, ...x })));
      }
      const body = {
        deviceId, mode: mode.value as RecordPlanMode, enabled: enabled.checked, schedule, onAlarm: onAlarm.checked, onCongestion: onCongestion.checked,
        preSeconds: Number(pre.value), postSeconds: Number(post.value),
      };
      render(await api<RecordPlanDto>('PUT', `/api/channels/${channelId}/record-plan`, body));
      toast(t('plan.saved'));
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };
  mode.onchange = show;
  void load();
  return h('fieldset', { class: 'record-plan', 'data-field': 'record-plan' },
    h('legend', {}, t('plan.title')),
    h('div', { class: 'row' }, h('label', {}, t('plan.mode'), ' ', mode), h('label', {}, enabled, ' ', t('plan.enabled')), state, save),
    schedBox,
    eventsBox,
  );
}
