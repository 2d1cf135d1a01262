import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import { ManualClock } from '../../platform/clock.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { exportOnnx } from '../../models/onnx-export.ts';
import { OnnxScorer } from '../../models/onnx-scorer.ts';
import { predict, type TreeEnsemble } from '../../models/tree-ensemble.ts';
import { randomEnsemble, randomRows } from './onnx-random-ensemble.ts';

const D = 20;

function model(objective: TreeEnsemble['objective'], seed: number): TreeEnsemble {
  return randomEnsemble({
    objective,
    trees: 40,
    features: D,
    maxDepth: 6,
    baseScore: objective === 'binary' ? -0.5 : 50,
    leafScale: objective === 'binary' ? 0.4 : 3,
    seed,
  });
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5, `row ${i}: scorer ${got[i]}, TypeScript ${want[i]}`);
  }
}

/** Whether a promise has settled, after letting pending I/O callbacks run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await tick();
  return done;
}

for (const objective of ['regression', 'binary'] as const) {
  test(`${objective}: score() takes rows or one row-major array and matches predict`, async (t) => {
    const m = model(objective, objective === 'binary' ? 2 : 1);
    const scorer = await OnnxScorer.load(exportOnnx(m, { name: objective, version: '1' }));
    t.after(() => scorer.close());
    const rows = randomRows(m, 1000, 3);
    const want = rows.map((r) => predict(m, r));
    assertClose(await scorer.score(rows), want);

    const flat = new Float32Array(rows.length * D);
    rows.forEach((r, i) => flat.set(r, i * D));
    assertClose(await scorer.score(flat), want);
    assertClose(await scorer.score(flat.subarray(0, 10 * D), 10), want.slice(0, 10));
    assert.equal((await scorer.score([])).length, 0);
  });
}

test('scoreOne: concurrent callers each get their own row, in full batches', async (t) => {
  // A manual clock, so no row's deadline passes while the 1000 calls are being made.
  const clock = new ManualClock();
  const m = model('binary', 4);
  const scorer = await OnnxScorer.load(exportOnnx(m, { name: 'b', version: '1' }), { clock });
  t.after(() => scorer.close());
  const rows = randomRows(m, 1000, 5);
  // Plain number[] rows work too.
  const pending = Promise.all(rows.map((r) => scorer.scoreOne(Array.from(r))));
  clock.advance(2); // the last 1000 - 3 × 256 rows are not a full batch: they go at their deadline
  assertClose(await pending, rows.map((r) => predict(m, r)));
  assert.equal(scorer.batchesRun, Math.ceil(1000 / 256));
});

test('scoreOne: callers arriving over time are answered in their own order', async (t) => {
  const m = model('regression', 6);
  const scorer = await OnnxScorer.load(exportOnnx(m, { name: 'r', version: '1' }), { maxBatch: 16, maxDelayMs: 1 });
  t.after(() => scorer.close());
  const rows = randomRows(m, 300, 7);
  const answered: number[] = [];
  const pending: Promise<number>[] = [];
  for (let i = 0; i < rows.length; i++) {
    pending.push(scorer.scoreOne(rows[i]!).then((s) => (answered.push(i), s)));
    if (i % 37 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  assertClose(await Promise.all(pending), rows.map((r) => predict(m, r)));
  assert.deepEqual(answered, rows.map((_, i) => i));
  assert.ok(scorer.batchesRun >= Math.ceil(300 / 16) && scorer.batchesRun < 300, `${scorer.batchesRun} batches`);
});

test('scoreOne: a lone row waits maxDelayMs, a full batch does not, a row queued mid-run waits its own', async (t) => {
  const clock = new ManualClock();
  const m = model('regression', 8);
  const scorer = await OnnxScorer.load(exportOnnx(m, { name: 'r', version: '1' }), { clock, maxBatch: 4, maxDelayMs: 2 });
  t.after(() => scorer.close());
  const rows = randomRows(m, 6, 9);

  const first = scorer.scoreOne(rows[0]!);
  clock.advance(1);
  const second = scorer.scoreOne(rows[1]!);
  assert.equal(await settled(first), false);
  clock.advance(1); // 2 ms after the first row: both go in one batch
  assertClose([await first, await second], [predict(m, rows[0]!), predict(m, rows[1]!)]);
  assert.equal(scorer.batchesRun, 1);

  const full = rows.slice(2, 6).map((r) => scorer.scoreOne(r)); // maxBatch rows, clock never moves
  const late = scorer.scoreOne(rows[0]!); // queued while the full batch runs
  assertClose(await Promise.all(full), rows.slice(2, 6).map((r) => predict(m, r)));
  assert.equal(scorer.batchesRun, 2);
  assert.equal(await settled(late), false, 'a row queued during a run still waits for its own deadline');
  clock.advance(2);
  assertClose([await late], [predict(m, rows[0]!)]);
  assert.equal(scorer.batchesRun, 3);
});

test('rows of the wrong width are refused; a queued row is a copy', async (t) => {
  const m = model('regression', 10);
  const scorer = await OnnxScorer.load(exportOnnx(m, { name: 'r', version: '1' }));
  t.after(() => scorer.close());
  const bad = (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST');
  await assert.rejects(scorer.scoreOne(new Float32Array(D - 1)), bad);
  await assert.rejects(scorer.score([new Float32Array(D), new Float32Array(D + 1)]), bad);
  await assert.rejects(scorer.score(new Float32Array(D * 3 + 1)), bad);
  await assert.rejects(scorer.score(new Float32Array(D * 3), 2), bad);
  const row = randomRows(m, 1, 11)[0]!;
  const want = predict(m, row);
  const reused = Float32Array.from(row);
  const pending = scorer.scoreOne(reused);
  reused.fill(0); // a caller may reuse its buffer once scoreOne has returned
  assertClose([await pending], [want]);
});

test('load reads a model file and its card; close scores what is queued, then refuses', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'prognos-onnx-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const m = { ...model('binary', 12), featureNames: Array.from({ length: D }, (_, i) => `sensor_${i}`) };
  const path = join(dir, 'failure.onnx');
  await writeFile(path, exportOnnx(m, { name: 'failure', version: '7', producer: 'test' }));

  const scorer = await OnnxScorer.load(path, { maxDelayMs: 1000 });
  assert.equal(scorer.width, D);
  assert.deepEqual(scorer.card.featureNames, m.featureNames);
  assert.equal(scorer.card.version, '7');
  assert.equal(scorer.card.objective, 'binary');

  const rows = randomRows(m, 3, 13);
  const queued = rows.map((r) => scorer.scoreOne(r)); // would wait a second for company
  await scorer.close();
  assertClose(await Promise.all(queued), rows.map((r) => predict(m, r)));
  await assert.rejects(scorer.scoreOne(rows[0]!), /closed/);
  await assert.rejects(scorer.score(rows), /closed/);
  await scorer.close(); // idempotent
});
