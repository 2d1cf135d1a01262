/**
 * Exact TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent Individualized Feature Attribution for
 * Tree Ensembles", Algorithm 2): the Shapley values of one row's raw score (the margin, before
 * any sigmoid), in O(leaves × depth²) per tree.
 *
 * The value of a feature subset S is the tree's expected output when the features in S are
 * fixed to the row's values and the others are integrated out by the training distribution as
 * the covers record it: at a split on a feature outside S, both children, weighted by
 * cover(child) / cover(node). So `base + Σ values = rawScore(model, row)`, with `base` the
 * cover-weighted expected raw score. A NaN input follows its split's missing branch, as in
 * `leafIndex`.
 */
import { rawScore, type Tree, type TreeEnsemble } from './tree-ensemble.ts';

export interface ShapValues {
  /** The expected raw score: baseScore + Σ per-tree cover-weighted mean leaf value. */
  readonly base: number;
  /** One attribution per feature, on the raw-score scale. */
  readonly values: Float64Array;
}

interface TreeFacts {
  readonly depth: number;
  readonly expected: number;
}

const factsCache = new WeakMap<Tree, TreeFacts>();

/** The Shapley values of `row` for the model's raw score. */
export function shapValues(model: TreeEnsemble, row: ArrayLike<number>): ShapValues {
  const values = new Float64Array(model.featureNames.length);
  let base = model.baseScore;
  let maxDepth = 0;
  for (const tree of model.trees) maxDepth = Math.max(maxDepth, treeFacts(tree).depth);
  const path = createPath(maxDepth);
  for (const tree of model.trees) {
    base += treeFacts(tree).expected;
    if (tree.feature[0]! >= 0) recurse(tree, row, values, path, 0, 0, 0, 1, 1, -1);
  }
  return { base, values };
}

/** The expected raw score under the training distribution (what `shapValues` calls `base`). */
export function expectedRawScore(model: TreeEnsemble): number {
  let sum = model.baseScore;
  for (const tree of model.trees) sum += treeFacts(tree).expected;
  return sum;
}

/** `base + Σ values − rawScore`: zero up to rounding; a check for callers that want one. */
export function additivityError(model: TreeEnsemble, row: ArrayLike<number>, shap: ShapValues): number {
  let sum = shap.base;
  for (const v of shap.values) sum += v;
  return sum - rawScore(model, row);
}

function treeFacts(tree: Tree): TreeFacts {
  let facts = factsCache.get(tree);
  if (!facts) {
    facts = { depth: depthOf(tree, 0), expected: expectedValue(tree, 0) };
    factsCache.set(tree, facts);
  }
  return facts;
}

function depthOf(tree: Tree, node: number): number {
  if (tree.feature[node]! < 0) return 0;
  return 1 + Math.max(depthOf(tree, tree.left[node]!), depthOf(tree, tree.right[node]!));
}

/** Leaf values weighted by the product of cover ratios down the path (= cover(leaf) / cover(root)). */
function expectedValue(tree: Tree, node: number): number {
  if (tree.feature[node]! < 0) return tree.value[node]!;
  const l = tree.left[node]!;
  const r = tree.right[node]!;
  const w = tree.cover[node]!;
  return (tree.cover[l]! / w) * expectedValue(tree, l) + (tree.cover[r]! / w) * expectedValue(tree, r);
}

/**
 * The paper's path m as parallel arrays. Each recursion level works on its own copy, placed
 * right after its parent's, so the whole stack fits in (D + 1)(D + 2)/2 slots for depth D.
 */
interface Path {
  readonly feature: Int32Array;
  /** z: the share of training weight that follows this split's path (the feature not in S). */
  readonly zero: Float64Array;
  /** o: 1 when the row itself follows this path (the feature in S), else 0. */
  readonly one: Float64Array;
  /** w: the permutation weight of each subset size. */
  readonly weight: Float64Array;
}

function createPath(maxDepth: number): Path {
  const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
  return {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  };
}

