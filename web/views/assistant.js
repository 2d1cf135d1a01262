import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { t } from '../i18n.js';

let conversationId = null;
const transcript = [];

function bubble(m) {
  return h('div', { class: `msg ${m.role}` }, m.text,
    m.sources?.length ? h('div', { class: 'sources' }, `${t('sources')}: ${m.sources.join(', ')}`) : null,
    m.offline ? h('div', { class: 'sources' }, t('offline')) : null);
}

/** The assistant chat; answers show the tool calls they are grounded on. */
export function assistantView(root, me) {
  const log = h('div', { class: 'chat', id: 'chat-log' }, transcript.map(bubble));
  const input = h('input', { id: 'ask-input', placeholder: t('askPlaceholder'), style: { flex: '1' } });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      input.value = '';
      transcript.push({ role: 'user', text });
      log.append(bubble(transcript.at(-1)));
      try {
        const body = { message: text };
        if (conversationId) body.conversationId = conversationId;
        const res = await api('/api/v1/assistant/ask', { method: 'POST', body });
        conversationId = res.conversationId;
        transcript.push({ role: 'assistant', text: res.answer, sources: res.sources ?? [], offline: res.mode === 'offline' });
      } catch (err) {
        transcript.push({ role: 'assistant', text: `${err.code}: ${err.message}` });
      }
      log.append(bubble(transcript.at(-1)));
    },
  }, input, h('button', { type: 'submit' }, t('ask')));
  mount(root, h('section', { class: 'card' }, h('h2', {}, t('assistant'), ' ', h('span', { class: 'muted' }, me.displayName)), log, form));
}
