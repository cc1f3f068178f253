import { api, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { localTime } from '../format';
import { hasKey, t } from '../i18n';
import { can, currentUser, type Role } from '../session-role';

/** What GET /api/users, GET /api/api-keys and GET /api/audit answer (apps/gateway/src/access/access.dto.ts). */
interface UserRow {
  username: string;
  role: Role;
  createdAt: string;
}
interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdBy: string;
  createdAt: string;
}
interface AuditRow {
  at: string;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: string | null;
}

const ROLES: readonly Role[] = ['admin', 'operator', 'viewer'];
/** Newest audit entries shown (GET /api/audit?limit=, 1-1000). */
const AUDIT_LIMIT = 200;

const roleSelect = (name: string, selected: Role = 'viewer') => h('select', { name }, ROLES.map((r) => h('option', { value: r, selected: r === selected }, t(`role.${r}`))));
const word = (key: string, raw: string) => (hasKey(key) ? t(key) : raw);

/**
 * Users, API keys and the audit log (admin only; README "Users and roles"). The gateway refuses every call here to
 * any other role; a non-admin sees a plain note instead of the page.
 */
export function mountAdmin(root: HTMLElement, _ctx: AppContext): () => void {
  if (!can('admin')) {
    root.append(h('section', { class: 'page' }, h('h1', {}, t('admin.title')), h('p', { class: 'card muted', 'data-field': 'admins-only' }, t('admin.adminsOnly'))));
    return () => undefined;
  }
  const users = usersCard();
  const keys = apiKeysCard();
  const audit = auditCard();
  root.append(h('section', { class: 'page admin' }, h('div', { class: 'toolbar' }, h('h1', {}, t('admin.title'))), users.element, keys.element, audit.element));
  void users.load();
  void keys.load();
  void audit.load();
  return () => undefined;
}

/** Users: create, change role, set a password, delete. Errors (the last admin's 409 among them) show under the table. */
function usersCard(): { element: HTMLElement; load: () => Promise<void> } {
  const tbody = h('tbody');
  const error = h('p', { class: 'error', role: 'alert', 'data-field': 'users-error' });
  const dialog = h('dialog', { class: 'card' });
  const username = h('input', { name: 'username', required: true, maxlength: 64, pattern: '[A-Za-z0-9._@\\-]+', autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 8, maxlength: 128, autocomplete: 'new-password' });
  const role = roleSelect('role');

  const fail = (e: unknown) => (error.textContent = messageOf(e));
  const load = async () => {
    try {
      const list = await api<UserRow[]>('GET', '/api/users');
      tbody.replaceChildren(...list.map(row));
    } catch (e) {
      fail(e);
    }
  };
  const run = (p: Promise<unknown>, done: string) =>
    p
      .then(() => {
        error.textContent = '';
        toast(done);
      })
      .catch(fail)
      .finally(() => void load());

  const setPassword = (u: UserRow) => {
    const pw = h('input', { name: 'new-password', type: 'password', required: true, minlength: 8, maxlength: 128, autocomplete: 'new-password' });
    const err = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', {}, t('admin.passwordTitle', { user: u.username })),
      h('label', {}, t('admin.newPassword'), pw),
      err,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('common.cancel')), h('button', { type: 'submit', class: 'primary' }, t('common.save'))),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { password: pw.value })
        .then(() => {
          dialog.close();
          toast(t('admin.passwordSet', { user: u.username }));
        })
        .catch((x: unknown) => (err.textContent = messageOf(x)));
    });
    dialog.replaceChildren(form);
    dialog.showModal();
  };

  const row = (u: UserRow): HTMLTableRowElement => {
    const select = roleSelect('role', u.role);
    select.addEventListener('change', () => void run(api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { role: select.value }), t('admin.roleChanged', { user: u.username, role: t(`role.${select.value as Role}`) })));
    const remove = () => {
      if (!confirm(t('admin.confirmDeleteUser', { user: u.username }))) return;
      void run(api('DELETE', `/api/users/${encodeURIComponent(u.username)}`), t('admin.userDeleted', { user: u.username }));
    };
    const me = currentUser()?.username === u.username;
    return h(
      'tr',
      { 'data-username': u.username },
      h('td', { class: 'mono' }, u.username, me ? h('span', { class: 'tag muted' }, t('admin.you')) : null),
      h('td', {}, select),
      h('td', {}, localTime(u.createdAt)),
      h('td', { class: 'actions' }, h('button', { 'data-action': 'set-password', onclick: () => setPassword(u) }, t('admin.setPassword')), ' ', h('button', { class: 'danger', 'data-action': 'delete-user', onclick: remove }, t('common.delete'))),
    );
  };

  const create = h('form', { class: 'row', 'data-field': 'create-user' }, h('label', {}, t('admin.username'), username), h('label', {}, t('admin.password'), password), h('label', {}, t('admin.role'), role), h('button', { type: 'submit', class: 'primary' }, t('admin.createUser')));
  create.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = username.value.trim();
    void run(api('POST', '/api/users', { username: name, password: password.value, role: role.value }), t('admin.userCreated', { user: name })).then(() => {
      if (!error.textContent) create.reset();
    });
  });

  const element = h(
    'div',
    { class: 'card admin-card' },
    h('div', { class: 'toolbar' }, h('h2', {}, t('admin.usersTitle')), h('span', { class: 'grow' }), h('button', { onclick: () => void load() }, t('common.refresh'))),
    h('table', { class: 'grid users' }, h('thead', {}, h('tr', {}, [t('admin.username'), t('admin.role'), t('admin.created'), ''].map((c) => h('th', {}, c)))), tbody),
    error,
    create,
    dialog,
  );
  return { element, load };
}

