/**
 * Random tree ensembles and rows for the ONNX tests: no trainer needed, and the rows are built
 * to hit the edges of the comparison semantics (values exactly on a threshold, NaN).
 */
import { seededRandom } from '../../models/seeded-random.ts';
import type { Tree, TreeEnsemble } from '../../models/tree-ensemble.ts';

/** The trainer's seeded PRNG, so a failing case can be replayed. */
export const rng = seededRandom;

export interface RandomEnsembleOptions {
  objective: TreeEnsemble['objective'];
  trees: number;
  features: number;
  /** Deepest split level; a tree has at most 2^maxDepth leaves. */
  maxDepth: number;
  /** Every node below maxDepth splits (a full tree) instead of stopping at random. */
  full?: boolean;
  baseScore: number;
  /** Leaf values are uniform in [-leafScale, leafScale]. */
  leafScale: number;
  seed: number;
}

export function randomEnsemble(o: RandomEnsembleOptions): TreeEnsemble {
  const rand = rng(o.seed);
  const trees: Tree[] = [];
  for (let t = 0; t < o.trees; t++) trees.push(randomTree(rand, o));
  return {
    objective: o.objective,
    baseScore: o.baseScore,
    trees,
    featureNames: Array.from({ length: o.features }, (_, i) => `f${i}`),
  };
}

function randomTree(rand: () => number, o: RandomEnsembleOptions): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const grow = (depth: number, weight: number): number => {
    const id = feature.length;
    const split = depth < o.maxDepth && (o.full || depth === 0 || rand() < 0.8);
    feature.push(split ? Math.floor(rand() * o.features) : -1);
    threshold.push(split ? randomThreshold(rand) : 0);
    left.push(-1);
    right.push(-1);
    missingLeft.push(split && rand() < 0.5 ? 1 : 0);
    value.push(split ? 0 : (rand() * 2 - 1) * o.leafScale);
    cover.push(weight);
    if (split) {
      const share = 0.2 + rand() * 0.6;
      left[id] = grow(depth + 1, weight * share);
      right[id] = grow(depth + 1, weight * (1 - share));
    }
    return id;
  };
  grow(0, 1000);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    missingLeft: Uint8Array.from(missingLeft),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
  };
}

/** Feature values live in about [-3, 3]; thresholds are float32 with a full mantissa. */
function randomThreshold(rand: () => number): number {
  return Math.fround((rand() * 2 - 1) * 3);
}

/** Every (feature → thresholds used on it) pair, to put rows exactly on split points. */
function thresholdsByFeature(model: TreeEnsemble): number[][] {
  const by: number[][] = model.featureNames.map(() => []);
  for (const tree of model.trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i]!;
      if (f >= 0) by[f]!.push(tree.threshold[i]!);
    }
  }
  return by;
}

/**
 * Rows for parity checks. Each value is, at random: uniform in [-3.5, 3.5], exactly a threshold
 * used on that feature, the next float32 above or below one, or NaN.
 */
export function randomRows(model: TreeEnsemble, n: number, seed: number): Float32Array[] {
  const rand = rng(seed);
  const byFeature = thresholdsByFeature(model);
  const rows: Float32Array[] = [];
  for (let r = 0; r < n; r++) {
    const row = new Float32Array(model.featureNames.length);
    for (let f = 0; f < row.length; f++) {
      const ths = byFeature[f]!;
      const pick = rand();
      if (pick < 0.08) row[f] = NaN;
      else if (pick < 0.4 && ths.length > 0) {
        const th = ths[Math.floor(rand() * ths.length)]!;
        const nudge = rand();
        row[f] = nudge < 0.6 ? th : nextFloat32(th, nudge < 0.8 ? 1 : -1);
      } else row[f] = (rand() * 2 - 1) * 3.5;
    }
    rows.push(row);
  }
  return rows;
}

function nextFloat32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (x === 0) return dir * 1.4e-45;
  bits[0] = bits[0]! + (x > 0 ? 1 : -1) * dir;
  return f[0]!;
}
