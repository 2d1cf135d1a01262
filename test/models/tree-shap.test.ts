import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { trainGbdt } from '../../models/gbdt-trainer.ts';
import { seededRandom, type Random } from '../../models/seeded-random.ts';
import { rawScore, type Tree, type TreeEnsemble } from '../../models/tree-ensemble.ts';
import { expectedRawScore, shapValues } from '../../models/tree-shap.ts';
import { gaussian, row, syntheticDataset } from './synthetic-dataset.ts';

/**
 * E[tree | x_S] as TreeSHAP defines it: a split on a feature in S follows the row (NaN by the
 * missing branch); any other split averages its children by cover(child) / cover(node).
 */
function conditionalExpectation(tree: Tree, x: ArrayLike<number>, known: (f: number) => boolean, node = 0): number {
  const f = tree.feature[node]!;
  if (f < 0) return tree.value[node]!;
  const l = tree.left[node]!;
  const r = tree.right[node]!;
  if (known(f)) {
    const v = x[f]!;
    const left = Number.isNaN(v) ? tree.missingLeft[node] === 1 : Math.fround(v) <= tree.threshold[node]!;
    return conditionalExpectation(tree, x, known, left ? l : r);
  }
  const w = tree.cover[node]!;
  return (tree.cover[l]! / w) * conditionalExpectation(tree, x, known, l) + (tree.cover[r]! / w) * conditionalExpectation(tree, x, known, r);
}

/** Shapley values by the definition: every subset of the other features, with its weight. */
function bruteForceShap(model: TreeEnsemble, x: ArrayLike<number>): { base: number; values: Float64Array } {
  const m = model.featureNames.length;
  const value = new Float64Array(1 << m);
  for (let mask = 0; mask < 1 << m; mask++) {
    let sum = model.baseScore;
    for (const tree of model.trees) sum += conditionalExpectation(tree, x, (f) => ((mask >> f) & 1) === 1);
    value[mask] = sum;
  }
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
  const phi = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if ((mask >> i) & 1) continue;
      let size = 0;
      for (let b = mask; b; b &= b - 1) size++;
      const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      phi[i]! += weight * (value[mask | (1 << i)]! - value[mask]!);
    }
  }
  return { base: value[0]!, values: phi };
}

/** Thresholds from a small set, so that rows land exactly on them too. */
const GRID = [-1, -0.5, 0, 0.1, 0.5, 1];

/** A random tree over `features` features (repeats along a path welcome), positive covers. */
function randomTree(random: Random, features: number, maxDepth: number): Tree {
  const nodes: { feature: number; threshold: number; left: number; right: number; missingLeft: number; value: number; cover: number }[] = [];
  const grow = (depth: number): number => {
    const id = nodes.length;
    const split = depth < maxDepth && (depth === 0 || random() < 0.75);
    nodes.push({
      feature: split ? Math.floor(random() * features) : -1,
      threshold: split ? GRID[Math.floor(random() * GRID.length)]! : 0,
      left: -1,
      right: -1,
      missingLeft: random() < 0.5 ? 1 : 0,
      value: split ? 0 : gaussian(random),
      cover: split ? 0 : 0.5 + random() * 10,
    });
    if (split) {
      const l = grow(depth + 1);
      const r = grow(depth + 1);
      Object.assign(nodes[id]!, { left: l, right: r, cover: nodes[l]!.cover + nodes[r]!.cover });
    }
    return id;
  };
  grow(0);
  return {
    feature: Int32Array.from(nodes, (n) => n.feature),
    threshold: Float64Array.from(nodes, (n) => n.threshold),
    left: Int32Array.from(nodes, (n) => n.left),
    right: Int32Array.from(nodes, (n) => n.right),
    missingLeft: Uint8Array.from(nodes, (n) => n.missingLeft),
    value: Float64Array.from(nodes, (n) => n.value),
    cover: Float64Array.from(nodes, (n) => n.cover),
  };
}

function randomRow(random: Random, features: number, nanRate: number): number[] {
  return Array.from({ length: features }, () =>
    random() < nanRate ? NaN : random() < 0.3 ? GRID[Math.floor(random() * GRID.length)]! : random() * 3 - 1.5,
  );
}

function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

