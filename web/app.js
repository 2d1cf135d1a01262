import { api, liveEvents, setToken, token } from './api.js';
import { h, mount } from './dom.js';
import { applyStaticStrings, currentLang, setLang, t } from './i18n.js';
import { assistantView } from './views/assistant.js';
import { calendarView } from './views/calendar.js';
import { customerLinkView } from './views/customer-link.js';
import { customerHomeView } from './views/customer-home.js';
import { deviceView } from './views/device.js';
import { fleetView } from './views/fleet.js';
import { loginView } from './views/login.js';
import { ticketView, ticketsView } from './views/tickets.js';

const view = document.getElementById('view');
let me = null;
let stopEvents = () => {};

const ENGINEER_NAV = [
  ['#/fleet', 'fleet'],
  ['#/tickets', 'tickets'],
  ['#/calendar', 'calendar'],
  ['#/assistant', 'assistant'],
];
const CUSTOMER_NAV = [
  ['#/my', 'myEquipment'],
  ['#/assistant', 'assistant'],
];

function renderChrome() {
  applyStaticStrings();
  const nav = document.getElementById('nav');
  const items = !me ? [] : me.role === 'customer' ? CUSTOMER_NAV : ENGINEER_NAV;
  mount(nav, items.map(([href, key]) => h('a', { href, class: location.hash.startsWith(href) ? 'active' : '' }, t(key))));
  document.getElementById('who').textContent = me ? `${me.displayName} (${me.role})` : '';
  document.getElementById('logout').hidden = !me;
}

/** Routes: #/login, #/fleet, #/device/<id>, #/tickets, #/ticket/<id>, #/calendar, #/assistant, #/my, #/link/<token>. */
const routes = [
  [/^#\/link\/(.+)$/, (m) => customerLinkView(view, decodeURIComponent(m[1])), { public: true }],
  [/^#\/login$/, () => loginView(view, onLogin), { public: true }],
  [/^#\/fleet$/, () => fleetView(view)],
  [/^#\/device\/([^/]+)$/, (m) => deviceView(view, decodeURIComponent(m[1]), me)],
  [/^#\/tickets$/, () => ticketsView(view)],
  [/^#\/ticket\/([^/]+)$/, (m) => ticketView(view, decodeURIComponent(m[1]), me)],
  [/^#\/calendar$/, () => calendarView(view)],
  [/^#\/assistant$/, () => assistantView(view, me)],
  [/^#\/my$/, () => customerHomeView(view, me)],
];

async function route() {
  const hash = location.hash || '#/';
  for (const [re, render, opts] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    if (!opts?.public && !me) {
      location.hash = '#/login';
      return;
    }
    renderChrome();
    try {
      await render(m);
    } catch (err) {
      if (err.status === 401) {
        setToken(null);
        me = null;
        location.hash = '#/login';
        return;
      }
      mount(view, h('div', { class: 'card error' }, `${err.code ?? 'error'}: ${err.message}`));
    }
    return;
  }
  location.hash = me ? (me.role === 'customer' ? '#/my' : '#/fleet') : '#/login';
}

async function onLogin() {
  me = await api('/api/v1/auth/me');
  stopEvents();
  stopEvents = liveEvents((e) => document.dispatchEvent(new CustomEvent('prognos-event', { detail: e })));
  location.hash = me.role === 'customer' ? '#/my' : '#/fleet';
  await route();
}

async function boot() {
  setLang(currentLang());
  document.getElementById('lang-select').value = currentLang();
  document.getElementById('lang-select').addEventListener('change', (e) => {
    setLang(e.target.value);
    route();
  });
  const plain = document.getElementById('plain-toggle');
  plain.checked = localStorage.getItem('prognos.plain') === '1';
  document.body.classList.toggle('plain', plain.checked);
  plain.addEventListener('change', () => {
    localStorage.setItem('prognos.plain', plain.checked ? '1' : '0');
    document.body.classList.toggle('plain', plain.checked);
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await api('/api/v1/auth/logout', { method: 'POST' }).catch(() => {});
    setToken(null);
    me = null;
    stopEvents();
    location.hash = '#/login';
  });
  if (token()) {
    try {
      me = await api('/api/v1/auth/me');
      stopEvents = liveEvents((e) => document.dispatchEvent(new CustomEvent('prognos-event', { detail: e })));
    } catch {
      setToken(null);
    }
  }
  window.addEventListener('hashchange', route);
  await route();
}

boot();
