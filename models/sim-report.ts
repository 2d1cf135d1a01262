/**
 * The evaluation table of the simulated fleet's default models, as Markdown: what
 * `prognos train sim` prints and writes to `<out>/README.md`.
 */
import type { SimTypeReport } from './sim-trainer.ts';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '–');
const hours = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : `${x.toFixed(0)} h`);

export function formatSimReport(reports: readonly SimTypeReport[], command: string, dataCommands: readonly string[] = []): string {
  const first = reports[0]?.card;
  const lines = [
    '# Default models of the simulated fleet',
    '',
    'One bundle per equipment type (`<type>/card.json`, `rul.onnx`, `risk_<mode>.onnx`, `trees.json`; format in `models/model-bundle.ts`).',
    'Features: `models/feature-spec.ts`. Training and evaluation: `models/sim-trainer.ts`, `models/sim-evaluation.ts`.',
    '',
    `Reproduce (same histories and seed give the same ONNX and trees bytes; \`createdAt\` in the cards differs):`,
    '',
    '```sh',
    ...dataCommands,
    command,
    '```',
    '',
    first ? `Training data: ${first.training.data}. Evaluation: ${String((first.metrics as { evaluation?: string }).evaluation)} (seeds never trained on).` : '',
    first ? `Horizon: fails within ${first.horizonHours} operating hours. RUL capped at ${first.rul?.capHours} operating hours.` : '',
    '',
    'Per failure mode on the unseen seeds. An alarm is a sampled hour with risk ≥ the threshold (on held-out training devices, the lowest threshold within 95 % of the best episode F1, below);',
    'alarms ≤ 24 operating hours apart before the same failure are one episode. Precision: episodes followed by that failure within the horizon.',
    'Recall: failures announced by an episode. Lead time: from the episode\'s first alarm to the failure, operating hours (median, 10th percentile).',
    'False alarms: episodes not followed by that failure, per device and 30 days; "renewed" counts those ended by a maintenance visit that replaced the part.',
    '',
    '| type | failure mode | failures | recall | precision | median lead | p10 lead | false alarms / device-month | renewed | threshold |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of reports) {
    for (const m of r.modes) {
      lines.push(
        `| ${r.equipmentType} | ${m.mode} | ${m.failures} | ${pct(m.recall)} | ${pct(m.precision)} | ${hours(m.medianLeadHours)} | ${hours(m.p10LeadHours)} | ${m.falseAlarmsPerDeviceMonth.toFixed(2)} | ${m.falseEndedByRenewal} | ${m.threshold.toFixed(3)} |`,
      );
    }
  }
  lines.push('', '| type | training rows | evaluation rows | RUL rows (< cap) | RUL RMSE | RUL MAE | lower bound holds |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const r of reports) {
    lines.push(`| ${r.equipmentType} | ${r.trainingRows} | ${r.evalRows} | ${r.rul.rows} | ${hours(r.rul.rmseHours)} | ${hours(r.rul.maeHours)} | ${pct(r.rul.lowerBoundCoverage)} |`);
  }
  return `${lines.join('\n')}\n`;
}
