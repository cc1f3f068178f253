import type { ChannelPageDto } from '@gb/contracts';
import { api, ApiError, messageOf } from '../api';
import type { PlatformDto } from '../api-types';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { localTime } from '../format';
import { t, type MessageKey } from '../i18n';
import {
  addressOf,
  causeWords,
  formValuesOf,
  invalidWords,
  pickerRows,
  PLATFORM_CHARSETS,
  PLATFORM_FIELDS,
  PLATFORM_TRANSPORTS,
  platformBody,
  problemsOf,
  sharedLabel,
  showsCause,
  superiorOf,
  type PickerChannel,
  type PlatformField,
  type PlatformFormValues,
} from '../platforms/platform-form';
import { can } from '../session-role';

/** The gateway pushes no event for a registration's state: the list is asked again this often. */
export const PLATFORM_REFRESH_MS = 3000;
/** Channels the picker loads (pages of GET /api/channels) and rows it draws at once (the search narrows the rest). */
const PICKER_PAGE = 5000;
const MAX_PICKER_CHANNELS = 20_000;
const PICKER_ROWS = 300;

const STATE_CLASS: Record<PlatformDto['state'], string> = { online: 'state running', failed: 'state error', registering: 'state pending', disabled: 'muted' };

/**
 * Superior platforms (cascade, docs/cascade.md): the list with each registration's state, its cause in words,
 * last keepalive and shared channels, refreshed every PLATFORM_REFRESH_MS; admins add, edit, enable/disable and
 * delete (everyone else reads).
 */
