/**
 * Grows one regression tree on gradients and hessians, depth-wise (level by level, like XGBoost's
 * default), with histogram split finding and the subtraction trick: of two children only the
 * smaller one's histogram is built from its rows, the sibling's is the parent's minus it.
 *
 * A node owns a contiguous range of `rows`; a split partitions that range in place (stably, so
 * rows stay in ascending order and the histogram pass walks memory forward).
 */
import { binUpperBound, type FeatureBins } from './feature-binning.ts';
import { buildHistogram, findBestSplit, subtractHistogram, type SplitParams } from './histogram-split.ts';
import type { Tree } from './tree-ensemble.ts';

export interface TreeParams extends SplitParams {
  /** Splits stop at this depth (the root is depth 0), so a tree has at most 2^maxDepth leaves. */
  readonly maxDepth: number;
  /** Shrinkage applied to leaf values. */
  readonly learningRate: number;
}

/** The buffers a grower reuses from tree to tree, sized for one training set. */
export interface GrowerWorkspace {
  readonly binned: FeatureBins;
  /** Per training row: the leaf its partition ended in for the last tree, -1 if not sampled. */
  readonly leafOfRow: Int32Array;
  /** Partition scratch, one slot per training row. */
  readonly scratch: Int32Array;
  /** A node's gradients and hessians in row order, for the histogram pass. */
  readonly gathered: Float64Array;
  /** Free histograms; a level holds at most one per open node. */
  readonly freeHistograms: Float64Array[];
}

export interface GrownTree {
  readonly tree: Tree;
  /** Per node: the last bin that goes left (-1 for leaves): the split as the trainer saw it. */
  readonly splitBin: Int32Array;
}

interface OpenNode {
  id: number;
  start: number;
  end: number;
  g: number;
  h: number;
  /** Null at the last level: those nodes only need their sums. */
  hist: Float64Array | null;
}

export function createGrowerWorkspace(binned: FeatureBins): GrowerWorkspace {
  return {
    binned,
    leafOfRow: new Int32Array(binned.nRows),
    scratch: new Int32Array(binned.nRows),
    gathered: new Float64Array(2 * binned.nRows),
    freeHistograms: [],
  };
}

/**
 * Grows a tree over `rows` (ascending training-row indices; reordered in place) using the
 * `features` sampled for it. `gh` interleaves gradient and hessian per training row. Fills
 * `ws.leafOfRow` for the rows given and -1 elsewhere.
 */
