import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { formatTime, stateName, t } from '../i18n.js';

const COLUMNS = ['open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress', 'closed'];

/** The ticket board: one column per state. */
export async function ticketsView(root) {
  const { tickets } = await api('/api/v1/tickets?limit=500');
  mount(
    root,
    h('section', { class: 'card' }, h('h2', {}, t('tickets')),
      h('div', { class: 'board', id: 'ticket-board' },
        COLUMNS.map((state) =>
          h('div', { class: 'col', 'data-state': state },
            h('strong', {}, stateName(state), ' ', h('span', { class: 'muted' }, String(tickets.filter((x) => x.state === state).length))),
            tickets.filter((x) => x.state === state).map((x) =>
              h('div', { class: 'ticket', 'data-ticket': x.id, onclick: () => (location.hash = `#/ticket/${encodeURIComponent(x.id)}`) },
                h('div', {}, h('strong', {}, x.device), ' ', h('span', { class: `badge sev-${x.severity}` }, x.severity)),
                h('div', {}, x.mode),
                h('div', { class: 'muted' }, `${t('tier')}: ${x.tier}`),
                x.outcome ? h('div', {}, `${t('outcome')}: ${x.outcome}`) : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** One ticket: its evidence, tier and reason, audit trail, and (for engineers) visit slots to book. */
export async function ticketView(root, id, me) {
  const tk = await api(`/api/v1/tickets/${encodeURIComponent(id)}`);
  const slotsBox = h('div', { id: 'slots' });
  const isEngineer = me.role !== 'customer';
  // Proposed (offered, not taken) or cancelled visits leave the ticket open for booking.
  const booked = tk.visit && (tk.visit.status === 'booked' || tk.visit.status === 'done') ? tk.visit : null;
  mount(
    root,
    h('section', { class: 'card' },
      h('h2', {}, `${t('ticket')} ${tk.id}`),
      h('p', {}, h('a', { href: `#/device/${encodeURIComponent(tk.device)}` }, tk.device), ` · ${tk.mode} · `, h('span', { class: `badge sev-${tk.severity}` }, tk.severity)),
      h('p', {}, `${t('state')}: ${stateName(tk.state)}`, tk.outcome ? ` · ${t('outcome')}: ${tk.outcome}` : ''),
      h('p', {}, `${t('tier')}: ${tk.tier} — ${tk.tierReason}`),
      booked ? h('p', { id: 'booked-visit' }, `${t('visit')}: ${formatTime(tk.visit.startsAt)} · ${tk.visit.technicianName ?? tk.visit.technicianId} · ${tk.visit.status}`) : null,
      isEngineer && !booked && tk.state !== 'closed'
        ? h('button', {
            id: 'propose-slots',
            onclick: async () => {
              const { slots, reason } = await api(`/api/v1/tickets/${encodeURIComponent(id)}/slots`);
              mount(slotsBox, slots.length === 0 ? h('p', { class: 'error' }, reason ?? t('none')) :
                slots.map((s) =>
                  h('button', {
                    class: 'slot secondary',
                    'data-slot': s.id,
                    onclick: async () => {
                      await api(`/api/v1/tickets/${encodeURIComponent(id)}/visit`, { method: 'POST', body: { slot: s } });
                      await ticketView(root, id, me);
                    },
                  }, `${t('book')}: ${formatTime(s.startsAt)} – ${formatTime(s.endsAt)} · ${s.technicianName} · ${s.reason}`),
                ));
            },
          }, t('proposeSlots'))
        : null,
      slotsBox,
    ),
    h('section', { class: 'card' }, h('h3', {}, t('audit')),
      h('table', {}, h('tbody', {}, tk.audit.map((a) => h('tr', {}, h('td', {}, formatTime(a.at)), h('td', {}, a.actor), h('td', {}, a.action), h('td', {}, a.fromState ? `${a.fromState} → ${a.toState}` : a.toState ?? ''), h('td', { class: 'muted' }, a.reason ?? ''))))),
    ),
  );
}