export function mountPlatforms(root: HTMLElement, _ctx: AppContext): () => void {
  const editable = can('platformEdit');
  const rows = new Map<string, { p: PlatformDto; key: string; tr: HTMLTableRowElement }>();
  const tbody = h('tbody');
  const summary = h('span', { class: 'muted', 'data-field': 'summary' });
  const empty = h('p', { class: 'muted empty-note', 'data-field': 'platforms-empty' }, t('platforms.empty'));
  const listError = h('p', { class: 'error', role: 'alert', 'data-field': 'platforms-error' });
  const dialog = h('dialog', { class: 'card platform-dialog' });

  const renderRow = (p: PlatformDto): HTMLTableRowElement => {
    const cause = showsCause(p) ? causeWords(p.cause) : null;
    const toggle = editable
      ? h('input', { type: 'checkbox', checked: p.enabled, 'data-action': 'toggle-enabled', 'aria-label': t('platforms.colEnabled') })
      : null;
    toggle?.addEventListener('change', () => void setEnabled(p, toggle.checked, toggle));
    return h(
      'tr',
      { 'data-platform-id': p.id, 'data-state': p.state, class: p.enabled ? '' : 'offline' },
      h(
        'td',
        { class: 'platform-state' },
        h('span', { class: `tag ${STATE_CLASS[p.state]}`, 'data-field': 'state', title: p.stateAt ? t('platforms.since', { time: localTime(p.stateAt) }) : null }, t(`platformState.${p.state}` as MessageKey)),
        cause
          ? h(
              'div',
              { class: 'cause', 'data-field': 'cause', 'data-code': cause.code ?? '' },
              h('span', {}, cause.words),
              cause.detail ? h('span', { class: 'mono muted' }, ` (${cause.detail})`) : null,
            )
          : null,
        p.state === 'failed' && p.nextAttemptAt ? h('div', { class: 'muted small', 'data-field': 'next-attempt' }, t('platforms.nextAttempt', { time: localTime(p.nextAttemptAt) })) : null,
      ),
      h('td', { 'data-field': 'name' }, p.name),
      h('td', { class: 'mono', 'data-field': 'superior' }, superiorOf(p)),
      h('td', { class: 'mono', 'data-field': 'address' }, addressOf(p)),
      h('td', { class: 'mono', 'data-field': 'local-id' }, p.localId),
      h('td', { class: 'num', 'data-field': 'shared' }, sharedLabel(p)),
      h('td', { 'data-field': 'keepalive' }, p.lastKeepaliveAt ? localTime(p.lastKeepaliveAt) : t('time.never')),
      h('td', { 'data-field': 'enabled' }, toggle ?? (p.enabled ? t('platforms.enabledOn') : t('platforms.enabledOff'))),
      h(
        'td',
        {},
        editable &&
          h(
            'span',
            { class: 'actions' },
            h('button', { 'data-action': 'edit', onclick: () => openForm(p) }, t('common.edit')),
            h('button', { class: 'danger', 'data-action': 'delete', onclick: () => void remove(p) }, t('common.delete')),
          ),
      ),
    );
  };

  const upsert = (p: PlatformDto) => {
    const key = JSON.stringify(p);
    const old = rows.get(p.id);
    if (old?.key === key) return;
    const tr = renderRow(p);
    if (old) old.tr.replaceWith(tr);
    else tbody.append(tr);
    rows.set(p.id, { p, key, tr });
  };

  const drop = (id: string) => {
    rows.get(id)?.tr.remove();
    rows.delete(id);
  };

  const refreshSummary = () => {
    const all = [...rows.values()].map((r) => r.p);
    summary.textContent = t('platforms.summary', { online: all.filter((p) => p.state === 'online').length, total: all.length });
    empty.hidden = all.length > 0;
  };

  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const list = await api<PlatformDto[]>('GET', '/api/platforms');
      const seen = new Set(list.map((p) => p.id));
      for (const id of [...rows.keys()]) if (!seen.has(id)) drop(id);
      for (const p of list) upsert(p);
      listError.textContent = '';
    } catch (e) {
      listError.textContent = messageOf(e);
    } finally {
      loading = false;
      refreshSummary();
    }
  };

  const setEnabled = async (p: PlatformDto, enabled: boolean, box: HTMLInputElement) => {
    box.disabled = true;
    try {
      upsert(await api<PlatformDto>('PATCH', `/api/platforms/${encodeURIComponent(p.id)}`, { enabled }));
      toast(t(enabled ? 'platforms.enabledNow' : 'platforms.disabledNow', { name: p.name }));
    } catch (e) {
      box.checked = !enabled;
      toast(messageOf(e), 'error');
    } finally {
      box.disabled = false;
      refreshSummary();
    }
  };

  const remove = async (p: PlatformDto) => {
    if (!confirm(t('platforms.confirmDelete', { name: p.name }))) return;
    try {
      await api('DELETE', `/api/platforms/${encodeURIComponent(p.id)}`);
      drop(p.id);
      toast(t('platforms.deleted', { name: p.name }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) drop(p.id);
      toast(messageOf(e), 'error');
    } finally {
      refreshSummary();
    }
  };

  /** The add (no `p`) or edit dialog: every setting, the shared channels, errors at their fields. */
  const openForm = (p?: PlatformDto) => {
    const v = formValuesOf(p);
    const errorAt = new Map<PlatformField, HTMLElement>();
    const field = (f: PlatformField, label: string, input: HTMLElement, hint?: string) => {
      const err = h('small', { class: 'error', 'data-error-for': f, role: 'alert' });
      errorAt.set(f, err);
      return h('label', { 'data-field-for': f }, label, input, hint ? h('small', { class: 'muted' }, hint) : null, err);
    };
    const text = (name: PlatformField, value: string, attrs: Record<string, string | number | boolean> = {}) => h('input', { name, value, autocomplete: 'off', ...attrs });
    const name = text('name', v.name, { maxlength: 64 });
    const serverId = text('serverId', v.serverId, { class: 'mono', maxlength: 20, inputmode: 'numeric', placeholder: '34020000002000000001' });
    const domain = text('domain', v.domain, { class: 'mono', maxlength: 64, placeholder: '3402000000' });
    const host = text('host', v.host, { class: 'mono', maxlength: 253, placeholder: '192.0.2.10' });
    const port = text('port', v.port, { type: 'number', min: 1, max: 65535 });
    const transport = h('select', { name: 'transport' }, PLATFORM_TRANSPORTS.map((x) => h('option', { value: x, selected: x === v.transport }, x.toUpperCase())));
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', maxlength: 128, placeholder: p ? t('platforms.passwordUnchanged') : '' });
    const localId = text('localId', v.localId, { class: 'mono', maxlength: 20, inputmode: 'numeric', placeholder: t('platforms.localIdDefault') });
    const expiresS = text('expiresS', v.expiresS, { type: 'number', min: 1, max: 86400 });
    const keepaliveS = text('keepaliveS', v.keepaliveS, { type: 'number', min: 1, max: 3600 });
    const charset = h('select', { name: 'charset' }, PLATFORM_CHARSETS.map((c) => h('option', { value: c, selected: c === v.charset }, c)));
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: v.enabled });
    const picker = channelPicker(v.shareAll, v.channels);
    const formError = h('p', { class: 'error', role: 'alert', 'data-field': 'form-error' });
    const save = h('button', { type: 'submit', class: 'primary', 'data-action': 'save' }, p ? t('common.save') : t('platforms.add'));

    const form = h(
      'form',
      { method: 'dialog', class: 'platform-form', novalidate: true },
      h('h2', {}, p ? t('platforms.editTitle', { name: p.name }) : t('platforms.addTitle')),
      h(
        'div',
        { class: 'form-grid' },
        field('name', t('platforms.field.name'), name),
        field('serverId', t('platforms.field.serverId'), serverId),
        field('domain', t('platforms.field.domain'), domain),
        field('host', t('platforms.field.host'), host),
        field('port', t('platforms.field.port'), port),
        field('transport', t('platforms.field.transport'), transport),
        field('password', t('platforms.field.password'), password),
        field('localId', t('platforms.field.localId'), localId),
        field('expiresS', t('platforms.field.expiresS'), expiresS, t('platforms.hint.expiresS')),
        field('keepaliveS', t('platforms.field.keepaliveS'), keepaliveS, t('platforms.hint.keepaliveS')),
        field('charset', t('platforms.field.charset'), charset, t('platforms.hint.charset')),
        h('label', { class: 'inline', 'data-field-for': 'enabled' }, enabled, ' ', t('platforms.field.enabled')),
      ),
      picker.element,
      formError,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('common.cancel')), save),
    );
    errorAt.set('channels', picker.error);

    const show = (fields: Partial<Record<PlatformField, string>>, message: string | null) => {
      for (const f of PLATFORM_FIELDS) errorAt.get(f)?.replaceChildren(fields[f] ?? '');
      formError.textContent = message ?? '';
      const first = PLATFORM_FIELDS.find((f) => fields[f]);
      if (first) form.querySelector<HTMLElement>(`[name=${first}]`)?.focus();
    };

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const values: PlatformFormValues = {
        name: name.value, serverId: serverId.value, domain: domain.value, host: host.value, port: port.value, transport: transport.value, password: password.value,
        localId: localId.value, expiresS: expiresS.value, keepaliveS: keepaliveS.value, charset: charset.value, shareAll: picker.shareAll(), channels: picker.chosen(), enabled: enabled.checked,
      };
      const made = platformBody(values, p);
      if (!made.ok) return show({ [made.field]: invalidWords(made.field) }, t('platforms.fixFields'));
      if (p && !Object.keys(made.body).length) return dialog.close();
      save.disabled = true;
      const call = p ? api<PlatformDto>('PATCH', `/api/platforms/${encodeURIComponent(p.id)}`, made.body) : api<PlatformDto>('POST', '/api/platforms', made.body);
      call
        .then((saved) => {
          upsert(saved);
          refreshSummary();
          dialog.close();
          toast(t(p ? 'platforms.saved' : 'platforms.created', { name: saved.name }));
        })
        .catch((err: unknown) => {
          const problems = err instanceof ApiError ? problemsOf(err, messageOf(err)) : { fields: {}, form: messageOf(err) };
          show(problems.fields, problems.form);
        })
        .finally(() => (save.disabled = false));
    });
    dialog.replaceChildren(form);
    dialog.showModal();
    name.focus();
  };

  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('h1', {}, t('platforms.title')),
    summary,
    h('span', { class: 'grow' }),
    editable ? h('button', { class: 'primary', 'data-action': 'add-platform', onclick: () => openForm() }, t('platforms.add')) : h('span', { class: 'muted', 'data-field': 'read-only' }, t('platforms.readOnly')),
    h('button', { onclick: () => void load() }, t('common.refresh')),
  );
  root.append(
    h(
      'section',
      { class: 'page platforms' },
      toolbar,
      h('p', { class: 'muted intro' }, t('platforms.intro')),
      h(
        'table',
        { class: 'grid platforms' },
        h(
          'thead',
          {},
          h('tr', {}, [t('common.state'), t('common.name'), t('platforms.colSuperior'), t('platforms.colAddress'), t('platforms.colLocalId'), t('platforms.colShared'), t('platforms.colKeepalive'), t('platforms.colEnabled'), ''].map((c) => h('th', {}, c))),
        ),
        tbody,
      ),
      empty,
      listError,
      dialog,
    ),
  );
  refreshSummary();
  void load();
  const refresh = window.setInterval(() => void load(), PLATFORM_REFRESH_MS);
  return () => {
    window.clearInterval(refresh);
    if (dialog.open) dialog.close();
  };
}