export function growTree(
  ws: GrowerWorkspace,
  rows: Int32Array,
  gh: Float64Array,
  features: Int32Array,
  params: TreeParams,
): GrownTree {
  const { binned } = ws;
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const missingLeft: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const splitBin: number[] = [];
  const addNode = (h: number): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    missingLeft.push(0);
    value.push(0);
    cover.push(h);
    splitBin.push(-1);
    return feature.length - 1;
  };
  const acquire = (): Float64Array => ws.freeHistograms.pop() ?? new Float64Array(2 * binned.totalBins);
  const sums = new Float64Array(2);
  ws.leafOfRow.fill(-1);

  const rootHist = acquire();
  buildHistogram(rootHist, binned, rows, 0, rows.length, gh, features, ws.gathered, sums);
  let level: OpenNode[] = [{ id: addNode(sums[1]!), start: 0, end: rows.length, g: sums[0]!, h: sums[1]!, hist: rootHist }];

  for (let depth = 0; level.length > 0; depth++) {
    const next: OpenNode[] = [];
    for (const node of level) {
      const split =
        node.hist && depth < params.maxDepth ? findBestSplit(node.hist, binned, features, node.g, node.h, params) : null;
      if (split === null) {
        const denominator = node.h + params.lambda;
        value[node.id] = denominator > 0 ? (-params.learningRate * node.g) / denominator : 0;
        for (let i = node.start; i < node.end; i++) ws.leafOfRow[rows[i]!] = node.id;
        if (node.hist) ws.freeHistograms.push(node.hist);
        continue;
      }
      const parentHist = node.hist!;
      const mid = partition(ws, rows, node.start, node.end, split.feature, split.bin, split.missingLeft);
      const leftIsSmall = mid - node.start <= node.end - mid;
      const [smallStart, smallEnd] = leftIsSmall ? [node.start, mid] : [mid, node.end];
      // Children at maxDepth never split: their sums are enough, which saves a level of histograms.
      const childrenSplit = depth + 1 < params.maxDepth;
      let smallHist: Float64Array | null = null;
      if (childrenSplit) {
        smallHist = acquire();
        buildHistogram(smallHist, binned, rows, smallStart, smallEnd, gh, features, ws.gathered, sums);
        subtractHistogram(parentHist, smallHist);
      } else {
        sumGradients(rows, smallStart, smallEnd, gh, sums);
        ws.freeHistograms.push(parentHist);
      }
      const small = { g: sums[0]!, h: sums[1]!, hist: smallHist };
      const large = { g: node.g - small.g, h: node.h - small.h, hist: childrenSplit ? parentHist : null };
      const l = leftIsSmall ? small : large;
      const r = leftIsSmall ? large : small;
      const leftId = addNode(l.h);
      const rightId = addNode(r.h);
      feature[node.id] = split.feature;
      threshold[node.id] = binUpperBound(binned, split.feature, split.bin);
      missingLeft[node.id] = split.missingLeft ? 1 : 0;
      splitBin[node.id] = split.bin;
      left[node.id] = leftId;
      right[node.id] = rightId;
      next.push({ id: leftId, start: node.start, end: mid, ...l }, { id: rightId, start: mid, end: node.end, ...r });
    }
    level = next;
  }

  return {
    tree: {
      feature: Int32Array.from(feature),
      threshold: Float64Array.from(threshold),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      missingLeft: Uint8Array.from(missingLeft),
      value: Float64Array.from(value),
      cover: Float64Array.from(cover),
    },
    splitBin: Int32Array.from(splitBin),
  };
}

/**
 * The leaf a binned training row reaches, by bins: the trainer's own routing, used for rows the
 * tree was not grown on. By construction of the bins it equals `leafIndex` on the raw row.
 */
export function binnedLeaf(grown: GrownTree, binned: FeatureBins, row: number): number {
  const { tree, splitBin } = grown;
  const n = binned.nRows;
  let node = 0;
  for (;;) {
    const f = tree.feature[node]!;
    if (f < 0) return node;
    const bin = binned.bins[f * n + row]!;
    const goLeft = bin === binned.binCount[f]! ? tree.missingLeft[node] === 1 : bin <= splitBin[node]!;
    node = goLeft ? tree.left[node]! : tree.right[node]!;
  }
}

function sumGradients(rows: Int32Array, start: number, end: number, gh: Float64Array, sums: Float64Array): void {
  let g = 0;
  let h = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i]!;
    g += gh[2 * r]!;
    h += gh[2 * r + 1]!;
  }
  sums[0] = g;
  sums[1] = h;
}

/** Stable in-place partition of rows[start..end): left rows first. Returns where the right ones start. */
function partition(
  ws: GrowerWorkspace,
  rows: Int32Array,
  start: number,
  end: number,
  f: number,
  lastLeftBin: number,
  nanLeft: boolean,
): number {
  const { bins, nRows } = ws.binned;
  const column = f * nRows;
  const nanBin = ws.binned.binCount[f]!;
  const scratch = ws.scratch;
  let l = start;
  let r = 0;
  for (let i = start; i < end; i++) {
    const row = rows[i]!;
    const bin = bins[column + row]!;
    if (bin === nanBin ? nanLeft : bin <= lastLeftBin) rows[l++] = row;
    else scratch[r++] = row;
  }
  rows.set(scratch.subarray(0, r), l);
  return l;
}
