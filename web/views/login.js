import { api, setToken } from '../api.js';
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';

export function loginView(root, onLogin) {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = '';
        try {
          const res = await api('/api/v1/auth/login', { method: 'POST', body: { username: user.value, password: pass.value } });
          setToken(res.token);
          await onLogin();
        } catch (err) {
          error.textContent = `${t('loginFailed')}: ${err.message}`;
        }
      },
    },
    h('h2', {}, t('login')),
    h('label', {}, t('username'), user),
    h('label', {}, t('password'), pass),
    h('button', { type: 'submit' }, t('login')),
    error,
  );
  mount(root, form);
}
