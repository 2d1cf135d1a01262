import uPlot from './vendor/uPlot.esm.js';

const COLORS = ['#0b63c5', '#c2410c', '#1d7f3a', '#7c3aed', '#b3261e', '#0e7490', '#a16207', '#475569', '#db2777'];

/**
 * A time chart. `times` in epoch ms; `series` name → values with null where there is no data:
 * uPlot leaves those as gaps (spanGaps false), so a silent device shows as a hole, not a line.
 */
export function timeChart(el, { times, series, height = 220, yLabel }) {
  const names = Object.keys(series);
  const data = [times.map((x) => x / 1000), ...names.map((n) => series[n])];
  const opts = {
    width: Math.max(320, el.clientWidth || 800),
    height,
    series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], spanGaps: false, width: 1.5 }))],
    axes: [{}, { label: yLabel }],
    legend: { live: true },
  };
  return new uPlot(opts, data, el);
}
