import { api } from '../api.js';
import { h, mount, pct } from '../dom.js';
import { formatTime, stateName, t } from '../i18n.js';

/** A customer's own equipment, the messages we sent them, and their visits. */
export async function customerHomeView(root) {
  const [{ devices }, { tickets }] = await Promise.all([api('/api/v1/fleet/overview'), api('/api/v1/tickets?limit=100')]);
  mount(
    root,
    h('section', { class: 'card' }, h('h2', {}, t('myEquipment')),
      h('table', { id: 'my-devices' }, h('tbody', {}, devices.map((d) =>
        h('tr', {}, h('td', {}, h('strong', {}, d.device)), h('td', {}, d.equipmentType), h('td', {}, d.topRisk ? `${d.topRisk.mode} ${pct(d.topRisk.risk)}` : '—')))))),
    h('section', { class: 'card' }, h('h2', {}, t('visitStatus')),
      tickets.length === 0 ? h('p', { class: 'muted' }, t('none')) :
      h('ul', {}, tickets.map((tk) => h('li', {}, `${tk.device} · ${tk.mode} · ${stateName(tk.state)}`, tk.visit ? ` · ${formatTime(tk.visit.startsAt)}` : '', tk.link ? [' · ', h('a', { href: tk.link }, t('chooseSlot'))] : '')))),
  );
}
