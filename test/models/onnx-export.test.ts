import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { isPrognosError } from '../../platform/errors.ts';
import {
  exportOnnx,
  INPUT_NAME,
  IR_VERSION,
  LABEL_OUTPUT,
  ML_DOMAIN,
  ONNX_ML_OPSET,
  ONNX_OPSET,
  PROBABILITIES_OUTPUT,
  readModelCard,
} from '../../models/onnx-export.ts';
import { decodeModel, encodeModel } from '../../models/onnx-proto.ts';
import { predict, rawScore, type TreeEnsemble } from '../../models/tree-ensemble.ts';
import { randomEnsemble, randomRows } from './onnx-random-ensemble.ts';

const D = 20;
const TOLERANCE = 1e-5;

/** Runs the exported model in onnxruntime directly (no OnnxScorer) and returns every output. */
async function runOnnx(bytes: Uint8Array, rows: Float32Array[]): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const width = rows[0]!.length;
    const flat = new Float32Array(rows.length * width);
    rows.forEach((r, i) => flat.set(r, i * width));
    return await session.run({ [INPUT_NAME]: new ort.Tensor('float32', flat, [rows.length, width]) });
  } finally {
    await session.release();
  }
}

/** Max |onnx - predict| over the rows, failing on the first row beyond the tolerance. */
function assertParity(model: TreeEnsemble, rows: Float32Array[], onnx: ArrayLike<number>, stride = 1, col = 0): number {
  let max = 0;
  for (let i = 0; i < rows.length; i++) {
    const want = predict(model, rows[i]!);
    const got = onnx[i * stride + col]!;
    const diff = Math.abs(got - want);
    if (!(diff <= TOLERANCE)) assert.fail(`row ${i}: onnx ${got}, TypeScript ${want} (diff ${diff})`);
    max = Math.max(max, diff);
  }
  return max;
}

test('regression: onnxruntime matches the TypeScript evaluator on rows at thresholds and with NaN', async (t) => {
  const model = randomEnsemble({
    objective: 'regression',
    trees: 120,
    features: D,
    maxDepth: 6,
    baseScore: 60,
    leafScale: 2,
    seed: 11,
  });
  const rows = randomRows(model, 5000, 12);
  const out = await runOnnx(exportOnnx(model, { name: 'rul', version: '1' }), rows);
  const scores = out.score!;
  assert.deepEqual(scores.dims, [rows.length, 1]);
  const max = assertParity(model, rows, scores.data as Float32Array);
  t.diagnostic(`max |onnx - ts| = ${max} over ${rows.length} rows`);

  // The rows have teeth: an evaluator with `<` or with NaN sent the other way disagrees on many.
  const strict = rows.filter((r) => predict(model, r) !== scoreWith(model, r, (x, th, ml) => (Number.isNaN(x) ? ml : x < th)));
  const nanFlipped = rows.filter((r) => predict(model, r) !== scoreWith(model, r, (x, th, ml) => (Number.isNaN(x) ? !ml : x <= th)));
  assert.ok(strict.length > 100 && nanFlipped.length > 100, `${strict.length} / ${nanFlipped.length}`);
});

/** rawScore with another split rule, to show the parity rows would catch a wrong one. */
function scoreWith(model: TreeEnsemble, row: Float32Array, goLeft: (x: number, th: number, missingLeft: boolean) => boolean): number {
  let sum = model.baseScore;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node]! >= 0) {
      const left = goLeft(row[tree.feature[node]!]!, tree.threshold[node]!, tree.missingLeft[node] === 1);
      node = left ? tree.left[node]! : tree.right[node]!;
    }
    sum += tree.value[node]!;
  }
  return sum;
}

