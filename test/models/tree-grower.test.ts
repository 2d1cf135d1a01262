import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binFeatures, type FeatureMatrix } from '../../models/feature-binning.ts';
import { seededRandom, type Random } from '../../models/seeded-random.ts';
import { leafIndex, type Tree } from '../../models/tree-ensemble.ts';
import { binnedLeaf, createGrowerWorkspace, growTree, type TreeParams } from '../../models/tree-grower.ts';

/** The next float64 above v (v finite, > 0 or < 0 alike via the bit pattern). */
function nextDouble(v: number): number {
  const f = new Float64Array([v]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = bits[0]! + (v >= 0 ? 1n : -1n);
  return f[0]!;
}

/** The next float32 above v (v a float32, not the largest). */
function nextFloat32(v: number): number {
  const f = new Float32Array([v]);
  const bits = new Int32Array(f.buffer);
  bits[0] = bits[0]! + (v >= 0 ? 1 : -1);
  return f[0]!;
}

/**
 * Values that sit on every edge of the float64 → float32 comparison: distinct doubles that round
 * to one float32, midpoints (ties to even), ±0, subnormals, beyond FLT_MAX, ±Infinity, NaN.
 */
const EDGE_VALUES: number[] = (() => {
  const bases = [0, 1, -1, 0.1, -7.25, 123.456, 1e-40, 3.4028234663852886e38, 2 ** 24 + 1];
  const values = [-0, 3.5e38, -3.5e38, Infinity, -Infinity, NaN];
  for (const b of bases) {
    const v = Math.fround(b);
    const up = nextFloat32(v);
    const mid = (v + up) / 2;
    if (Number.isFinite(mid)) values.push(v, b, nextDouble(v), mid, nextDouble(mid), -v, up);
  }
  return values;
})();

function edgeMatrix(random: Random, n: number, d: number): Float64Array {
  const m = new Float64Array(n * d);
  for (let i = 0; i < m.length; i++) {
    m[i] = random() < 0.7 ? EDGE_VALUES[Math.floor(random() * EDGE_VALUES.length)]! : (random() - 0.5) * 10;
  }
  return m;
}

function randomGradients(random: Random, n: number): Float64Array {
  const gh = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    gh[2 * i] = random() * 2 - 1;
    gh[2 * i + 1] = 0.05 + random() * 0.2;
  }
  return gh;
}

const deep: TreeParams = { maxDepth: 10, learningRate: 0.1, lambda: 1, minChildWeight: 0, gamma: 0 };

/**
 * Grows a tree on a sample of the rows and checks that the evaluator sends every row, sampled or
 * not, to the leaf the trainer did (its partition for sampled rows, its bin routing for others).
 */
function assertRoutingAgrees(features: FeatureMatrix, n: number, d: number, maxBins: number, seed: number): Tree {
  const random = seededRandom(seed);
  const binned = binFeatures(features, n, d, maxBins, random);
  const ws = createGrowerWorkspace(binned);
  const sampled = Int32Array.from({ length: n }, (_, i) => i).filter(() => random() < 0.7);
  const grown = growTree(ws, sampled, randomGradients(random, n), Int32Array.from({ length: d }, (_, f) => f), deep);
  for (let r = 0; r < n; r++) {
    const evaluator = leafIndex(grown.tree, features.subarray(r * d, r * d + d));
    const trainer = ws.leafOfRow[r]! >= 0 ? ws.leafOfRow[r]! : binnedLeaf(grown, binned, r);
    assert.equal(evaluator, trainer, `row ${r}: [${Array.from(features.subarray(r * d, r * d + d)).join(', ')}]`);
    assert.equal(binnedLeaf(grown, binned, r), trainer);
  }
  return grown.tree;
}

describe('growTree', () => {
  it('routes every training row as leafIndex does, on float32 edge values (float64 input)', () => {
    const n = 4000;
    const d = 5;
    const tree = assertRoutingAgrees(edgeMatrix(seededRandom(1), n, d), n, d, 8, 1);
    assert.ok(tree.feature.filter((f) => f >= 0).length > 50, 'a deep tree with many splits');
    for (let i = 0; i < tree.feature.length; i++) {
      if (tree.feature[i]! >= 0) assert.equal(tree.threshold[i], Math.fround(tree.threshold[i]!), 'thresholds are float32');
    }
  });

  it('routes every training row as leafIndex does (float32 input, many bins)', () => {
    const n = 3000;
    const d = 4;
    assertRoutingAgrees(Float32Array.from(edgeMatrix(seededRandom(2), n, d)), n, d, 255, 2);
  });

  it('routes every row as leafIndex does, for arbitrary doubles (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.oneof(fc.double(), fc.constantFrom(...EDGE_VALUES), fc.integer({ min: -3, max: 3 })), { minLength: 3, maxLength: 300 }),
        fc.integer({ min: 2, max: 16 }),
        fc.integer(),
        (d, values, maxBins, seed) => {
          const n = Math.floor(values.length / d);
          assertRoutingAgrees(Float64Array.from(values.slice(0, n * d)), n, d, maxBins, seed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps covers additive and leaf values at −η·G/(H+λ) of the rows that reached them', () => {
    const n = 2000;
    const d = 3;
    const random = seededRandom(3);
    const features = edgeMatrix(random, n, d);
    const binned = binFeatures(features, n, d, 32, random);
    const ws = createGrowerWorkspace(binned);
    const gh = randomGradients(random, n);
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const { tree } = growTree(ws, rows, gh, Int32Array.of(0, 1, 2), { ...deep, maxDepth: 6 });
    const g = new Float64Array(tree.feature.length);
    const h = new Float64Array(tree.feature.length);
    for (let r = 0; r < n; r++) {
      g[ws.leafOfRow[r]!]! += gh[2 * r]!;
      h[ws.leafOfRow[r]!]! += gh[2 * r + 1]!;
    }
    for (let i = 0; i < tree.feature.length; i++) {
      if (tree.feature[i]! < 0) {
        assert.ok(Math.abs(tree.cover[i]! - h[i]!) < 1e-9, `leaf ${i} cover`);
        assert.ok(Math.abs(tree.value[i]! - (-0.1 * g[i]!) / (h[i]! + 1)) < 1e-12, `leaf ${i} value`);
      } else {
        const sum = tree.cover[tree.left[i]!]! + tree.cover[tree.right[i]!]!;
        assert.ok(Math.abs(tree.cover[i]! - sum) < 1e-9, `node ${i} cover`);
        assert.ok(tree.cover[tree.left[i]!]! > 0 && tree.cover[tree.right[i]!]! > 0, 'no empty child');
      }
    }
  });
});
