import { api, messageOf, setToken } from '../api';
import type { AppContext } from '../app-context';
import type { LoginResponse } from '../api-types';
import { h } from '../dom';

/** POST /api/auth/login; the token goes to sessionStorage. Errors show the API's own message. */
export function mountLogin(root: HTMLElement, _ctx: AppContext, _params: string[], onDone: () => void): () => void {
  const user = h('input', { name: 'username', autocomplete: 'username', value: 'admin', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, autofocus: true });
  const error = h('p', { class: 'error', role: 'alert', 'data-field': 'login-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'card login' },
    h('h1', {}, 'GB28181 Gateway'),
    h('label', {}, 'User name', user),
    h('label', {}, 'Password', pass),
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