test('binary: probabilities are [1 - p, p] with p the TypeScript probability, and label is p > 0.5', async (t) => {
  const model = randomEnsemble({
    objective: 'binary',
    trees: 120,
    features: D,
    maxDepth: 6,
    baseScore: -1.2,
    leafScale: 0.4,
    seed: 21,
  });
  const rows = randomRows(model, 5000, 22);
  const out = await runOnnx(exportOnnx(model, { name: 'failure-30d', version: '1' }), rows);
  const probs = out[PROBABILITIES_OUTPUT]!;
  assert.deepEqual(probs.dims, [rows.length, 2]);
  const p = probs.data as Float32Array;
  const max = assertParity(model, rows, p, 2, 1);
  for (let i = 0; i < rows.length; i++) {
    assert.ok(Math.abs(p[2 * i]! - (1 - p[2 * i + 1]!)) <= 1e-6, `row ${i}: columns do not sum to 1`);
  }
  assertLabels(model, rows, out[LABEL_OUTPUT]!.data as BigInt64Array);
  t.diagnostic(`max |onnx - ts| = ${max} over ${rows.length} rows`);
});

test('binary with every leaf >= 0 still gets the sigmoid and a margin label', async () => {
  const model = randomEnsemble({
    objective: 'binary',
    trees: 8,
    features: D,
    maxDepth: 4,
    baseScore: -0.9,
    leafScale: 0.3,
    seed: 31,
  });
  for (const tree of model.trees) {
    const value = tree.value as Float64Array;
    for (let i = 0; i < value.length; i++) value[i] = Math.abs(value[i]!);
  }
  const rows = randomRows(model, 2000, 32);
  const out = await runOnnx(exportOnnx(model, { name: 'pos', version: '1' }), rows);
  assertParity(model, rows, out[PROBABILITIES_OUTPUT]!.data as Float32Array, 2, 1);
  assertLabels(model, rows, out[LABEL_OUTPUT]!.data as BigInt64Array);
});

function assertLabels(model: TreeEnsemble, rows: Float32Array[], labels: BigInt64Array): void {
  let checked = 0;
  for (let i = 0; i < rows.length; i++) {
    const z = rawScore(model, rows[i]!);
    if (Math.abs(z) < 1e-9) continue; // the sign of ~0 depends on summation order
    assert.equal(labels[i], z > 0 ? 1n : 0n, `row ${i}: margin ${z}`);
    checked++;
  }
  assert.ok(checked > rows.length * 0.9);
  assert.ok(labels.includes(0n) && labels.includes(1n), 'the rows should cover both labels');
}

test('a model with no trees scores its base', async () => {
  const rows = randomRows(randomEnsemble({ objective: 'regression', trees: 1, features: D, maxDepth: 2, baseScore: 0, leafScale: 1, seed: 1 }), 4, 2);
  const featureNames = Array.from({ length: D }, (_, i) => `f${i}`);
  for (const objective of ['regression', 'binary'] as const) {
    const model: TreeEnsemble = { objective, baseScore: 0.7, trees: [], featureNames };
    const out = await runOnnx(exportOnnx(model, { name: 'empty', version: '1' }), rows);
    const data = (objective === 'binary' ? out[PROBABILITIES_OUTPUT] : out.score)!.data as Float32Array;
    assertParity(model, rows, data, objective === 'binary' ? 2 : 1, objective === 'binary' ? 1 : 0);
  }
});

test('the model card and ONNX header round-trip', () => {
  const model = randomEnsemble({ objective: 'binary', trees: 3, features: 5, maxDepth: 3, baseScore: 0.25, leafScale: 1, seed: 41 });
  const named: TreeEnsemble = { ...model, featureNames: ['vibration_rms', 'temp_c', 'current_a', 'ΔT "ambient"', 'hours'] };
  const bytes = exportOnnx(named, {
    name: 'pump-failure',
    version: '42',
    producer: 'gbdt-trainer 0.3.0',
    docString: 'P(failure within 30 days)',
  });

  assert.deepEqual(readModelCard(bytes), {
    name: 'pump-failure',
    version: '42',
    objective: 'binary',
    featureNames: named.featureNames,
    output: PROBABILITIES_OUTPUT,
    trees: 3,
    baseScore: 0.25,
    producer: 'prognos gbdt-trainer 0.3.0',
  });

  const proto = decodeModel(bytes);
  assert.equal(proto.ir_version, IR_VERSION);
  assert.equal(proto.producer_name, 'prognos');
  assert.equal(proto.producer_version, 'gbdt-trainer 0.3.0');
  assert.equal(proto.model_version, 42);
  assert.equal(proto.doc_string, 'P(failure within 30 days)');
  assert.deepEqual(
    proto.opset_import.map((o) => [o.domain, o.version]),
    [
      ['', ONNX_OPSET],
      [ML_DOMAIN, ONNX_ML_OPSET],
    ],
  );
  assert.equal(proto.graph.name, 'pump-failure');
  assert.deepEqual(
    proto.graph.node.map((n) => [n.op_type, n.domain]),
    [
      ['Cast', ''],
      ['TreeEnsembleClassifier', ML_DOMAIN],
    ],
  );
  const input = proto.graph.input[0]!.type.tensor_type;
  assert.deepEqual(input.shape.dim.map((d) => d.dim_param || d.dim_value), ['N', 5]);
});

