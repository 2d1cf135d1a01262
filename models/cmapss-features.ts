/**
 * Causal per-cycle features for C-MAPSS: the value at cycle t uses cycles 1..t of the same
 * unit only, so a test unit's last row sees exactly what a deployed model would have seen.
 * Windows longer than the history so far use the cycles available (no padding): a mean over
 * 20 cycles at cycle 7 is the mean of cycles 1..7; a slope or a volatility needs two cycles
 * (0 before that); an EWM starts at the first value.
 */

/** Which rolling statistics to compute per sensor. Windows and spans are in cycles. */
export interface CmapssFeatureSpec {
  /** Rolling means (the de-noised level). */
  readonly meanWindows: readonly number[];
  /** Least-squares slopes per cycle (the trend). */
  readonly slopeWindows: readonly number[];
  /** Rolling population standard deviations (volatility). */
  readonly volatilityWindows: readonly number[];
  /** Exponentially weighted means, `alpha = 2 / (span + 1)`. */
  readonly ewmSpans: readonly number[];
}

/** Chosen by unit-wise CV on FD001 and FD004 (bench/cmapss.md). */
export const DEFAULT_FEATURE_SPEC: CmapssFeatureSpec = {
  meanWindows: [5, 10, 20, 30, 50],
  slopeWindows: [10, 20, 50, 100, 200],
  volatilityWindows: [10, 30],
  ewmSpans: [10, 30, 60, 100],
};

/** Feature kinds per sensor, in column order: `level` (the raw normalised value) first. */
export function featureKinds(spec: CmapssFeatureSpec): string[] {
  return [
    'level',
    ...spec.meanWindows.map((w) => `mean_${w}`),
    ...spec.slopeWindows.map((w) => `slope_${w}`),
    ...spec.volatilityWindows.map((w) => `volatility_${w}`),
    ...spec.ewmSpans.map((s) => `ewm_${s}`),
  ];
}

/** README column names: `sensor_<1-based index>`. */
export function sensorName(j: number): string {
  return `sensor_${j + 1}`;
}

/** `<sensor>__<kind>` per informative sensor and kind, then `cycle__count` (the engine's age). */
export function cmapssFeatureNames(informative: readonly number[], spec: CmapssFeatureSpec = DEFAULT_FEATURE_SPEC): string[] {
  const kinds = featureKinds(spec);
  const names: string[] = [];
  for (const j of informative) for (const kind of kinds) names.push(`${sensorName(j)}__${kind}`);
  names.push('cycle__count');
  return names;
}

/**
 * Row-major `n × (m·kinds + 1)` features from `z` (`n × m` regime-normalised sensors), in the
 * order of {@link cmapssFeatureNames}.
 */
export function unitFeatures(z: Float64Array, m: number, cycles: Int32Array, spec: CmapssFeatureSpec = DEFAULT_FEATURE_SPEC): Float64Array {
  const n = cycles.length;
  const k = featureKinds(spec).length;
  const d = m * k + 1;
  const out = new Float64Array(n * d);
  // Prefix sums of x, i·x and x² make every window statistic O(1); each uses entries ≤ t only.
  const sx = new Float64Array(n + 1);
  const six = new Float64Array(n + 1);
  const sxx = new Float64Array(n + 1);
  const alphas = spec.ewmSpans.map((s) => 2 / (s + 1));
  const ewm = new Float64Array(alphas.length);
  for (let s = 0; s < m; s++) {
    for (let t = 0; t < n; t++) {
      const x = z[t * m + s]!;
      sx[t + 1] = sx[t]! + x;
      six[t + 1] = six[t]! + t * x;
      sxx[t + 1] = sxx[t]! + x * x;
    }
    for (let t = 0; t < n; t++) {
      let c = t * d + s * k;
      const x = z[t * m + s]!;
      out[c++] = x;
      for (const w of spec.meanWindows) {
        const from = Math.max(0, t - w + 1);
        out[c++] = (sx[t + 1]! - sx[from]!) / (t + 1 - from);
      }
      for (const w of spec.slopeWindows) out[c++] = windowSlope(sx, six, t, w);
      for (const w of spec.volatilityWindows) {
        const from = Math.max(0, t - w + 1);
        const len = t + 1 - from;
        const mean = (sx[t + 1]! - sx[from]!) / len;
        out[c++] = Math.sqrt(Math.max(0, (sxx[t + 1]! - sxx[from]!) / len - mean * mean));
      }
      for (let i = 0; i < alphas.length; i++) {
        ewm[i] = t === 0 ? x : alphas[i]! * x + (1 - alphas[i]!) * ewm[i]!;
        out[c++] = ewm[i]!;
      }
    }
  }
  for (let t = 0; t < n; t++) out[t * d + d - 1] = cycles[t]!;
  return out;
}

/**
 * Least-squares slope per cycle over the last `w` cycles (0 with a single cycle), from prefix
 * sums; indices are taken relative to the window start to keep the sums small.
 */
function windowSlope(sx: Float64Array, six: Float64Array, t: number, w: number): number {
  const from = Math.max(0, t - w + 1);
  const n = t + 1 - from;
  if (n < 2) return 0;
  const sumX = sx[t + 1]! - sx[from]!;
  const sumIX = six[t + 1]! - six[from]! - from * sumX;
  const sumI = (n * (n - 1)) / 2;
  const sumII = ((n - 1) * n * (2 * n - 1)) / 6;
  return (n * sumIX - sumI * sumX) / (n * sumII - sumI * sumI);
}
