/**
 * Causal per-cycle features for C-MAPSS: the value at cycle t uses cycles 1..t of the same
 * unit only, so a test unit's last row sees exactly what a deployed model would have seen.
 * Windows longer than the history so far use the cycles available (no padding): a mean over
 * 20 cycles at cycle 7 is the mean of cycles 1..7; a slope or a volatility needs two cycles
 * (0 before that); an EWM starts at the first value.
 */
import { PrognosError } from '../platform/errors.ts';

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
  /** Change since the unit's own start (its baseline). Default none. */
  readonly sinceStart?: SinceStartSpec;
  /**
   * Operating-regime history per regime r: `regime_<r>__share` (share of cycles 1..t flown in it)
   * and `regime_<r>__since` (cycles since the last one in it; t + 1 if none yet). Default false.
   */
  readonly regimeHistory?: boolean;
  /**
   * A linear health index fitted to the target on the training units (`cmapss-health-index.ts`),
   * given every kind above as one more column, `health_index__<kind>`. Default false.
   */
  readonly healthIndex?: boolean;
  /**
   * A second health index with one weight vector per operating regime, each fitted on that
   * regime's cycles (`fitRegimeHealthIndex`): `health_index_regime__<kind>`. Default false.
   */
  readonly regimeHealthIndex?: boolean;
  /**
   * Two more health indexes, one per fault-mode group of training units (`faultModeGroups`: the
   * units clustered by how their sensors changed by failure), each fitted on its group's units
   * and computed for every unit: `health_index_mode_1__<kind>`, `health_index_mode_2__<kind>`.
   * `pooled`: one weight vector per group; `perRegime`: one per group and operating regime,
   * chosen by the cycle's regime like {@link CmapssFeatureSpec.regimeHealthIndex}. Default none.
   */
  readonly faultModeHealthIndex?: 'pooled' | 'perRegime';
  /**
   * With `faultModeHealthIndex`: per kind, the smaller of the two fault-mode indexes
   * (`health_index_modes_min__<kind>`) and mode 1 minus mode 2 (`health_index_modes_diff__<kind>`).
   * A tree cannot compare two columns in one split; these hand it the worse of the two readings
   * and which mode is moving. Default false.
   */
  readonly faultModeContrast?: boolean;
}

/**
 * Every C-MAPSS engine starts with its own unknown wear and manufacturing offset: a level minus the
 * mean of the unit's first `baselineCycles` cycles removes it. Before that many cycles the
 * baseline is the mean of the cycles so far (so the change is about 0, as it should be).
 */
export interface SinceStartSpec {
  readonly baselineCycles: number;
  /** Rolling means minus the baseline: `mean_<w>_since_start`. Default none. */
  readonly meanWindows?: readonly number[];
  /** EWMs minus the baseline: `ewm_<span>_since_start`. Default none. */
  readonly ewmSpans?: readonly number[];
}

/** Regime label per cycle (0-based, from the training fold's clustering) and how many there are. */
export interface RegimeLabels {
  readonly labels: Int32Array;
  readonly count: number;
}

/**
 * Windows chosen by unit-wise CV on FD001 and FD004; the health index took FD001 from 11.5 to
 * 10.3 CV RMSE (bench/cmapss.md, session 4).
 */
export const DEFAULT_FEATURE_SPEC: CmapssFeatureSpec = {
  meanWindows: [5, 10, 20, 30, 50],
  slopeWindows: [10, 20, 50, 100, 200],
  volatilityWindows: [10, 30],
  ewmSpans: [10, 30, 60, 100],
  healthIndex: true,
};

/**
 * FD002/FD004 (six operating conditions): the default plus regime history (bench/cmapss.md,
 * session 4), the per-regime health indexes, one for all units and one per fault-mode group, and
 * the fault-mode contrasts (session 5: FD004 CV RMSE 19.64 → 18.53, FD002 17.71 → 17.23, one
 * model, means over three seeds).
 */
export const MULTI_CONDITION_FEATURE_SPEC: CmapssFeatureSpec = { ...DEFAULT_FEATURE_SPEC, regimeHistory: true, regimeHealthIndex: true, faultModeHealthIndex: 'perRegime', faultModeContrast: true };

/** Feature kinds per sensor, in column order: `level` (the raw normalised value) first. */
export function featureKinds(spec: CmapssFeatureSpec): string[] {
  return [
    'level',
    ...spec.meanWindows.map((w) => `mean_${w}`),
    ...spec.slopeWindows.map((w) => `slope_${w}`),
    ...spec.volatilityWindows.map((w) => `volatility_${w}`),
    ...spec.ewmSpans.map((s) => `ewm_${s}`),
    ...(spec.sinceStart?.meanWindows ?? []).map((w) => `mean_${w}_since_start`),
    ...(spec.sinceStart?.ewmSpans ?? []).map((s) => `ewm_${s}_since_start`),
  ];
}

/** The health-index columns `spec` asks for, in column order (each gets every kind). */
export function healthIndexNames(spec: CmapssFeatureSpec): string[] {
  return [
    ...(spec.healthIndex ? ['health_index'] : []),
    ...(spec.regimeHealthIndex ? ['health_index_regime'] : []),
    ...(spec.faultModeHealthIndex ? ['health_index_mode_1', 'health_index_mode_2'] : []),
  ];
}

/** The fault-mode contrast columns, in column order (each gets every kind). */
const CONTRAST_NAMES = ['health_index_modes_min', 'health_index_modes_diff'] as const;

