/**
 * Training time at C-MAPSS FD004 scale: 61,000 rows × 120 features (2% NaN, a nonlinear target
 * of a dozen of them plus noise), 500 depth-6 trees, all other options at their defaults,
 * without early stopping so every run grows the same number of trees.
 *
 *   node --import tsx bench/gbdt-training.ts [--rows 61000] [--features 120] [--trees 500] [--depth 6]
 *
 * Recorded (Node 20.20, 2-core AMD EPYC VM shared with other work, load ≈ 0.5, single thread):
 *   61,000 × 120, 500 trees depth 6: 18.5 s (36.9 ms/tree, binning ≈ 1 s of it)
 *   61,000 × 150, 500 trees depth 6: 22.6 s (45.1 ms/tree)
 */
import { parseArgs } from 'node:util';
import { trainGbdt } from '../models/gbdt-trainer.ts';
import { seededRandom } from '../models/seeded-random.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '61000' },
    features: { type: 'string', default: '120' },
    trees: { type: 'string', default: '500' },
    depth: { type: 'string', default: '6' },
  },
});
const n = Number(values.rows);
const d = Number(values.features);
const random = seededRandom(42);
const features = new Float64Array(n * d);
const labels = new Float64Array(n);
for (let i = 0; i < n; i++) {
  const row = i * d;
  for (let f = 0; f < d; f++) {
    // A mix of smooth, heavy-tailed and few-valued (discrete setting) columns, as sensors give.
    const u = random();
    features[row + f] = f % 3 === 0 ? u * 100 : f % 3 === 1 ? Math.log(u + 1e-9) : Math.floor(u * 6);
    if (random() < 0.02) features[row + f] = NaN;
  }
  let y = 0;
  for (let f = 0; f < Math.min(d, 12); f++) {
    const x = features[row + f]!;
    y += Number.isNaN(x) ? 0.5 : f % 2 === 0 ? Math.sin(x / 10) : Math.min(x, 3) * 0.3;
  }
  labels[i] = y + (random() - 0.5) * 0.5;
}
const featureNames = Array.from({ length: d }, (_, f) => `sensor_${f >> 2}__kind_${f & 3}`);

const started = process.hrtime.bigint();
const { model, history } = trainGbdt(
  { features, labels, featureNames },
  { objective: 'regression', nEstimators: Number(values.trees), maxDepth: Number(values.depth), validation: false },
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const leaves = model.trees.reduce((sum, t) => sum + t.feature.filter((f) => f < 0).length, 0);
console.log(
  JSON.stringify({
    rows: n,
    features: d,
    trees: model.trees.length,
    maxDepth: Number(values.depth),
    meanLeaves: +(leaves / model.trees.length).toFixed(1),
    seconds: +seconds.toFixed(2),
    msPerTree: +((seconds * 1000) / model.trees.length).toFixed(1),
    trainRmse: +history.train.at(-1)!.toFixed(4),
    node: process.version,
  }),
);
