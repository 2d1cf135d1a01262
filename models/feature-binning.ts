/**
 * Feature binning for histogram split finding: each feature is cut once into at most `maxBins`
 * quantile bins, plus one bin for NaN, and every value is replaced by its bin index.
 *
 * Bins are defined on the float32 value of x, by float32 cut points taken from the data:
 * `bin(x) = the first b with fround(x) <= cuts[b]` (the last bin has no cut). So "bin ≤ b" and
 * `fround(x) <= cuts[b]` are the same test, and a split between bins b and b + 1 stored with
 * threshold `cuts[b]` routes every row, trained on or not, exactly as the evaluator
 * (`leafIndex`) does. Two float64 values that round to one float32 always share a bin, which is
 * what makes that possible.
 */
import { sampleIndices, type Random } from './seeded-random.ts';

export type FeatureMatrix = Float64Array | Float32Array;

export interface FeatureBins {
  readonly nRows: number;
  readonly nFeatures: number;
  /**
   * Column-major bin index of every value: `bins[feature * nRows + row]`; NaN → `binCount[f]`.
   * Column-major so a histogram pass reads one feature's bins forward for a node's sorted rows.
   */
  readonly bins: Uint8Array | Uint16Array;
  /** Per feature: the float32 upper bound of every non-NaN bin but the last, ascending. */
  readonly cuts: readonly Float64Array[];
  /** Per feature: the largest float32 value in the data (the last bin's bound); -Infinity if all NaN. */
  readonly maxValue: Float64Array;
  /** Per feature: how many non-NaN bins it has; the NaN bin has this index. */
  readonly binCount: Int32Array;
  /** Per feature: where its bins start in a histogram (NaN bin included). */
  readonly offset: Int32Array;
  /** Histogram slots over all features. */
  readonly totalBins: number;
}

/** Quantiles come from at most this many rows; beyond it a sample is as good and sorts faster. */
const QUANTILE_SAMPLE_ROWS = 200_000;

export function binFeatures(
  features: FeatureMatrix,
  nRows: number,
  nFeatures: number,
  maxBins: number,
  random: Random,
): FeatureBins {
  const sampleRows = nRows > QUANTILE_SAMPLE_ROWS ? sampleIndices(random, nRows, QUANTILE_SAMPLE_ROWS) : null;
  const bins = maxBins <= 255 ? new Uint8Array(nRows * nFeatures) : new Uint16Array(nRows * nFeatures);
  const cuts: Float64Array[] = [];
  const maxValue = new Float64Array(nFeatures);
  const binCount = new Int32Array(nFeatures);
  const offset = new Int32Array(nFeatures);
  const column = new Float32Array(sampleRows ? sampleRows.length : nRows);
  let totalBins = 0;

  for (let f = 0; f < nFeatures; f++) {
    let m = 0;
    const sampled = sampleRows ? sampleRows.length : nRows;
    for (let i = 0; i < sampled; i++) {
      const r = sampleRows ? sampleRows[i]! : i;
      const x = features[r * nFeatures + f]!;
      if (x === x) column[m++] = x; // Float32Array stores fround(x)
    }
    const featureCuts = quantileCuts(column.subarray(0, m).sort(), maxBins);
    cuts.push(featureCuts);
    binCount[f] = featureCuts.length + 1;
    offset[f] = totalBins;
    totalBins += featureCuts.length + 2;
    maxValue[f] = assignBins(features, nRows, nFeatures, f, featureCuts, bins);
  }
  return { nRows, nFeatures, bins, cuts, maxValue, binCount, offset, totalBins };
}

/**
 * The threshold that sends bins 0..b left and the rest right. For the last bin it is the largest
 * value seen, so "every number left, NaN right" still routes every training row as binned.
 */
export function binUpperBound(binned: FeatureBins, feature: number, bin: number): number {
  const featureCuts = binned.cuts[feature]!;
  return bin < featureCuts.length ? featureCuts[bin]! : binned.maxValue[feature]!;
}

/**
 * Up to `maxBins - 1` cut points over sorted float32 values. Each bin is closed once it holds its
 * share of what is left, so a value repeated many times takes one bin and leaves the remaining
 * bins to the rest of the distribution instead of starving it.
 */
function quantileCuts(sorted: Float32Array, maxBins: number): Float64Array {
  const cutList: number[] = [];
  let remaining = sorted.length;
  let binsLeft = maxBins;
  let target = remaining / binsLeft;
  let inBin = 0;
  let i = 0;
  while (i < sorted.length && binsLeft > 1) {
    const v = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === v) j++; // -0 === 0: one bin
    inBin += j - i;
    if (j === sorted.length) break; // the last value is the open-ended last bin
    if (inBin >= target) {
      cutList.push(v);
      remaining -= inBin;
      binsLeft--;
      inBin = 0;
      target = remaining / binsLeft;
    }
    i = j;
  }
  return Float64Array.from(cutList);
}

/** Writes feature `f`'s bin for every row and returns its largest float32 value. */
function assignBins(
  features: FeatureMatrix,
  nRows: number,
  nFeatures: number,
  f: number,
  featureCuts: Float64Array,
  bins: Uint8Array | Uint16Array,
): number {
  const nanBin = featureCuts.length + 1;
  let max = -Infinity;
  for (let r = 0; r < nRows; r++) {
    const x = features[r * nFeatures + f]!;
    const at = f * nRows + r;
    if (x !== x) {
      bins[at] = nanBin;
      continue;
    }
    const v = Math.fround(x);
    if (v > max) max = v;
    let lo = 0;
    let hi = featureCuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= featureCuts[mid]!) hi = mid;
      else lo = mid + 1;
    }
    bins[at] = lo;
  }
  return max;
}
