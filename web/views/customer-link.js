import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { currentLang, formatTime, setLang, t } from '../i18n.js';

/**
 * What a customer sees from the link in our message (no login: the signed link is the key):
 * the message in their language (plain words when they asked for it), the evidence, and the
 * slots to choose from.
 */
export async function customerLinkView(root, token) {
  let data;
  try {
    data = await api(`/api/v1/portal/${encodeURIComponent(token)}`);
  } catch {
    mount(root, h('section', { class: 'card error', id: 'link-invalid' }, t('linkInvalid')));
    return;
  }
  if (data.language && data.language !== currentLang()) setLang(data.language);
  if (data.plainLanguage) document.body.classList.add('plain');
  const problem = h('p', { class: 'error', role: 'alert', id: 'portal-error' });
  const act = async (body) => {
    problem.textContent = '';
    try {
      const res = await api(`/api/v1/portal/${encodeURIComponent(token)}`, { method: 'POST', body });
      await customerLinkView(root, token);
      if (res?.detail && res.outcome !== 'booked') root.prepend(h('p', { class: 'card', id: 'portal-answer' }, res.detail));
    } catch (err) {
      // e.g. the slot was taken a moment ago: say so and keep the choice open.
      problem.textContent = err.message;
    }
  };
  const tz = data.timezone;
  mount(
    root,
    h('section', { class: 'card', id: 'customer-message' }, h('h2', {}, data.message.subject), h('p', { style: { whiteSpace: 'pre-wrap' } }, data.message.body)),
    data.evidence?.length ? h('section', { class: 'card' }, h('h3', {}, t('evidence')), h('ul', {}, data.evidence.map((e) => h('li', {}, e)))) : null,
    data.visit
      ? h('section', { class: 'card', id: 'visit-booked' }, h('h2', {}, t('confirmed')), h('p', {}, `${formatTime(data.visit.startsAt, tz)} – ${formatTime(data.visit.endsAt, tz)}`), data.visit.technicianName ? h('p', {}, `${t('technician')}: ${data.visit.technicianName}`) : null)
      : h('section', { class: 'card', id: 'slot-choice' }, h('h2', {}, t('chooseSlot')), problem,
          data.slots.map((s, i) => h('button', { class: 'slot', 'data-slot': s.id, onclick: () => act({ action: 'confirm', slotId: s.id }) }, `${i + 1}. ${formatTime(s.startsAt, tz)} – ${formatTime(s.endsAt, tz)}`)),
          h('button', { class: 'slot secondary', onclick: () => act({ action: 'reschedule' }) }, t('reschedule')),
          h('button', { class: 'slot secondary', onclick: () => act({ action: 'decline' }) }, t('decline'))),
  );
}
