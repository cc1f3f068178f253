import { api, messageOf, setToken } from '../api';
import type { AppContext } from '../app-context';
import type { LoginResponse } from '../api-types';
import { h } from '../dom';
import { t } from '../i18n';
import { languageSwitch } from '../language-switch';

/** POST /api/auth/login; the token goes to sessionStorage. Errors show the API's own message. */
export function mountLogin(root: HTMLElement, _ctx: AppContext, _params: string[], onDone: () => void): () => void {
  const user = h('input', { name: 'username', autocomplete: 'username', value: 'admin', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, autofocus: true });
  const error = h('p', { class: 'error', role: 'alert', 'data-field': 'login-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'card login' },
    h('div', { class: 'login-head' }, h('h1', {}, t('app.title')), languageSwitch()),
    h('label', {}, t('login.user'), user),
    h('label', {}, t('login.password'), pass),
    error,
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    error.textContent = '';
    button.disabled = true;
    api<LoginResponse>('POST', '/api/auth/login', { username: user.value, password: pass.value })
      .then((r) => {
        setToken(r.accessToken, r.expiresIn);
        onDone();
      })
      .catch((err: unknown) => {
        error.textContent = messageOf(err);
        pass.select();
      })
      .finally(() => (button.disabled = false));
  });
  root.append(h('div', { class: 'login-wrap' }, form));
  pass.focus();
  return () => undefined;
}