/**
 * RECURSE(j, m, p_z, p_o, p_i) of Algorithm 2. `parentAt` is where the parent's path starts,
 * `depth` its length (the paper's |m|); this level's path starts right after it.
 */
function recurse(
  tree: Tree,
  row: ArrayLike<number>,
  phi: Float64Array,
  path: Path,
  node: number,
  parentAt: number,
  depth: number,
  zeroFraction: number,
  oneFraction: number,
  featureIndex: number,
): void {
  const at = parentAt + depth;
  for (let i = 0; i < depth; i++) {
    path.feature[at + i] = path.feature[parentAt + i]!;
    path.zero[at + i] = path.zero[parentAt + i]!;
    path.one[at + i] = path.one[parentAt + i]!;
    path.weight[at + i] = path.weight[parentAt + i]!;
  }
  extend(path, at, depth, zeroFraction, oneFraction, featureIndex);

  const split = tree.feature[node]!;
  if (split < 0) {
    const v = tree.value[node]!;
    for (let i = 1; i <= depth; i++) {
      const w = unwoundSum(path, at, depth, i);
      phi[path.feature[at + i]!]! += w * (path.one[at + i]! - path.zero[at + i]!) * v;
    }
    return;
  }

  const x = row[split]!;
  const goLeft = Number.isNaN(x) ? tree.missingLeft[node] === 1 : Math.fround(x) <= tree.threshold[node]!;
  const hot = goLeft ? tree.left[node]! : tree.right[node]!;
  const cold = goLeft ? tree.right[node]! : tree.left[node]!;
  const cover = tree.cover[node]!;

  // A feature met again on the path: undo its earlier extension and carry its fractions on.
  let incomingZero = 1;
  let incomingOne = 1;
  let d = depth;
  let k = 1;
  while (k <= d && path.feature[at + k] !== split) k++;
  if (k <= d) {
    incomingZero = path.zero[at + k]!;
    incomingOne = path.one[at + k]!;
    unwind(path, at, d, k);
    d -= 1;
  }
  recurse(tree, row, phi, path, hot, at, d + 1, (incomingZero * tree.cover[hot]!) / cover, incomingOne, split);
  recurse(tree, row, phi, path, cold, at, d + 1, (incomingZero * tree.cover[cold]!) / cover, 0, split);
}

/** EXTEND: grow the path by one split and update the subset-size weights. */
function extend(path: Path, at: number, depth: number, zero: number, one: number, feature: number): void {
  const w = path.weight;
  path.feature[at + depth] = feature;
  path.zero[at + depth] = zero;
  path.one[at + depth] = one;
  w[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    w[at + i + 1]! += (one * w[at + i]! * (i + 1)) / (depth + 1);
    w[at + i] = (zero * w[at + i]! * (depth - i)) / (depth + 1);
  }
}

/** UNWIND: remove element `index` from a path of length `depth` + 1, undoing its EXTEND. */
function unwind(path: Path, at: number, depth: number, index: number): void {
  const w = path.weight;
  const one = path.one[at + index]!;
  const zero = path.zero[at + index]!;
  let next = w[at + depth]!;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = w[at + i]!;
      w[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (w[at + i]! * zero * (depth - i)) / (depth + 1);
    } else {
      w[at + i] = (w[at + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    path.feature[at + i] = path.feature[at + i + 1]!;
    path.zero[at + i] = path.zero[at + i + 1]!;
    path.one[at + i] = path.one[at + i + 1]!;
  }
}

/** The total weight the path would have with element `index` unwound, without changing it. */
function unwoundSum(path: Path, at: number, depth: number, index: number): number {
  const w = path.weight;
  const one = path.one[at + index]!;
  const zero = path.zero[at + index]!;
  let next = w[at + depth]!;
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = w[at + i]! - (tmp * zero * (depth - i)) / (depth + 1);
    } else if (zero !== 0) {
      total += (w[at + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  return total;
}