/**
 * "Share all" or a chosen set: a search over every device's channels (name, channel ID, device ID) with a tick box
 * each, the count chosen, and "chosen only". Channels load when the dialog opens.
 */
function channelPicker(shareAll: boolean, chosenIds: readonly string[]): { element: HTMLElement; error: HTMLElement; shareAll: () => boolean; chosen: () => string[] } {
  const chosen = new Set(chosenIds);
  let channels: PickerChannel[] = [];
  const all = h('input', { type: 'radio', name: 'share', value: 'all', checked: shareAll, 'data-action': 'share-all' });
  const some = h('input', { type: 'radio', name: 'share', value: 'chosen', checked: !shareAll, 'data-action': 'share-chosen' });
  const search = h('input', { type: 'search', class: 'filter', placeholder: t('platforms.pickerSearch'), 'data-field': 'picker-search', 'aria-label': t('platforms.pickerSearch') });
  const onlyChosen = h('input', { type: 'checkbox', 'data-field': 'picker-only-chosen' });
  const count = h('span', { class: 'muted', 'data-field': 'picker-count' });
  const list = h('ul', { class: 'picker-list', 'data-field': 'picker-list' });
  const note = h('p', { class: 'muted small', 'data-field': 'picker-note' }, t('platforms.pickerLoading'));
  const error = h('small', { class: 'error', 'data-error-for': 'channels', role: 'alert' });
  const body = h('div', { class: 'picker' }, h('div', { class: 'toolbar' }, search, h('label', { class: 'inline' }, onlyChosen, ' ', t('platforms.pickerOnlyChosen')), h('span', { class: 'grow' }), count), list, note);

  const draw = () => {
    body.hidden = all.checked;
    count.textContent = t('platforms.pickerCount', { n: chosen.size });
    if (all.checked) return;
    const { rows, more } = pickerRows(channels, chosen, search.value, onlyChosen.checked, PICKER_ROWS);
    list.replaceChildren(
      ...rows.map((c) => {
        const box = h('input', { type: 'checkbox', value: c.channelId, checked: chosen.has(c.channelId) });
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(c.channelId);
          else chosen.delete(c.channelId);
          count.textContent = t('platforms.pickerCount', { n: chosen.size });
        });
        return h(
          'li',
          { 'data-channel-id': c.channelId },
          h('label', { class: 'inline' }, box, h('span', { class: 'picker-name' }, c.name ?? (c.deviceId ? c.channelId : t('platforms.pickerUnknown'))), h('span', { class: 'mono muted' }, c.channelId)),
        );
      }),
    );
    if (note.dataset.loading !== '1') note.textContent = more ? t('platforms.pickerMore', { n: more }) : rows.length ? '' : t('platforms.pickerEmpty');
  };

  const load = async () => {
    note.dataset.loading = '1';
    try {
      const got: PickerChannel[] = [];
      let total = Infinity;
      while (got.length < Math.min(total, MAX_PICKER_CHANNELS)) {
        const page = await api<ChannelPageDto>('GET', `/api/channels?limit=${PICKER_PAGE}&offset=${got.length}`);
        total = page.total;
        got.push(...page.items);
        if (!page.items.length) break;
      }
      channels = got;
      note.dataset.loading = '';
      note.textContent = '';
    } catch (e) {
      note.dataset.loading = '';
      note.textContent = messageOf(e);
    }
    draw();
  };

  let timer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(draw, 150);
  });
  onlyChosen.addEventListener('change', draw);
  all.addEventListener('change', draw);
  some.addEventListener('change', draw);
  const element = h(
    'fieldset',
    { class: 'sharing', 'data-field-for': 'channels' },
    h('legend', {}, t('platforms.sharing')),
    h('label', { class: 'inline' }, all, ' ', t('platforms.shareAll')),
    h('label', { class: 'inline' }, some, ' ', t('platforms.shareChosen')),
    body,
    error,
  );
  draw();
  void load();
  return { element, error, shareAll: () => all.checked, chosen: () => [...chosen] };
}
