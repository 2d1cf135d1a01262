/**
 * A linear health index for C-MAPSS: one least-squares combination of the regime-normalised
 * sensors fitted to the capped RUL target on the training units. Each sensor alone is noisy; the
 * combination pools them before the rolling statistics smooth it, which trees cannot do (a sum of
 * many features is a poor fit for axis-aligned splits). Variants: one weight vector per operating
 * regime, and one index per fault-mode group of training units (FD003/FD004 mix two faults).
 */
import { PrognosError } from '../platform/errors.ts';

/** Intercept first, then one weight per normalised sensor column. */
export type HealthIndexWeights = Float64Array;

/** Ridge penalty on the sensor weights (not the intercept), per training row. */
const RIDGE = 1e-3;

/**
 * Least squares of `targets` on the columns of each `z` (row-major `n × m`) with an intercept,
 * fitted over all rows of all units together, or over the rows `include(unit, t)` accepts.
 */
export function fitHealthIndex(
  zs: readonly Float64Array[],
  targets: readonly Float64Array[],
  m: number,
  include?: (unit: number, t: number) => boolean,
): HealthIndexWeights {
  const p = m + 1;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  let rows = 0;
  zs.forEach((z, u) => {
    const y = targets[u]!;
    for (let t = 0; t < y.length; t++) {
      if (include && !include(u, t)) continue;
      row[0] = 1;
      for (let s = 0; s < m; s++) row[s + 1] = z[t * m + s]!;
      for (let a = 0; a < p; a++) {
        xty[a]! += row[a]! * y[t]!;
        for (let b = 0; b <= a; b++) xtx[a * p + b]! += row[a]! * row[b]!;
      }
      rows++;
    }
  });
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[b * p + a] = xtx[a * p + b]!;
  for (let a = 1; a < p; a++) xtx[a * p + a]! += RIDGE * rows;
  return solveSymmetric(xtx, xty, p);
}

/**
 * One fitted health-index column: one weight vector for every regime (`byRegime.length === 1`) or
 * one per operating regime, chosen by the cycle's regime label.
 */
export interface HealthIndexColumn {
  readonly byRegime: readonly HealthIndexWeights[];
}

/**
 * One weight vector per regime, each fitted on that regime's rows only: a sensor's sensitivity to
 * wear and its noise differ by operating condition. A regime without rows gets the pooled fit.
 */
export function fitRegimeHealthIndex(
  zs: readonly Float64Array[],
  targets: readonly Float64Array[],
  m: number,
  labels: readonly Int32Array[],
  regimeCount: number,
): HealthIndexWeights[] {
  let pooled: HealthIndexWeights | undefined;
  return Array.from({ length: regimeCount }, (_, r) => {
    if (labels.some((l) => l.includes(r))) return fitHealthIndex(zs, targets, m, (u, t) => labels[u]![t] === r);
    pooled ??= fitHealthIndex(zs, targets, m);
    return pooled;
  });
}

/** Cycles averaged at each end of a training unit to measure how it changed by failure. */
const FAULT_MODE_START_CYCLES = 30;
const FAULT_MODE_END_CYCLES = 20;

/**
 * Splits training units into two groups by how their sensors changed between the start (mean of
 * the first 30 cycles) and failure (mean of the last 20): C-MAPSS FD003/FD004 mix HPC and fan
 * degradation, whose signatures differ. Deterministic 2-means: the first unit and the unit
 * farthest from it seed the centres, then Lloyd iterations. Returns 0/1 per unit.
 */
export function faultModeGroups(zs: readonly Float64Array[], m: number): Int32Array {
  const change = zs.map((z) => {
    const n = z.length / m;
    const a = Math.min(FAULT_MODE_START_CYCLES, n);
    const b = Math.min(FAULT_MODE_END_CYCLES, n);
    const v = new Float64Array(m);
    for (let s = 0; s < m; s++) {
      let start = 0;
      let end = 0;
      for (let t = 0; t < a; t++) start += z[t * m + s]!;
      for (let t = n - b; t < n; t++) end += z[t * m + s]!;
      v[s] = end / b - start / a;
    }
    return v;
  });
  const groups = new Int32Array(change.length);
  if (change.length < 2) return groups;
  const dist2 = (x: Float64Array, y: Float64Array): number => x.reduce((acc, xi, s) => acc + (xi - y[s]!) ** 2, 0);
  let far = 0;
  change.forEach((v, i) => {
    if (dist2(v, change[0]!) > dist2(change[far]!, change[0]!)) far = i;
  });
  const centres = [change[0]!.slice(), change[far]!.slice()];
  for (let iter = 0; iter < 100; iter++) {
    let changed = iter === 0;
    change.forEach((v, i) => {
      const g = dist2(v, centres[1]!) < dist2(v, centres[0]!) ? 1 : 0;
      if (g !== groups[i]) changed = true;
      groups[i] = g;
    });
    if (!changed) break;
    for (let g = 0; g < 2; g++) {
      const members = change.filter((_, i) => groups[i] === g);
      if (members.length === 0) continue;
      centres[g] = Float64Array.from({ length: m }, (_, s) => members.reduce((acc, v) => acc + v[s]!, 0) / members.length);
    }
  }
  return groups;
}

/**
 * `z` with one column per health index appended (row-major `n × (m + columns.length)`);
 * `regimes` (the regime of every row) is needed by per-regime columns.
 */
export function withHealthIndexes(z: Float64Array, m: number, columns: readonly HealthIndexColumn[], regimes?: Int32Array): Float64Array {
  if (!regimes && columns.some((c) => c.byRegime.length > 1)) throw new PrognosError('PRG_BAD_REQUEST', 'a per-regime health index needs the regime of every cycle');
  const n = z.length / m;
  const width = m + columns.length;
  const out = new Float64Array(n * width);
  for (let t = 0; t < n; t++) {
    for (let s = 0; s < m; s++) out[t * width + s] = z[t * m + s]!;
    columns.forEach((column, c) => {
      const w = column.byRegime.length === 1 ? column.byRegime[0]! : column.byRegime[regimes![t]!]!;
      let h = w[0]!;
      for (let s = 0; s < m; s++) h += w[s + 1]! * z[t * m + s]!;
      out[t * width + m + c] = h;
    });
  }
  return out;
}

/** Cholesky solve of a symmetric positive-definite `p × p` system (the ridge keeps it definite). */
function solveSymmetric(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * p + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * p + k]! * l[j * p + k]!;
      l[i * p + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j * p + j]!;
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * p + k]! * y[k]!;
    y[i] = sum / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < p; k++) sum -= l[k * p + i]! * x[k]!;
    x[i] = sum / l[i * p + i]!;
  }
  return x;
}
