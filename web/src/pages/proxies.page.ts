import type { ProxyDto, StreamDto } from '@gb/contracts';
import { api, ApiError, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { localTime } from '../format';
import { t, type MessageKey } from '../i18n';
import { browserDecodesHevc, playBody } from '../player-codec';
import { causeWords, formValuesOf, PROXY_FIELDS, PROXY_MODES, problemsOf, proxyBody, sourceOf, type ProxyField } from '../proxies/proxy-form';
import { can } from '../session-role';

/** The gateway pushes no event for a proxy's state: the list is asked again this often. */
export const PROXY_REFRESH_MS = 3000;

const STATE_CLASS: Record<ProxyDto['state'], string> = { live: 'state running', connecting: 'state pending', retrying: 'state error', failed: 'state error', idle: 'muted' };

/**
 * Stream proxies (docs/decisions/stream-proxy.md): RTSP/RTMP/HTTP-FLV/HLS sources pulled by the gateway and encoders
 * pushing RTMP, each a channel of the virtual device "Stream proxies". The list shows state, the cause in words, mode
 * and source (admins: the publish URL of push proxies, to copy into the encoder); play opens the player page;
 * admins add, edit (a new key for push), delete. Refreshed every PROXY_REFRESH_MS.
 */
export function mountProxies(root: HTMLElement, _ctx: AppContext): () => void {
  const editable = can('proxyEdit');
  const rows = new Map<string, { p: ProxyDto; key: string; tr: HTMLTableRowElement }>();
  const tbody = h('tbody');
  const summary = h('span', { class: 'muted', 'data-field': 'summary' });
  const empty = h('p', { class: 'muted empty-note', 'data-field': 'proxies-empty' }, t('proxies.empty'));
  const listError = h('p', { class: 'error', role: 'alert', 'data-field': 'proxies-error' });
  const dialog = h('dialog', { class: 'card proxy-dialog' });

  const renderRow = (p: ProxyDto): HTMLTableRowElement => {
    const cause = causeWords(p);
    const source = p.mode === 'push' && p.publishUrl
      ? h('span', {}, h('input', { class: 'mono publish-url', readonly: true, value: p.publishUrl, size: 48, 'data-field': 'publish-url', 'aria-label': t('proxies.publishUrl'), onclick: (e: Event) => (e.target as HTMLInputElement).select() }),
          h('button', { 'data-action': 'copy-url', onclick: () => void copy(p.publishUrl!) }, t('proxies.copy')))
      : h('span', { class: 'mono' }, sourceOf(p));
    return h(
      'tr',
      { 'data-proxy-id': p.id, 'data-state': p.state },
      h(
        'td',
        { class: 'proxy-state' },
        h('span', { class: `tag ${STATE_CLASS[p.state]}`, 'data-field': 'state', title: t('proxies.since', { time: localTime(p.stateAt) }) }, t(`proxyState.${p.state}` as MessageKey)),
        cause ? h('div', { class: 'cause', 'data-field': 'cause', 'data-code': cause.code }, h('span', {}, cause.words), cause.detail ? h('span', { class: 'mono muted' }, ` (${cause.detail})`) : null) : null,
      ),
      h('td', { 'data-field': 'name' }, p.name),
      h('td', { 'data-field': 'mode' }, t(`proxyMode.${p.mode}` as MessageKey)),
      h('td', { 'data-field': 'source' }, source),
      h('td', { class: 'mono', 'data-field': 'channel-id' }, p.channelId),
      h(
        'td',
        {},
        h(
          'span',
          { class: 'actions' },
          h('button', { 'data-action': 'play', onclick: () => play(p) }, t('proxies.play')),
          editable && h('button', { 'data-action': 'edit', onclick: () => openForm(p) }, t('common.edit')),
          editable && p.mode === 'push' && h('button', { 'data-action': 'rotate-key', onclick: () => void rotate(p) }, t('proxies.rotateKey')),
          editable && h('button', { class: 'danger', 'data-action': 'delete', onclick: () => void remove(p) }, t('common.delete')),
        ),
      ),
    );
  };

  const upsert = (p: ProxyDto) => {
    const key = JSON.stringify({ ...p, stateAt: null });
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
    summary.textContent = t('proxies.summary', { live: all.filter((p) => p.state === 'live').length, total: all.length });
    empty.hidden = all.length > 0;
  };

  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const list = await api<ProxyDto[]>('GET', '/api/proxies');
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

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      toast(t('proxies.copied'));
    } catch {
      toast(t('proxies.copyFailed'), 'error');
    }
  };

  /** Plays the proxy's channel and opens the player page (a window opened at the click, so no popup blocker stops it). */
  const play = (p: ProxyDto) => {
    const w = window.open('about:blank', '_blank');
    api<StreamDto>('POST', `/api/devices/${encodeURIComponent(p.deviceId)}/channels/${encodeURIComponent(p.channelId)}/play`, playBody({}, browserDecodesHevc()))
      .then((s) => {
        const url = `${s.urls.player}&mode=flv`;
        if (w) w.location.href = url;
        else window.open(url, '_blank');
        void load();
      })
      .catch((e: unknown) => {
        w?.close();
        toast(messageOf(e), 'error');
      });
  };

  const rotate = async (p: ProxyDto) => {
    if (!confirm(t('proxies.confirmRotate', { name: p.name }))) return;
    try {
      upsert(await api<ProxyDto>('PATCH', `/api/proxies/${encodeURIComponent(p.id)}`, { rotateKey: true }));
      toast(t('proxies.rotated', { name: p.name }));
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const remove = async (p: ProxyDto) => {
    if (!confirm(t('proxies.confirmDelete', { name: p.name }))) return;
    try {
      await api('DELETE', `/api/proxies/${encodeURIComponent(p.id)}`);
      drop(p.id);
      toast(t('proxies.deleted', { name: p.name }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) drop(p.id);
      toast(messageOf(e), 'error');
    } finally {
      refreshSummary();
    }
  };

  /** The add (no `p`) or edit dialog; pull fields are hidden for a push proxy. */
  const openForm = (p?: ProxyDto) => {
    const v = formValuesOf(p);
    const errorAt = new Map<ProxyField, HTMLElement>();
    const field = (f: ProxyField, label: string, input: HTMLElement, hint?: string) => {
      const err = h('small', { class: 'error', 'data-error-for': f, role: 'alert' });
      errorAt.set(f, err);
      return h('label', { 'data-field-for': f }, label, input, hint ? h('small', { class: 'muted' }, hint) : null, err);
    };
    const name = h('input', { name: 'name', value: v.name, maxlength: 64, autocomplete: 'off' });
    // A proxy stays pull or push: on edit the other kind is not offered.
    const modes = PROXY_MODES.filter((m) => !p || (p.mode === 'push') === (m === 'push'));
    const mode = h('select', { name: 'mode' }, modes.map((m) => h('option', { value: m, selected: m === v.mode }, t(`proxyMode.${m}` as MessageKey))));
    const url = h('input', { name: 'url', value: v.url, class: 'mono', maxlength: 2048, autocomplete: 'off', placeholder: 'rtsp://192.0.2.20:554/Streaming/Channels/101' });
    const username = h('input', { name: 'username', value: v.username, maxlength: 128, autocomplete: 'off' });
    const password = h('input', { name: 'password', type: 'password', maxlength: 128, autocomplete: 'new-password', placeholder: p?.hasPassword ? t('proxies.passwordUnchanged') : '' });
    const pullFields = h('div', { class: 'form-grid', 'data-field': 'pull-fields' },
      field('url', t('proxies.field.url'), url, t('proxies.hint.url')),
      field('username', t('proxies.field.username'), username),
      field('password', t('proxies.field.password'), password));
    const pushNote = h('p', { class: 'muted small', 'data-field': 'push-note' }, t('proxies.hint.push'));
    const showKind = () => {
      pullFields.hidden = mode.value === 'push';
      pushNote.hidden = mode.value !== 'push';
    };
    mode.addEventListener('change', showKind);
    const formError = h('p', { class: 'error', role: 'alert', 'data-field': 'form-error' });
    const save = h('button', { type: 'submit', class: 'primary', 'data-action': 'save' }, p ? t('common.save') : t('proxies.add'));
    const form = h(
      'form',
      { method: 'dialog', class: 'proxy-form', novalidate: true },
      h('h2', {}, p ? t('proxies.editTitle', { name: p.name }) : t('proxies.addTitle')),
      h('div', { class: 'form-grid' }, field('name', t('proxies.field.name'), name), field('mode', t('proxies.field.mode'), mode, t('proxies.hint.mode'))),
      pullFields,
      pushNote,
      formError,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('common.cancel')), save),
    );
    showKind();
    const show = (fields: Partial<Record<ProxyField, string>>, message: string | null) => {
      for (const f of PROXY_FIELDS) errorAt.get(f)?.replaceChildren(fields[f] ?? '');
      formError.textContent = message ?? '';
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const made = proxyBody({ name: name.value, mode: mode.value as ProxyDto['mode'], url: url.value, username: username.value, password: password.value }, p);
      if (!made.ok) return show({ [made.field]: t(`proxies.invalid.${made.field}` as MessageKey) }, t('proxies.fixFields'));
      if (p && !Object.keys(made.body).length) return dialog.close();
      save.disabled = true;
      const call = p ? api<ProxyDto>('PATCH', `/api/proxies/${encodeURIComponent(p.id)}`, made.body) : api<ProxyDto>('POST', '/api/proxies', made.body);
      call
        .then((saved) => {
          upsert(saved);
          refreshSummary();
          dialog.close();
          toast(t(p ? 'proxies.saved' : 'proxies.created', { name: saved.name }));
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
    h('h1', {}, t('proxies.title')),
    summary,
    h('span', { class: 'grow' }),
    editable ? h('button', { class: 'primary', 'data-action': 'add-proxy', onclick: () => openForm() }, t('proxies.add')) : h('span', { class: 'muted', 'data-field': 'read-only' }, t('proxies.readOnly')),
    h('button', { onclick: () => void load() }, t('common.refresh')),
  );
  root.append(
    h(
      'section',
      { class: 'page proxies' },
      toolbar,
      h('p', { class: 'muted intro' }, t('proxies.intro')),
      h(
        'table',
        { class: 'grid proxies' },
        h('thead', {}, h('tr', {}, [t('common.state'), t('common.name'), t('proxies.colMode'), t('proxies.colSource'), t('proxies.colChannel'), ''].map((c) => h('th', {}, c)))),
        tbody,
      ),
      empty,
      listError,
      dialog,
    ),
  );
  refreshSummary();
  void load();
  const refresh = window.setInterval(() => void load(), PROXY_REFRESH_MS);
  return () => {
    window.clearInterval(refresh);
    if (dialog.open) dialog.close();
  };
}
