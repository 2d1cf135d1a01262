/**
 * Gradient/hessian histograms and the best split they allow (second-order gain, XGBoost style).
 *
 * A histogram holds, per feature and bin, the sum of gradients and of hessians of the rows of
 * one node: slot `2 * (offset[f] + bin)` is the gradient sum, the next one the hessian sum.
 */
import type { FeatureBins } from './feature-binning.ts';

export interface SplitParams {
  /** L2 penalty on leaf values. */
  readonly lambda: number;
  /** Least hessian sum a child may have. */
  readonly minChildWeight: number;
  /** Least gain a split must bring. */
  readonly gamma: number;
}

export interface Split {
  readonly gain: number;
  readonly feature: number;
  /** Non-NaN bins 0..bin go left. */
  readonly bin: number;
  readonly missingLeft: boolean;
}

/**
 * Below this a child is empty: a hessian sum obtained by subtraction (parent − sibling) can be
 * rounding noise instead of 0, and an empty child would have cover 0 (TreeSHAP divides by it).
 */
const MIN_HESSIAN = 1e-6;
/** Gains this small are rounding noise, not structure. */
const MIN_GAIN = 1e-12;
/** A NaN bin lighter than this share of the node is noise left by subtraction. */
const NAN_NOISE = 1e-9;

/**
 * Zeroes `hist`, fills it from rows[start..end) and returns their gradient and hessian sums in
 * `sums`. The node's gradients are first gathered in row order into `gathered` (2 slots per
 * row); then features are added column by column, four at a time, so each pass reads its bins
 * forward and keeps its histograms (≤ 4 KiB each) in L1.
 */
export function buildHistogram(
  hist: Float64Array,
  binned: FeatureBins,
  rows: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
  features: Int32Array,
  gathered: Float64Array,
  sums: Float64Array,
): void {
  hist.fill(0);
  const { bins, nRows, offset } = binned;
  const m = end - start;
  let gSum = 0;
  let hSum = 0;
  for (let i = 0; i < m; i++) {
    const r = rows[start + i]!;
    const g = gh[2 * r]!;
    const h = gh[2 * r + 1]!;
    gathered[2 * i] = g;
    gathered[2 * i + 1] = h;
    gSum += g;
    hSum += h;
  }
  const nf = features.length;
  let j = 0;
  for (; j + 4 <= nf; j += 4) {
    const f0 = features[j]!;
    const f1 = features[j + 1]!;
    const f2 = features[j + 2]!;
    const f3 = features[j + 3]!;
    accumulate4(hist, bins, f0 * nRows, f1 * nRows, f2 * nRows, f3 * nRows,
      2 * offset[f0]!, 2 * offset[f1]!, 2 * offset[f2]!, 2 * offset[f3]!, rows, start, m, gathered);
  }
  for (; j < nf; j++) {
    const f = features[j]!;
    accumulate1(hist, bins, f * nRows, 2 * offset[f]!, rows, start, m, gathered);
  }
  sums[0] = gSum;
  sums[1] = hSum;
}

// The kernels are separate small functions on purpose: V8 optimises a hot inner loop in its own
// function markedly better than the same loop nested in the feature loop (2.1 vs 4.5 ns per
// update, measured), and four columns per pass share the row and gradient loads.
function accumulate4(
  hist: Float64Array,
  bins: Uint8Array | Uint16Array,
  c0: number, c1: number, c2: number, c3: number,
  s0: number, s1: number, s2: number, s3: number,
  rows: Int32Array,
  start: number,
  m: number,
  gathered: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    const r = rows[start + i]!;
    const g = gathered[2 * i]!;
    const h = gathered[2 * i + 1]!;
    let k = s0 + (bins[c0 + r]! << 1);
    hist[k]! += g;
    hist[k + 1]! += h;
    k = s1 + (bins[c1 + r]! << 1);
    hist[k]! += g;
    hist[k + 1]! += h;
    k = s2 + (bins[c2 + r]! << 1);
    hist[k]! += g;
    hist[k + 1]! += h;
    k = s3 + (bins[c3 + r]! << 1);
    hist[k]! += g;
    hist[k + 1]! += h;
  }
}

function accumulate1(
  hist: Float64Array,
  bins: Uint8Array | Uint16Array,
  column: number,
  slot: number,
  rows: Int32Array,
  start: number,
  m: number,
  gathered: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    const k = slot + (bins[column + rows[start + i]!]! << 1);
    hist[k]! += gathered[2 * i]!;
    hist[k + 1]! += gathered[2 * i + 1]!;
  }
}

/** `parent -= child`: the subtraction trick turns the parent's histogram into the sibling's. */
export function subtractHistogram(parent: Float64Array, child: Float64Array): void {
  for (let k = 0; k < parent.length; k++) parent[k]! -= child[k]!;
}

/** The node's objective reduction from splitting, without XGBoost's constant ½. */
function score(g: number, h: number, lambda: number): number {
  return (g * g) / (h + lambda);
}

/**
 * The best split of a node over the sampled features, or null when none gains more than
 * `gamma`. Every bin boundary is tried with NaN rows on either side; when the node saw no NaN,
 * a NaN met later goes to the heavier child. Ties keep the lowest feature, then the lowest bin.
 */
export function findBestSplit(
  hist: Float64Array,
  binned: FeatureBins,
  features: Int32Array,
  gTotal: number,
  hTotal: number,
  params: SplitParams,
): Split | null {
  const { lambda, gamma } = params;
  const minH = Math.max(params.minChildWeight, MIN_HESSIAN);
  if (hTotal < 2 * minH) return null;
  const parentScore = score(gTotal, hTotal, lambda);
  let bestGain = Math.max(gamma, MIN_GAIN);
  let bestFeature = -1;
  let bestBin = -1;
  let bestMissingLeft = false;

  for (let j = 0; j < features.length; j++) {
    const f = features[j]!;
    const o = binned.offset[f]!;
    const nb = binned.binCount[f]!;
    const gNan = hist[2 * (o + nb)]!;
    const hNan = hist[2 * (o + nb) + 1]!;
    const hasNan = hNan > NAN_NOISE * hTotal;
    let gl = 0;
    let hl = 0;
    for (let b = 0; b < nb; b++) {
      gl += hist[2 * (o + b)]!;
      hl += hist[2 * (o + b) + 1]!;
      // NaN right (also the only option when the node has no NaN).
      const hr = hTotal - hl;
      if (hl >= minH && hr >= minH) {
        const gain = score(gl, hl, lambda) + score(gTotal - gl, hr, lambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = b;
          bestMissingLeft = hasNan ? false : hl >= hr;
        }
      }
      if (!hasNan) continue;
      const glm = gl + gNan;
      const hlm = hl + hNan;
      const hrm = hTotal - hlm;
      if (hlm >= minH && hrm >= minH) {
        const gain = score(glm, hlm, lambda) + score(gTotal - glm, hrm, lambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = b;
          bestMissingLeft = true;
        }
      }
    }
  }
  return bestFeature < 0 ? null : { gain: bestGain, feature: bestFeature, bin: bestBin, missingLeft: bestMissingLeft };
}
