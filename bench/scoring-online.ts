/**
 * Online scoring cost of a whole bundle (models/bundle-scorer.ts): feature vectors in,
 * Predictions out — risk for every failure mode and RUL through onnxruntime, plus the TreeSHAP
 * attributions per mode. The bundle is the size we ship per equipment type: `--modes` risk
 * classifiers and one RUL regressor, each `--trees` trees of depth `--depth` over `--features`
 * features (grouped into sensors of 10 features each, as the feature spec names them).
 *
 *   node --import tsx bench/scoring-online.ts [--seconds 2] [--modes 4] [--trees 300] [--depth 6]
 *                                             [--features 120] [--bundle <dir>] [--append]
 *
 * Cases: batch 1 and batch 256, without explanations and with TreeSHAP on every mode; and the
 * TreeSHAP cost alone (µs per prediction per mode, and per prediction for all modes).
 * `--bundle` benchmarks a saved bundle (e.g. models/default/centrifugal_pump) instead of the
 * random one. `--append` adds the result as a section to bench/scoring.md.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BundleScorer, type ScoringInput } from '../models/bundle-scorer.ts';
import { loadBundle, saveBundle, type ModelBundle } from '../models/model-bundle.ts';
import { shapValues } from '../models/tree-shap.ts';
import type { TreeEnsemble } from '../models/tree-ensemble.ts';
import { randomEnsemble, randomRows } from '../test/models/onnx-random-ensemble.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    modes: { type: 'string', default: '4' },
    trees: { type: 'string', default: '300' },
    depth: { type: 'string', default: '6' },
    features: { type: 'string', default: '120' },
    bundle: { type: 'string' },
    append: { type: 'boolean', default: false },
  },
  strict: true,
});
const SECONDS = Number(values.seconds);
const BATCH = 256;
const POOL = 4096;

function randomBundle(dir: string): ModelBundle {
  const features = Number(values.features);
  const names = Array.from({ length: features }, (_, i) => `sensor${Math.floor(i / 10)}__kind${i % 10}`);
  const make = (objective: TreeEnsemble['objective'], seed: number): TreeEnsemble => ({
    ...randomEnsemble({ objective, trees: Number(values.trees), features, maxDepth: Number(values.depth), full: true, baseScore: objective === 'binary' ? -2 : 500, leafScale: objective === 'binary' ? 0.05 : 5, seed }),
    featureNames: names,
  });
  const modes = Array.from({ length: Number(values.modes) }, (_, i) => `mode${i}`);
  saveBundle(dir, {
    card: {
      name: 'bench',
      version: '1',
      equipmentType: 'bench_pump',
      createdAt: new Date().toISOString(),
      modes: modes.map((mode) => ({ mode, threshold: 0.5 })),
      horizonHours: 72,
      rul: { capHours: 2000, lowerBoundFactor: 0.6 },
      training: { data: 'random', dataHash: '-', rows: 0, seed: 2026, command: 'bench/scoring-online.ts' },
      hyperParameters: {},
      metrics: {},
      reference: {},
    },
    rul: make('regression', 1),
    risk: new Map(modes.map((m, i) => [m, make('binary', 10 + i)])),
  });
  return loadBundle(dir);
}

const tmp = mkdtempSync(join(tmpdir(), 'prognos-bench-'));
const bundle = values.bundle ? loadBundle(values.bundle) : randomBundle(tmp);
const card = bundle.card;
const width = card.featureNames.length;
const firstModel = [...bundle.risk.values()][0] ?? bundle.rul!;
const rows = randomRows(firstModel, POOL, 7).map((r) => Float64Array.from(r));
const inputs: ScoringInput[] = rows.map((values, i) => ({ tenant: 'bench', device: `d${i}`, vector: { status: 'ok', names: card.featureNames, values, at: i } }));
const batchAt = (i: number) => {
  const from = (i * BATCH) % (POOL - BATCH + 1);
  return inputs.slice(from, from + BATCH);
};

interface CaseResult {
  name: string;
  calls: number;
  predictions: number;
  seconds: number;
  p50: number;
  p99: number;
}

async function timed(name: string, batch: number, call: (i: number) => unknown): Promise<CaseResult> {
  const warmUntil = performance.now() + 300;
  for (let i = 0; performance.now() < warmUntil; i++) await call(i);
  const lat: number[] = [];
  const start = performance.now();
  const end = start + SECONDS * 1000;
  for (let i = 0; ; i++) {
    const t0 = performance.now();
    await call(i);
    const t1 = performance.now();
    lat.push(t1 - t0);
    if (t1 >= end) break;
  }
  lat.sort((a, b) => a - b);
  const at = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
  return { name, calls: lat.length, predictions: lat.length * batch, seconds: (performance.now() - start) / 1000, p50: at(0.5), p99: at(0.99) };
}

const t0 = performance.now();
const plain = await BundleScorer.load(bundle, { explain: 'none' });
const explained = await BundleScorer.load(bundle, { explain: 'all' });
const loadMs = (performance.now() - t0) / 2;

const loadBefore = loadavg()[0]!;
const results: CaseResult[] = [];
results.push(await timed('risk + RUL, no explanations, batch 1', 1, (i) => plain.score([inputs[i % POOL]!])));
results.push(await timed(`risk + RUL, no explanations, batch ${BATCH}`, BATCH, (i) => plain.score(batchAt(i))));
results.push(await timed('risk + RUL + TreeSHAP top-5 on every mode, batch 1', 1, (i) => explained.score([inputs[i % POOL]!])));
results.push(await timed(`risk + RUL + TreeSHAP top-5 on every mode, batch ${BATCH}`, BATCH, (i) => explained.score(batchAt(i))));
let sink = 0;
const shapOne = await timed('TreeSHAP alone, one mode, one row', 1, (i) => (sink += shapValues(firstModel, rows[i % POOL]!).base));
const loadAfter = loadavg()[0]!;
await plain.close();
await explained.close();
rmSync(tmp, { recursive: true, force: true });
if (Number.isNaN(sink)) console.log('');

const modes = card.modes.length;
const shapUs = (shapOne.seconds * 1e6) / shapOne.predictions;
const nodes = (m: TreeEnsemble) => m.trees.reduce((n, t) => n + t.feature.length, 0);
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));
const lines = [
  `## ${new Date().toISOString().slice(0, 10)}: online, one bundle = ${modes} risk models + RUL, ${firstModel.trees.length} trees × depth ${values.bundle ? '≤' + values.depth : values.depth}, ${width} features`,
  '',
  ['    node --import tsx bench/scoring-online.ts', ...process.argv.slice(2).filter((a) => a !== '--append')].join(' '),
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, shared (1-min load ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after). ` +
    `Bundle ${values.bundle ?? '(random, full-depth)'}: ${nodes(firstModel).toLocaleString('en-US')} nodes per model, loaded (${modes + 1} onnxruntime sessions, 1 thread each) in ${loadMs.toFixed(0)} ms. ` +
    `${SECONDS} s per case after a 0.3 s warm-up; latency is per score() call.`,
  '',
  '| case | predictions/s | latency p50 (ms) | latency p99 (ms) | calls |',
  '|---|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.name} | ${fmt(r.predictions / r.seconds)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.calls.toLocaleString('en-US')} |`),
  '',
  `TreeSHAP attribution cost: **${fmt(shapUs)} µs per prediction per mode** (p50 ${fmt(shapOne.p50 * 1000)} µs, p99 ${fmt(shapOne.p99 * 1000)} µs), ` +
    `so ${fmt(shapUs * modes)} µs per prediction with all ${modes} modes explained.`,
  '',
];
console.log(lines.join('\n'));
if (values.append) {
  appendFileSync(fileURLToPath(new URL('./scoring.md', import.meta.url)), lines.join('\n') + '\n');
  console.log('appended to bench/scoring.md');
}