describe('shapValues', () => {
  it('agrees with brute-force Shapley values on small random ensembles (1e-9)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), (seed, depth, nTrees) => {
        const random = seededRandom(seed);
        const m = 2 + Math.floor(random() * 5);
        const model: TreeEnsemble = {
          objective: random() < 0.5 ? 'binary' : 'regression',
          baseScore: gaussian(random),
          trees: Array.from({ length: nTrees }, () => randomTree(random, m, depth)),
          featureNames: Array.from({ length: m }, (_, f) => `f${f}`),
        };
        for (let k = 0; k < 3; k++) {
          const x = randomRow(random, m, 0.2);
          const shap = shapValues(model, x);
          const exact = bruteForceShap(model, x);
          assertClose(shap.base, exact.base, 1e-9, 'base');
          for (let f = 0; f < m; f++) assertClose(shap.values[f]!, exact.values[f]!, 1e-9, `feature ${f}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with brute force on a trained model', () => {
    const data = syntheticDataset({
      rows: 600,
      features: 6,
      seed: 11,
      nanRate: 0.1,
      label: (x, random) => x[0]! * x[1]! + Math.abs(x[2]!) + 0.1 * gaussian(random),
    });
    const { model } = trainGbdt(data, { objective: 'regression', nEstimators: 15, maxDepth: 4, learningRate: 0.3, validation: false });
    for (let i = 0; i < 20; i++) {
      const shap = shapValues(model, row(data, i));
      const exact = bruteForceShap(model, row(data, i));
      assertClose(shap.base, exact.base, 1e-9, 'base');
      for (let f = 0; f < 6; f++) assertClose(shap.values[f]!, exact.values[f]!, 1e-9, `row ${i} feature ${f}`);
    }
  });

  for (const objective of ['regression', 'binary'] as const) {
    it(`adds up to the raw score on thousands of rows (${objective}, 1e-6)`, () => {
      const data = syntheticDataset({
        rows: 3000,
        features: 8,
        seed: objective === 'binary' ? 12 : 13,
        nanRate: 0.05,
        label: (x, random) => {
          const z = 2 * x[0]! - x[1]! * x[2]! + Math.sin(3 * x[3]!) + 0.3 * gaussian(random);
          return objective === 'binary' ? (z > 0.2 ? 1 : 0) : z;
        },
      });
      const { model } = trainGbdt(data, { objective, nEstimators: 80, maxDepth: 6, learningRate: 0.2 });
      assert.ok(model.trees.length > 10);
      const random = seededRandom(14);
      const unused = new Set(Array.from({ length: 8 }, (_, f) => f).filter((f) => model.trees.every((t) => !t.feature.includes(f))));
      for (let i = 0; i < 2000; i++) {
        // Half training rows, half fresh rows (other values, more NaN).
        const x = i % 2 === 0 ? row(data, i) : randomRow(random, 8, 0.15).map((v) => v * 1.7);
        const { base, values } = shapValues(model, x);
        let sum = base;
        for (const v of values) sum += v;
        assertClose(sum, rawScore(model, x), 1e-6, `row ${i}`);
        for (const f of unused) assert.equal(values[f], 0, `unused feature ${f}`);
      }
    });
  }

  it('takes as base the expected raw score: the training mean when covers count rows', () => {
    // Regression, every row in every tree: covers are row counts.
    const data = syntheticDataset({ rows: 1000, features: 3, seed: 15, label: (x) => x[0]! + x[1]! ** 2 });
    const { model } = trainGbdt(data, { objective: 'regression', nEstimators: 30, subsample: 1, validation: false });
    let mean = 0;
    for (let i = 0; i < 1000; i++) mean += rawScore(model, row(data, i)) / 1000;
    assertClose(expectedRawScore(model), mean, 1e-9, 'expected raw score');
    assert.equal(shapValues(model, row(data, 0)).base, expectedRawScore(model));
  });

  it('attributes nothing for a model of leaves only', () => {
    const leaf: Tree = {
      feature: Int32Array.of(-1),
      threshold: Float64Array.of(0),
      left: Int32Array.of(-1),
      right: Int32Array.of(-1),
      missingLeft: Uint8Array.of(0),
      value: Float64Array.of(0.25),
      cover: Float64Array.of(10),
    };
    const shap = shapValues({ objective: 'binary', baseScore: -1, trees: [leaf], featureNames: ['a', 'b'] }, [1, 2]);
    assert.equal(shap.base, -0.75);
    assert.deepEqual(shap.values, new Float64Array(2));
  });
});