/** API keys: list, create (the key is shown this once, copyable), revoke. */
function apiKeysCard(): { element: HTMLElement; load: () => Promise<void> } {
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted empty-note' }, t('admin.keysEmpty'));
  const error = h('p', { class: 'error', role: 'alert', 'data-field': 'keys-error' });
  const shown = h('div', { 'data-field': 'new-key-slot' });
  const name = h('input', { name: 'key-name', required: true, maxlength: 64, autocomplete: 'off' });
  const role = roleSelect('key-role');

  const fail = (e: unknown) => (error.textContent = messageOf(e));
  const load = async () => {
    try {
      const list = await api<ApiKeyRow[]>('GET', '/api/api-keys');
      tbody.replaceChildren(...list.map(row));
      empty.hidden = list.length > 0;
    } catch (e) {
      fail(e);
    }
  };

  const revoke = (k: ApiKeyRow) => {
    if (!confirm(t('admin.confirmRevoke', { name: k.name }))) return;
    api('DELETE', `/api/api-keys/${encodeURIComponent(k.id)}`)
      .then(() => {
        error.textContent = '';
        toast(t('admin.keyRevoked', { name: k.name }));
      })
      .catch(fail)
      .finally(() => void load());
  };

  const row = (k: ApiKeyRow): HTMLTableRowElement =>
    h(
      'tr',
      { 'data-key-id': k.id, 'data-key-name': k.name },
      h('td', {}, k.name),
      h('td', {}, t(`role.${k.role}`)),
      h('td', { class: 'mono' }, `${k.prefix}…`),
      h('td', {}, k.createdBy),
      h('td', {}, localTime(k.createdAt)),
      h('td', { class: 'actions' }, h('button', { class: 'danger', 'data-action': 'revoke-key', onclick: () => revoke(k) }, t('admin.revoke'))),
    );

  /** The new key, once: a read-only field with a copy button and the warning that it will not be shown again. */
  const showOnce = (key: string) => {
    const field = h('input', { class: 'mono', readonly: true, value: key, 'data-field': 'new-key', 'aria-label': t('admin.newKey') });
    const copy = () => {
      field.select();
      const fallback = () => (document.execCommand('copy') ? toast(t('admin.copied')) : toast(t('admin.copyFailed'), 'error'));
      if (navigator.clipboard) navigator.clipboard.writeText(key).then(() => toast(t('admin.copied')), fallback);
      else fallback();
    };
    shown.replaceChildren(
      h(
        'div',
        { class: 'key-once' },
        h('strong', {}, t('admin.keyOnceWarning')),
        h('div', { class: 'key-once-row' }, field, h('button', { type: 'button', onclick: copy, 'data-action': 'copy-key' }, t('admin.copy')), h('button', { type: 'button', onclick: () => shown.replaceChildren() }, t('common.close'))),
      ),
    );
    field.focus();
    field.select();
  };

  const create = h('form', { class: 'row', 'data-field': 'create-key' }, h('label', {}, t('admin.keyName'), name), h('label', {}, t('admin.role'), role), h('button', { type: 'submit', class: 'primary' }, t('admin.createKey')));
  create.addEventListener('submit', (e) => {
    e.preventDefault();
    api<ApiKeyRow & { key: string }>('POST', '/api/api-keys', { name: name.value.trim(), role: role.value })
      .then((k) => {
        error.textContent = '';
        create.reset();
        showOnce(k.key);
      })
      .catch(fail)
      .finally(() => void load());
  });

  const element = h(
    'div',
    { class: 'card admin-card' },
    h('div', { class: 'toolbar' }, h('h2', {}, t('admin.keysTitle')), h('span', { class: 'grow' }), h('button', { onclick: () => void load() }, t('common.refresh'))),
    h('table', { class: 'grid api-keys' }, h('thead', {}, h('tr', {}, [t('common.name'), t('admin.role'), t('admin.keyPrefix'), t('admin.createdBy'), t('admin.created'), ''].map((c) => h('th', {}, c)))), tbody),
    empty,
    error,
    shown,
    create,
  );
  return { element, load };
}

