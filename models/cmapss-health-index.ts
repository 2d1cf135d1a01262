/**
 * A linear health index for C-MAPSS: one least-squares combination of the regime-normalised
 * sensors fitted to the capped RUL target on the training units. Each sensor alone is noisy; the
 * combination pools them before the rolling statistics smooth it, which trees cannot do (a sum of
 * many features is a poor fit for axis-aligned splits).
 */

/** Intercept first, then one weight per normalised sensor column. */
export type HealthIndexWeights = Float64Array;

/** Ridge penalty on the sensor weights (not the intercept), per training row. */
const RIDGE = 1e-3;

/**
 * Least squares of `targets` on the columns of each `z` (row-major `n × m`) with an intercept,
 * fitted over all rows of all units together.
 */
export function fitHealthIndex(zs: readonly Float64Array[], targets: readonly Float64Array[], m: number): HealthIndexWeights {
  const p = m + 1;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const row = new Float64Array(p);
  let rows = 0;
  zs.forEach((z, u) => {
    const y = targets[u]!;
    for (let t = 0; t < y.length; t++) {
      row[0] = 1;
      for (let s = 0; s < m; s++) row[s + 1] = z[t * m + s]!;
      for (let a = 0; a < p; a++) {
        xty[a]! += row[a]! * y[t]!;
        for (let b = 0; b <= a; b++) xtx[a * p + b]! += row[a]! * row[b]!;
      }
    }
    rows += y.length;
  });
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[b * p + a] = xtx[a * p + b]!;
  for (let a = 1; a < p; a++) xtx[a * p + a]! += RIDGE * rows;
  return solveSymmetric(xtx, xty, p);
}

/** `z` with the health index appended as column `m` (row-major `n × (m + 1)`). */
export function withHealthIndex(z: Float64Array, m: number, weights: HealthIndexWeights): Float64Array {
  const n = z.length / m;
  const out = new Float64Array(n * (m + 1));
  for (let t = 0; t < n; t++) {
    let h = weights[0]!;
    for (let s = 0; s < m; s++) {
      const v = z[t * m + s]!;
      out[t * (m + 1) + s] = v;
      h += weights[s + 1]! * v;
    }
    out[t * (m + 1) + m] = h;
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
