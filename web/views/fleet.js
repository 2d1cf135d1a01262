import { api } from '../api.js';
import { h, mount, pct, riskClass } from '../dom.js';
import { formatTime, t } from '../i18n.js';

/** Fleet risk overview: which devices, which failure modes, how soon — riskiest first. */
export async function fleetView(root) {
  const { devices } = await api('/api/v1/fleet/overview');
  const rows = devices.map((d) =>
    h(
      'tr',
      { class: 'clickable', 'data-device': d.device, onclick: () => (location.hash = `#/device/${encodeURIComponent(d.device)}`) },
      h('td', {}, h('strong', {}, d.device), h('div', { class: 'muted' }, d.name ?? '')),
      h('td', {}, d.equipmentType),
      h('td', {}, d.customerName ?? '—'),
      h('td', {}, d.status === 'insufficient_data' ? h('span', { class: 'muted' }, t('insufficient')) : d.topRisk ? h('span', { class: riskClass(d.topRisk.risk, d.topRisk.threshold) }, `${d.topRisk.mode} ${pct(d.topRisk.risk)}`) : '—'),
      h('td', {}, d.rulLowerHours === null || d.rulLowerHours === undefined ? '—' : `≥ ${Math.round(d.rulLowerHours)} h`),
      h('td', {}, d.episode ? h('span', { class: `badge sev-${d.episode.severity}` }, `${d.episode.severity}`) : ''),
      h('td', {}, d.inGap ? h('span', { class: 'error' }, 'silent') : formatTime(d.lastSeen)),
    ),
  );
  mount(
    root,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('fleet'), ' ', h('span', { class: 'muted' }, `(${devices.length})`)),
      devices.length === 0
        ? h('p', { class: 'muted' }, t('noData'))
        : h(
            'table',
            { id: 'fleet-table' },
            h('thead', {}, h('tr', {}, [t('device'), t('type'), t('customer'), t('risk'), t('rul'), t('episode'), t('lastSeen')].map((x) => h('th', {}, x)))),
            h('tbody', {}, rows),
          ),
    ),
  );
  const refresh = () => {
    if (location.hash === '#/fleet') fleetView(root).catch(() => {});
  };
  document.addEventListener('prognos-event', refresh, { once: true });
}
