import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPrognosError } from '../../platform/errors.ts';
import { trainGbdt } from '../../models/gbdt-trainer.ts';
import { predict, rawScore, type TreeEnsemble } from '../../models/tree-ensemble.ts';
import { gaussian, row, sliceRows, syntheticDataset, type SyntheticDataset } from './synthetic-dataset.ts';

function rmse(model: TreeEnsemble, data: SyntheticDataset): number {
  let sum = 0;
  for (let i = 0; i < data.labels.length; i++) sum += (predict(model, row(data, i)) - data.labels[i]!) ** 2;
  return Math.sqrt(sum / data.labels.length);
}

/** Probability that a random positive outranks a random negative (ties count half). */
function auc(scores: number[], labels: Float64Array): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let negatives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const midRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (order[k]![1] === 1) rankSum += midRank;
    i = j;
  }
  for (const [, y] of order) (y === 1 ? positives++ : negatives++);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

const quadratic = syntheticDataset({
  rows: 5000,
  features: 5,
  seed: 1,
  label: (x, random) => 3 * x[0]! - 2 * x[1]! ** 2 + 0.1 * gaussian(random),
});

describe('trainGbdt', () => {
  it('lowers the training loss with every tree on a learnable target', () => {
    const data = sliceRows(quadratic, 0, 1000);
    const { history } = trainGbdt(data, { objective: 'regression', nEstimators: 40, maxDepth: 3, validation: false });
    assert.equal(history.train.length, 40);
    for (let i = 1; i < history.train.length; i++) assert.ok(history.train[i]! < history.train[i - 1]!, `tree ${i + 1}`);
  });

  it('learns y = 3·x0 − 2·x1² + noise: low RMSE on held-out rows', () => {
    const train = sliceRows(quadratic, 0, 4000);
    const test = sliceRows(quadratic, 4000, 5000);
    const { model, history } = trainGbdt(train, { objective: 'regression', nEstimators: 400, learningRate: 0.1, maxDepth: 4 });
    const baseline = Math.sqrt(test.labels.reduce((s, y) => s + (y - model.baseScore) ** 2, 0) / test.labels.length);
    const held = rmse(model, test);
    assert.ok(baseline > 3, `label spread ${baseline}`);
    assert.ok(held < 0.35, `held-out RMSE ${held} (baseline ${baseline}, ${model.trees.length} trees)`);
    assert.ok(history.bestTreeCount > 100);
  });

  it('separates a linearly separable binary problem (accuracy, AUC)', () => {
    const data = syntheticDataset({ rows: 3000, features: 4, seed: 2, label: (x) => (x[0]! + x[1]! > 0 ? 1 : 0) });
    const train = sliceRows(data, 0, 2000);
    const test = sliceRows(data, 2000, 3000);
    const { model, history } = trainGbdt(train, { objective: 'binary', nEstimators: 300, learningRate: 0.2, maxDepth: 3 });
    assert.equal(history.metric, 'logloss');
    assert.ok(model.baseScore > -0.3 && model.baseScore < 0.3, 'base score = log-odds of a ~50% mean');
    const p = Array.from(test.labels, (_, i) => predict(model, row(test, i)));
    const accuracy = p.filter((pi, i) => (pi > 0.5 ? 1 : 0) === test.labels[i]).length / p.length;
    assert.ok(accuracy > 0.95, `accuracy ${accuracy}`);
    assert.ok(auc(p, test.labels) > 0.99, `AUC ${auc(p, test.labels)}`);
  });

  it('gives the identical model for the same data, options and seed, and another for another seed', () => {
    const data = syntheticDataset({
      rows: 1500,
      features: 6,
      seed: 3,
      nanRate: 0.05,
      label: (x, random) => Math.sin(x[0]!) + x[2]! * x[3]! + 0.3 * gaussian(random),
    });
    const options = { objective: 'regression' as const, nEstimators: 30, maxDepth: 5, seed: 7 };
    const a = trainGbdt(data, options);
    const b = trainGbdt(data, options);
    assert.deepEqual(a.model, b.model);
    assert.deepEqual(a.history, b.history);
    const c = trainGbdt(data, { ...options, seed: 8 });
    assert.notDeepEqual(c.model.trees, a.model.trees);
  });

  it('accepts a Float32Array matrix, and its final training metric is the evaluator’s', () => {
    const data = syntheticDataset({ rows: 1200, features: 4, seed: 4, nanRate: 0.1, label: (x) => x[0]! * 10 + x[1]! });
    const features = Float32Array.from(data.features);
    const { model, history } = trainGbdt({ ...data, features }, { objective: 'regression', nEstimators: 25, validation: false });
    // The trainer routes by bins, the evaluator by float thresholds: the same sums, bit for bit.
    let sum = 0;
    for (let i = 0; i < data.labels.length; i++) sum += (rawScore(model, features.subarray(i * 4, i * 4 + 4)) - data.labels[i]!) ** 2;
    assert.equal(Math.sqrt(sum / data.labels.length), history.train.at(-1));
  });

  it('stops early, truncates to the best tree count, and holds out whole units', () => {
    // A weak signal in strong noise: at this learning rate validation loss bottoms out early.
    const data = syntheticDataset({ rows: 2000, features: 5, seed: 5, rowsPerUnit: 50, label: (x, random) => x[0]! + gaussian(random) });
    const { model, history } = trainGbdt(data, {
      objective: 'regression',
      nEstimators: 500,
      learningRate: 0.3,
      earlyStoppingRounds: 10,
      validation: { fraction: 0.25 },
    });
    assert.equal(history.stoppedEarly, true);
    assert.equal(model.trees.length, history.bestTreeCount);
    assert.equal(history.validation.length, history.bestTreeCount + 10);
    assert.ok(history.bestTreeCount > 0 && history.bestTreeCount < 100, `best at ${history.bestTreeCount} trees`);
    assert.equal(history.validation[history.bestTreeCount - 1], Math.min(...history.validation));

    const heldUnits = new Set(Array.from(history.validationRows, (r) => data.groups[r]));
    assert.equal(heldUnits.size, 10, '25% of 40 units');
    const held = new Set(history.validationRows);
    for (let r = 0; r < data.labels.length; r++) {
      if (!held.has(r)) assert.ok(!heldUnits.has(data.groups[r]!), `row ${r} of held-out unit ${data.groups[r]} was trained on`);
    }
    assert.equal(history.validationRows.length, 500);
  });

  it('takes the unit ids from validation.groups, or an explicit validation set', () => {
    const data = syntheticDataset({ rows: 800, features: 3, seed: 6, label: (x) => x[0]! });
    const units = Array.from(data.labels, (_, i) => (i < 400 ? 'a' : 'b'));
    const byUnit = trainGbdt(data, { objective: 'regression', nEstimators: 5, validation: { groups: units } });
    assert.equal(byUnit.history.validationRows.length, 400);

    const explicit = sliceRows(data, 600, 800);
    const { history } = trainGbdt(sliceRows(data, 0, 600), { objective: 'regression', nEstimators: 20, validation: explicit });
    assert.equal(history.validation.length, 20);
    assert.equal(history.validationRows.length, 0);
    assert.ok(history.validation[19]! < history.validation[0]!);
  });

  it('uses a feature that is NaN exactly when the label is high', () => {
    const data = syntheticDataset({ rows: 2000, features: 4, seed: 7, label: (_x, random) => (random() < 0.3 ? 1 : 0) });
    for (let i = 0; i < data.labels.length; i++) data.features[i * 4 + 2] = data.labels[i] === 1 ? NaN : data.features[i * 4 + 2]!;
    for (const objective of ['regression', 'binary'] as const) {
      const { model } = trainGbdt(data, { objective, nEstimators: 60, learningRate: 0.3, maxDepth: 2, colsampleByTree: 1, validation: false });
      assert.equal(model.trees[0]!.feature[0], 2, `${objective}: the first split is on the NaN-marked feature`);
      for (let i = 0; i < data.labels.length; i++) {
        const p = predict(model, row(data, i));
        assert.ok(Math.abs(p - data.labels[i]!) < 0.1, `${objective} row ${i}: ${p} for label ${data.labels[i]}`);
      }
      // A NaN the model never saw elsewhere still takes the learnt missing branch.
      assert.ok(predict(model, [0.5, 0.5, NaN, 0.5]) > 0.9);
    }
  });

  it('rejects bad input with a coded error', () => {
    const data = syntheticDataset({ rows: 100, features: 2, seed: 8, label: (x) => x[0]! });
    const bad = (fn: () => unknown) => assert.throws(fn, (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
    bad(() => trainGbdt(data, { objective: 'binary' }));
    bad(() => trainGbdt({ ...data, features: data.features.subarray(1) }, { objective: 'regression' }));
    bad(() => trainGbdt(data, { objective: 'regression', subsample: 0 }));
    bad(() => trainGbdt(data, { objective: 'regression', validation: { groups: new Int32Array(100) } }));
    bad(() => trainGbdt(data, { objective: 'regression', validation: { features: new Float64Array(0), labels: new Float64Array(0) } }));
  });
});