test('a version that is not an integer stays text and the regression output can be renamed', async () => {
  const model = randomEnsemble({ objective: 'regression', trees: 2, features: D, maxDepth: 2, baseScore: 100, leafScale: 5, seed: 51 });
  const bytes = exportOnnx(model, { name: 'rul', version: '2026.11.24-rc1', outputName: 'rul' });
  const card = readModelCard(bytes);
  assert.equal(card.version, '2026.11.24-rc1');
  assert.equal(card.output, 'rul');
  assert.equal(card.producer, 'prognos');
  assert.equal(decodeModel(bytes).model_version, 0);
  const rows = randomRows(model, 10, 52);
  assertParity(model, rows, (await runOnnx(bytes, rows)).rul!.data as Float32Array);
});

test('a 300-tree depth-6 model exports, loads and keeps parity', async (t) => {
  const model = randomEnsemble({
    objective: 'regression',
    trees: 300,
    features: D,
    maxDepth: 6,
    full: true,
    baseScore: 60,
    leafScale: 1,
    seed: 61,
  });
  const started = performance.now();
  const bytes = exportOnnx(model, { name: 'big', version: '1' });
  const exportMs = performance.now() - started;
  assert.equal(model.trees.reduce((n, tr) => n + tr.feature.length, 0), 300 * 127);
  const rows = randomRows(model, 2000, 62);
  const max = assertParity(model, rows, (await runOnnx(bytes, rows)).score!.data as Float32Array);
  t.diagnostic(`${(bytes.length / 1024).toFixed(0)} KiB, exported in ${exportMs.toFixed(0)} ms, max diff ${max}`);
});

test('export refuses trees the runtime would read differently', () => {
  const model = randomEnsemble({ objective: 'regression', trees: 1, features: D, maxDepth: 2, baseScore: 0, leafScale: 1, seed: 71 });
  const tree = model.trees[0]!;
  (tree.threshold as Float64Array)[0] = 0.1; // not a float32 value
  assert.throws(() => exportOnnx(model, { name: 'x', version: '1' }), (e) => isPrognosError(e, 'PRG_MODEL_INVALID') && /float32/.test(e.message));
  (tree.threshold as Float64Array)[0] = Math.fround(0.1);
  (tree.feature as Int32Array)[0] = D;
  assert.throws(() => exportOnnx(model, { name: 'x', version: '1' }), /outside the 20 features/);
});

test('a file that is not a prognos model has no card', () => {
  assert.throws(() => readModelCard(new Uint8Array([0xff, 0xff, 0xff])), (e) => isPrognosError(e, 'PRG_MODEL_INVALID'));
  const noCard = exportOnnx(
    randomEnsemble({ objective: 'regression', trees: 1, features: 3, maxDepth: 1, baseScore: 0, leafScale: 1, seed: 1 }),
    { name: 'x', version: '1' },
  );
  const proto = decodeModel(noCard);
  proto.metadata_props = proto.metadata_props.filter((e) => e.key !== 'feature_names');
  assert.throws(
    () => readModelCard(encodeModel(proto)),
    (e) => isPrognosError(e, 'PRG_MODEL_INVALID') && /feature_names/.test(e.message),
  );
});