function hasContrast(spec: CmapssFeatureSpec): boolean {
  if (spec.faultModeContrast && !spec.faultModeHealthIndex) throw new PrognosError('PRG_BAD_REQUEST', 'faultModeContrast needs faultModeHealthIndex');
  return spec.faultModeContrast === true;
}

/** Per-regime history kinds, in column order for each regime. */
const REGIME_KINDS = ['share', 'since'] as const;

/** README column names: `sensor_<1-based index>`. */
export function sensorName(j: number): string {
  return `sensor_${j + 1}`;
}

/**
 * `<sensor>__<kind>` per informative sensor and kind, then `<index>__<kind>` per health index
 * (see {@link healthIndexNames}), then the fault-mode contrasts with `faultModeContrast`, then
 * `regime_<r>__<kind>` (1-based r) with `regimeHistory`, then `cycle__count` (the engine's age).
 */
export function cmapssFeatureNames(informative: readonly number[], spec: CmapssFeatureSpec = DEFAULT_FEATURE_SPEC, regimeCount = 1): string[] {
  const kinds = featureKinds(spec);
  const names: string[] = [];
  for (const j of informative) for (const kind of kinds) names.push(`${sensorName(j)}__${kind}`);
  for (const index of healthIndexNames(spec)) for (const kind of kinds) names.push(`${index}__${kind}`);
  if (hasContrast(spec)) for (const index of CONTRAST_NAMES) for (const kind of kinds) names.push(`${index}__${kind}`);
  if (spec.regimeHistory) for (let r = 0; r < regimeCount; r++) for (const kind of REGIME_KINDS) names.push(`regime_${r + 1}__${kind}`);
  names.push('cycle__count');
  return names;
}

/**
 * Row-major features from `z` (`n × m` columns: the regime-normalised sensors, then the health
 * indexes `spec` asks for, see `withHealthIndexes`, the fault-mode ones last), in the order of
 * {@link cmapssFeatureNames}; `regimes` is required with `spec.regimeHistory`.
 */
export function unitFeatures(z: Float64Array, m: number, cycles: Int32Array, spec: CmapssFeatureSpec = DEFAULT_FEATURE_SPEC, regimes?: RegimeLabels): Float64Array {
  const n = cycles.length;
  const k = featureKinds(spec).length;
  if (spec.regimeHistory && !regimes) throw new PrognosError('PRG_BAD_REQUEST', 'regimeHistory features need the regime of every cycle');
  const regimeColumns = spec.regimeHistory && regimes ? regimes.count * REGIME_KINDS.length : 0;
  const contrastColumns = hasContrast(spec) ? CONTRAST_NAMES.length * k : 0;
  const d = m * k + contrastColumns + regimeColumns + 1;
  const baselineCycles = spec.sinceStart?.baselineCycles ?? 1;
  if (!(Number.isInteger(baselineCycles) && baselineCycles >= 1)) throw new PrognosError('PRG_BAD_REQUEST', `sinceStart.baselineCycles must be an integer ≥ 1, got ${baselineCycles}`);
  const sinceMeans = spec.sinceStart?.meanWindows ?? [];
  const sinceSpans = spec.sinceStart?.ewmSpans ?? [];
  const sinceAlphas = sinceSpans.map((s) => 2 / (s + 1));
  const sinceEwm = new Float64Array(sinceAlphas.length);
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
      if (spec.sinceStart) {
        const b = Math.min(t + 1, baselineCycles);
        const baseline = sx[b]! / b;
        for (const w of sinceMeans) {
          const from = Math.max(0, t - w + 1);
          out[c++] = (sx[t + 1]! - sx[from]!) / (t + 1 - from) - baseline;
        }
        for (let i = 0; i < sinceAlphas.length; i++) {
          sinceEwm[i] = t === 0 ? x : sinceAlphas[i]! * x + (1 - sinceAlphas[i]!) * sinceEwm[i]!;
          out[c++] = sinceEwm[i]! - baseline;
        }
      }
    }
  }
  if (contrastColumns > 0) {
    // The fault-mode indexes are the last two columns of z (healthIndexNames order).
    const mode1 = (m - 2) * k;
    const mode2 = (m - 1) * k;
    for (let t = 0; t < n; t++) {
      const row = t * d;
      for (let j = 0; j < k; j++) {
        const a = out[row + mode1 + j]!;
        const b = out[row + mode2 + j]!;
        out[row + m * k + j] = Math.min(a, b);
        out[row + m * k + k + j] = a - b;
      }
    }
  }
  if (regimeColumns > 0) regimeHistory(regimes!, out, d, m * k + contrastColumns);
  for (let t = 0; t < n; t++) out[t * d + d - 1] = cycles[t]!;
  return out;
}

/** Writes the per-regime share and cycles-since columns, starting at column `first` of each row. */
function regimeHistory(regimes: RegimeLabels, out: Float64Array, d: number, first: number): void {
  const counts = new Float64Array(regimes.count);
  const last = new Float64Array(regimes.count).fill(-1);
  for (let t = 0; t < regimes.labels.length; t++) {
    const r = regimes.labels[t]!;
    counts[r]!++;
    last[r] = t;
    let c = t * d + first;
    for (let q = 0; q < regimes.count; q++) {
      out[c++] = counts[q]! / (t + 1);
      out[c++] = last[q]! < 0 ? t + 1 : t - last[q]!;
    }
  }
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
