import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { formatTime, t } from '../i18n.js';

/** Visits by technician, soonest first. */
export async function calendarView(root) {
  const { visits } = await api('/api/v1/visits');
  const byTech = new Map();
  for (const v of visits) byTech.set(v.technicianName ?? v.technicianId, [...(byTech.get(v.technicianName ?? v.technicianId) ?? []), v]);
  mount(
    root,
    h('section', { class: 'card calendar', id: 'calendar' }, h('h2', {}, t('calendar')),
      visits.length === 0 ? h('p', { class: 'muted' }, t('none')) :
      [...byTech].map(([tech, vs]) => [
        h('h3', {}, tech),
        h('table', {}, h('tbody', {}, vs.sort((a, b) => a.startsAt - b.startsAt).map((v) =>
          h('tr', {}, h('td', {}, formatTime(v.startsAt)), h('td', {}, formatTime(v.endsAt)), h('td', {}, h('a', { href: `#/ticket/${encodeURIComponent(v.ticketId)}` }, v.device)), h('td', {}, v.status))))),
      ]),
    ),
  );
}
