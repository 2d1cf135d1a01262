import { api } from '../api.js';
import { timeChart } from '../chart.js';
import { h, mount, pct, riskClass } from '../dom.js';
import { formatTime, t } from '../i18n.js';

function attributionChart(attributions) {
  // Bars sized by share of the risk; the sign says whether the sensor pushes risk up or down.
  return h(
    'div',
    { class: 'attributions' },
    attributions.map((a) =>
      h(
        'div',
        { class: 'attr-row' },
        h('span', { title: a.feature }, a.sensor, h('span', { class: 'muted hide-plain' }, ` · ${a.feature.split('__')[1] ?? ''}`)),
        h('div', {}, h('div', { class: `bar ${a.contribution < 0 ? 'neg' : ''}`, style: { width: `${Math.max(2, a.share * 100)}%` } })),
        h('span', {}, `${a.contribution < 0 ? '−' : '+'}${Math.round(a.share * 100)}%`),
      ),
    ),
  );
}

/** One device: why it is flagged (attributions), its telemetry with gaps, its risk history. */
export async function deviceView(root, deviceId, me) {
  const d = await api(`/api/v1/devices/${encodeURIComponent(deviceId)}`);
  const p = d.prediction;
  const risks = p?.status === 'ok' ? [...p.risks].sort((a, b) => b.risk - a.risk) : [];
  const top = risks[0];
  const teleEl = h('div', { id: 'telemetry-chart' });
  const riskEl = h('div', { id: 'risk-chart' });
  mount(
    root,
    h('section', { class: 'card' }, h('h2', {}, d.device.id, ' ', h('span', { class: 'muted' }, d.device.equipmentType)), h('p', { class: 'muted' }, [d.device.customerName, d.device.siteName].filter(Boolean).join(' · '))),
    h(
      'section',
      { class: 'card', id: 'why' },
      h('h3', {}, t('why')),
      !p
        ? h('p', { class: 'muted' }, t('noData'))
        : p.status !== 'ok'
          ? h('p', { class: 'muted' }, `${t('insufficient')}: ${p.insufficientReason ?? ''}`)
          : [
              h(
                'table',
                {},
                h('thead', {}, h('tr', {}, [t('mode'), t('risk'), 'threshold'].map((x) => h('th', {}, x)))),
                h('tbody', {}, risks.map((r) => h('tr', {}, h('td', {}, r.mode), h('td', { class: riskClass(r.risk, r.threshold) }, pct(r.risk)), h('td', {}, pct(r.threshold))))),
              ),
              h('p', {}, `${t('rul')}: ${p.rulHours === null ? '—' : Math.round(p.rulHours)} (≥ ${p.rulLowerHours === null ? '—' : Math.round(p.rulLowerHours)}) · ${formatTime(p.at)} · model ${p.modelVersion}`),
              top ? h('h4', {}, `${top.mode}: ${pct(top.risk)}`) : null,
              top ? attributionChart(top.attributions) : null,
            ],
    ),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, t('tickets')),
      d.tickets.length === 0
        ? h('p', { class: 'muted' }, t('none'))
        : h('ul', {}, d.tickets.map((tk) => h('li', {}, h('a', { href: `#/ticket/${encodeURIComponent(tk.id)}` }, `${tk.id} · ${tk.mode} · ${tk.state}`)))),
    ),
    h('section', { class: 'card' }, h('h3', {}, t('telemetry')), teleEl),
    h('section', { class: 'card' }, h('h3', {}, t('riskHistory')), riskEl),
  );
  const [tele, hist] = await Promise.all([
    api(`/api/v1/devices/${encodeURIComponent(deviceId)}/telemetry?points=300`),
    api(`/api/v1/devices/${encodeURIComponent(deviceId)}/predictions`),
  ]);
  const shown = Object.fromEntries(Object.entries(tele.values).filter(([k]) => k !== 'state' && k !== 'run_hours').slice(0, 6));
  if (tele.times.length) timeChart(teleEl, { times: tele.times, series: shown });
  else teleEl.textContent = t('noData');
  if (hist.times.length) timeChart(riskEl, { times: hist.times, series: hist.risks, height: 180 });
  else riskEl.textContent = t('noData');
}