/** The audit log, newest first: who, what, target, when, outcome. */
function auditCard(): { element: HTMLElement; load: () => Promise<void> } {
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted empty-note' }, t('admin.auditEmpty'));
  const error = h('p', { class: 'error', role: 'alert' });
  const load = async () => {
    try {
      const list = await api<AuditRow[]>('GET', `/api/audit?limit=${AUDIT_LIMIT}`);
      tbody.replaceChildren(
        ...list.map((a) =>
          h(
            'tr',
            { 'data-action': a.action, 'data-actor': a.actor, 'data-outcome': a.outcome },
            h('td', {}, localTime(a.at)),
            h('td', {}, a.actor, ' ', h('span', { class: 'tag muted' }, word(`role.${a.role}`, a.role))),
            h('td', { title: a.action }, word(`audit.${a.action}`, a.action)),
            h('td', { class: 'mono' }, a.target ?? '—'),
            h('td', { class: 'mono muted' }, a.detail ?? ''),
            h('td', {}, a.outcome === 'ok' ? h('span', { class: 'tag state running' }, t('admin.outcomeOk')) : h('span', { class: 'tag state error' }, a.outcome)),
          ),
        ),
      );
      empty.hidden = list.length > 0;
      error.textContent = '';
    } catch (e) {
      error.textContent = messageOf(e);
    }
  };
  const element = h(
    'div',
    { class: 'card admin-card' },
    h('div', { class: 'toolbar' }, h('h2', {}, t('admin.auditTitle')), h('span', { class: 'muted' }, t('admin.auditNote')), h('span', { class: 'grow' }), h('button', { 'data-action': 'refresh-audit', onclick: () => void load() }, t('common.refresh'))),
    h('table', { class: 'grid audit' }, h('thead', {}, h('tr', {}, [t('admin.when'), t('admin.actor'), t('admin.action'), t('admin.target'), t('admin.detail'), t('admin.outcome')].map((c) => h('th', {}, c)))), tbody),
    empty,
    error,
  );
  return { element, load };
}
