/**
 * Scoring cost of a tree ensemble the size we ship (300 trees, depth 6, 120 features): through
 * onnxruntime-node (models/onnx-scorer.ts, CPU, 1 intra-op thread by default) and through the
 * TypeScript evaluator (models/tree-ensemble.ts `predict`), at batch 1 and batch 256, plus the
 * micro-batcher (`scoreOne`) with 1 and with 256 concurrent callers in a closed loop.
 *
 *   node --import tsx bench/scoring.ts [--seconds 2] [--trees 300] [--depth 6] [--features 120]
 *                                      [--threads 1] [--append]
 *
 * Reports predictions/s and per-call latency p50/p99 (a "call" is one score()/predict batch, or
 * one scoreOne). `--append` adds the result as a section to bench/scoring.md. The model is a
 * random full-depth ensemble (no trainer needed); rows hit thresholds exactly and carry NaNs.
 */
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exportOnnx } from '../models/onnx-export.ts';
import { OnnxScorer } from '../models/onnx-scorer.ts';
import { predict } from '../models/tree-ensemble.ts';
import { randomEnsemble, randomRows } from '../test/models/onnx-random-ensemble.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    trees: { type: 'string', default: '300' },
    depth: { type: 'string', default: '6' },
    features: { type: 'string', default: '120' },
    threads: { type: 'string', default: '1' },
    append: { type: 'boolean', default: false },
  },
  strict: true,
});
const SECONDS = Number(values.seconds);
const TREES = Number(values.trees);
const DEPTH = Number(values.depth);
const FEATURES = Number(values.features);
const THREADS = Number(values.threads);
const BATCH = 256;
const POOL = 4096;

interface CaseResult {
  name: string;
  calls: number;
  predictions: number;
  seconds: number;
  /** Per-call latency, ms. */
  p50: number;
  p99: number;
}

/** Runs `call` back to back for SECONDS after a short warm-up; one latency sample per call. */
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
  return summarize(name, lat, lat.length * batch, (performance.now() - start) / 1000);
}

/** `callers` loops each awaiting one scoreOne at a time, for SECONDS. */
async function closedLoop(name: string, callers: number, call: (i: number) => Promise<unknown>): Promise<CaseResult> {
  const run = async (ms: number, lat: number[] | undefined) => {
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        for (let i = c; performance.now() < end; i += callers) {
          const t0 = performance.now();
          await call(i);
          lat?.push(performance.now() - t0);
        }
      }),
    );
  };
  await run(300, undefined);
  const lat: number[] = [];
  const start = performance.now();
  await run(SECONDS * 1000, lat);
  return summarize(name, lat, lat.length, (performance.now() - start) / 1000);
}

function summarize(name: string, lat: number[], predictions: number, seconds: number): CaseResult {
  lat.sort((a, b) => a - b);
  const at = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
  return { name, calls: lat.length, predictions, seconds, p50: at(0.5), p99: at(0.99) };
}

const model = randomEnsemble({
  objective: 'regression',
  trees: TREES,
  features: FEATURES,
  maxDepth: DEPTH,
  full: true,
  baseScore: 60,
  leafScale: 1,
  seed: 2026,
});
const rows = randomRows(model, POOL, 7);
const flat = new Float32Array(POOL * FEATURES);
rows.forEach((r, i) => flat.set(r, i * FEATURES));
const batchAt = (i: number) => {
  const from = ((i * BATCH) % (POOL - BATCH + 1)) * FEATURES;
  return flat.subarray(from, from + BATCH * FEATURES);
};

const t0 = performance.now();
const bytes = exportOnnx(model, { name: 'bench', version: '1' });
const exportMs = performance.now() - t0;
const t1 = performance.now();
const scorer = await OnnxScorer.load(bytes, { threads: THREADS });
const loadMs = performance.now() - t1;

// Sanity: the two evaluators agree on the bench rows, or the timings compare different work.
const onnxAll = await scorer.score(flat);
let maxDiff = 0;
rows.forEach((r, i) => (maxDiff = Math.max(maxDiff, Math.abs(onnxAll[i]! - predict(model, r)))));

const loadBefore = loadavg()[0]!;
const results: CaseResult[] = [];
results.push(await timed('onnxruntime score(), batch 1', 1, (i) => scorer.score(flat.subarray((i % POOL) * FEATURES, (i % POOL + 1) * FEATURES), 1)));
results.push(await timed(`onnxruntime score(), batch ${BATCH}`, BATCH, (i) => scorer.score(batchAt(i), BATCH)));
results.push(await closedLoop('onnxruntime scoreOne(), 1 caller', 1, (i) => scorer.scoreOne(rows[i % POOL]!)));
results.push(await closedLoop(`onnxruntime scoreOne(), ${BATCH} callers`, BATCH, (i) => scorer.scoreOne(rows[i % POOL]!)));
let sink = 0;
results.push(await timed('TypeScript predict, batch 1', 1, (i) => (sink += predict(model, rows[i % POOL]!))));
results.push(
  await timed(`TypeScript predict, batch ${BATCH}`, BATCH, (i) => {
    const from = (i * BATCH) % (POOL - BATCH + 1);
    for (let k = from; k < from + BATCH; k++) sink += predict(model, rows[k]!);
  }),
);
const loadAfter = loadavg()[0]!;
await scorer.close();
if (Number.isNaN(sink)) console.log(''); // keep `sink` alive so V8 cannot drop the work

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));
const lines = [
  `## ${new Date().toISOString().slice(0, 10)}: ${TREES} trees × depth ${DEPTH}, ${FEATURES} features, onnxruntime ${THREADS} thread(s)`,
  '',
  ['    node --import tsx bench/scoring.ts', ...process.argv.slice(2).filter((a) => a !== '--append')].join(' '),
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, shared (1-min load ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after). ` +
    `Model: ${model.trees.reduce((n, t) => n + t.feature.length, 0).toLocaleString('en-US')} nodes, ONNX ${(bytes.length / 1024).toFixed(0)} KiB, ` +
    `exported in ${exportMs.toFixed(0)} ms, loaded in ${loadMs.toFixed(0)} ms. ${SECONDS} s per case after a 0.3 s warm-up. ` +
    `Max |onnx − TypeScript| over ${POOL} rows: ${maxDiff.toExponential(2)}.`,
  '',
  '| case | predictions/s | latency p50 (ms) | latency p99 (ms) | calls |',
  '|---|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.name} | ${fmt(r.predictions / r.seconds)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.calls.toLocaleString('en-US')} |`),
  '',
];
console.log(lines.join('\n'));
if (values.append) {
  appendFileSync(fileURLToPath(new URL('./scoring.md', import.meta.url)), lines.join('\n') + '\n');
  console.log('appended to bench/scoring.md');
}
