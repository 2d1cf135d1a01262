/**
 * NASA C-MAPSS turbofan data (see /work/shared/datasets/cmapss/README.md): parsing the
 * `train_/test_FD00x.txt` files, the piecewise-linear RUL target, operating-condition regimes
 * (k-means on the three settings) and per-regime sensor standardisation. Everything that is
 * fitted (regimes, means, deviations, the informative-sensor list) is fitted on training units
 * only and then applied unchanged to held-out or test units.
 */
import { readFileSync } from 'node:fs';
import { PrognosError } from '../platform/errors.ts';

export const N_SETTINGS = 3;
export const N_SENSORS = 21;
const N_FIELDS = 2 + N_SETTINGS + N_SENSORS;

/** The usual piecewise-linear cap (Heimes 2008 and most later papers): target = min(RUL, 125). */
export const DEFAULT_RUL_CAP = 125;

/** One engine's trajectory, cycles 1..n in order. */
export interface CmapssUnit {
  readonly unit: number;
  readonly cycles: Int32Array;
  /** Row-major `n × 3`. */
  readonly settings: Float64Array;
  /** Row-major `n × 21`; column j is `sensor_{j+1}`. */
  readonly sensors: Float64Array;
}

/** Parses one C-MAPSS text file: 26 whitespace-separated fields per row, sorted by unit then cycle. */
export function parseCmapss(text: string, source = 'input'): CmapssUnit[] {
  const byUnit = new Map<number, number[][]>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const fields = line.split(/\s+/).map(Number);
    if (fields.length !== N_FIELDS || fields.some((v) => !Number.isFinite(v))) {
      throw new PrognosError('PRG_BAD_REQUEST', `${source}:${i + 1}: expected ${N_FIELDS} numeric fields, got ${fields.length}`);
    }
    const unit = fields[0]!;
    let rows = byUnit.get(unit);
    if (!rows) byUnit.set(unit, (rows = []));
    const expected = rows.length + 1;
    if (fields[1] !== expected) throw new PrognosError('PRG_BAD_REQUEST', `${source}:${i + 1}: unit ${unit} cycle ${fields[1]}, expected ${expected}`);
    rows.push(fields);
  }
  return [...byUnit.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([unit, rows]) => {
      const n = rows.length;
      const cycles = new Int32Array(n);
      const settings = new Float64Array(n * N_SETTINGS);
      const sensors = new Float64Array(n * N_SENSORS);
      rows.forEach((r, t) => {
        cycles[t] = r[1]!;
        for (let j = 0; j < N_SETTINGS; j++) settings[t * N_SETTINGS + j] = r[2 + j]!;
        for (let j = 0; j < N_SENSORS; j++) sensors[t * N_SENSORS + j] = r[2 + N_SETTINGS + j]!;
      });
      return { unit, cycles, settings, sensors };
    });
}

export function readCmapssFile(path: string): CmapssUnit[] {
  return parseCmapss(readFileSync(path, 'utf8'), path);
}

/** `RUL_FD00x.txt`: one integer per test unit, in unit order. */
export function parseRulFile(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map(Number);
}

/** Training target per cycle: `min(maxCycle − cycle, cap)`; the unit's last cycle is its failure. */
export function rulTargets(unit: CmapssUnit, cap = DEFAULT_RUL_CAP): Float64Array {
  const n = unit.cycles.length;
  const last = unit.cycles[n - 1]!;
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) out[t] = Math.min(last - unit.cycles[t]!, cap);
  return out;
}

/** Operating-condition regimes: k-means centres on the settings, scaled by their training spread. */
export interface RegimeModel {
  readonly centres: Float64Array; // k × 3, in scaled units
  readonly scale: Float64Array; // 3
}

/**
 * Single-condition subsets (FD001/FD003) have settings that only jitter around one point; the
 * multi-condition ones (FD002/FD004) spread altitude over tens of thousands of feet.
 */
export function detectRegimeCount(units: readonly CmapssUnit[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const u of units) for (let t = 0; t < u.cycles.length; t++) {
    const a = u.settings[t * N_SETTINGS]!;
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  return hi - lo > 1 ? 6 : 1;
}

/** Deterministic k-means: farthest-point initialisation, then Lloyd iterations. */
export function fitRegimes(units: readonly CmapssUnit[], k: number): RegimeModel {
  const points = stackSettings(units);
  const n = points.length / N_SETTINGS;
  const scale = new Float64Array(N_SETTINGS);
  for (let j = 0; j < N_SETTINGS; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = points[i * N_SETTINGS + j]!;
      s += v;
      s2 += v * v;
    }
    const variance = s2 / n - (s / n) ** 2;
    scale[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < N_SETTINGS; j++) points[i * N_SETTINGS + j]! /= scale[j]!;

  const centres = new Float64Array(k * N_SETTINGS);
  centres.set(points.subarray(0, N_SETTINGS), 0);
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let far = 0;
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i]!, dist2(points, i, centres, c - 1));
      if (nearest[i]! > nearest[far]!) far = i;
    }
    centres.set(points.subarray(far * N_SETTINGS, far * N_SETTINGS + N_SETTINGS), c * N_SETTINGS);
  }
  const assign = new Int32Array(n);
  for (let iter = 0; iter < 50; iter++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      const c = nearestCentre(points, i, centres, k);
      if (c !== assign[i]) changed = true;
      assign[i] = c;
    }
    const sums = new Float64Array(k * N_SETTINGS);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[assign[i]!]!++;
      for (let j = 0; j < N_SETTINGS; j++) sums[assign[i]! * N_SETTINGS + j]! += points[i * N_SETTINGS + j]!;
    }
    for (let c = 0; c < k; c++) if (counts[c]! > 0) for (let j = 0; j < N_SETTINGS; j++) centres[c * N_SETTINGS + j] = sums[c * N_SETTINGS + j]! / counts[c]!;
    if (!changed && iter > 0) break;
  }
  return { centres, scale };
}

/** Regime index per cycle of one unit. */
export function assignRegimes(model: RegimeModel, unit: CmapssUnit): Int32Array {
  const k = model.centres.length / N_SETTINGS;
  const n = unit.cycles.length;
  const scaled = new Float64Array(n * N_SETTINGS);
  for (let i = 0; i < n * N_SETTINGS; i++) scaled[i] = unit.settings[i]! / model.scale[i % N_SETTINGS]!;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = nearestCentre(scaled, i, model.centres, k);
  return out;
}

/** Per-regime sensor means and deviations, and which sensors carry information. */
export interface SensorScaler {
  readonly regimes: RegimeModel;
  /** k × 21 */
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** 0-based sensor indices whose pooled within-regime deviation is above `MIN_SENSOR_STD`. */
  readonly informative: readonly number[];
}

/**
 * Below this pooled within-regime standard deviation a sensor counts as constant. Absolute, not
 * relative: s13 (NRf, ~2388 rpm) moves by only ~0.07 yet is one of the best predictors.
 */
export const MIN_SENSOR_STD = 1e-3;

export function fitSensorScaler(units: readonly CmapssUnit[], regimeCount = detectRegimeCount(units)): SensorScaler {
  const regimes = fitRegimes(units, regimeCount);
  const k = regimeCount;
  const sum = new Float64Array(k * N_SENSORS);
  const sum2 = new Float64Array(k * N_SENSORS);
  const count = new Float64Array(k);
  const labelled = units.map((u) => assignRegimes(regimes, u));
  units.forEach((u, ui) => {
    const reg = labelled[ui]!;
    for (let t = 0; t < u.cycles.length; t++) {
      const r = reg[t]!;
      count[r]!++;
      for (let j = 0; j < N_SENSORS; j++) {
        const v = u.sensors[t * N_SENSORS + j]!;
        sum[r * N_SENSORS + j]! += v;
        sum2[r * N_SENSORS + j]! += v * v;
      }
    }
  });
  const mean = new Float64Array(k * N_SENSORS);
  const std = new Float64Array(k * N_SENSORS);
  const pooled = new Float64Array(N_SENSORS);
  const total = count.reduce((a, b) => a + b, 0);
  for (let r = 0; r < k; r++) {
    for (let j = 0; j < N_SENSORS; j++) {
      const c = Math.max(1, count[r]!);
      const m = sum[r * N_SENSORS + j]! / c;
      const variance = Math.max(0, sum2[r * N_SENSORS + j]! / c - m * m);
      mean[r * N_SENSORS + j] = m;
      std[r * N_SENSORS + j] = Math.sqrt(variance);
      pooled[j]! += (variance * count[r]!) / total;
    }
  }
  const informative: number[] = [];
  for (let j = 0; j < N_SENSORS; j++) if (Math.sqrt(pooled[j]!) > MIN_SENSOR_STD) informative.push(j);
  return { regimes, mean, std, informative };
}

/** Row-major `n × informative.length`: each sensor standardised with its regime's statistics. */
export function normaliseSensors(scaler: SensorScaler, unit: CmapssUnit): Float64Array {
  const reg = assignRegimes(scaler.regimes, unit);
  const m = scaler.informative.length;
  const n = unit.cycles.length;
  const out = new Float64Array(n * m);
  for (let t = 0; t < n; t++) {
    const r = reg[t]!;
    for (let s = 0; s < m; s++) {
      const j = scaler.informative[s]!;
      const sd = scaler.std[r * N_SENSORS + j]!;
      out[t * m + s] = (unit.sensors[t * N_SENSORS + j]! - scaler.mean[r * N_SENSORS + j]!) / (sd > 1e-9 ? sd : 1);
    }
  }
  return out;
}

function stackSettings(units: readonly CmapssUnit[]): Float64Array {
  const n = units.reduce((a, u) => a + u.cycles.length, 0);
  const out = new Float64Array(n * N_SETTINGS);
  let o = 0;
  for (const u of units) {
    out.set(u.settings, o);
    o += u.settings.length;
  }
  return out;
}

function dist2(points: Float64Array, i: number, centres: Float64Array, c: number): number {
  let d = 0;
  for (let j = 0; j < N_SETTINGS; j++) d += (points[i * N_SETTINGS + j]! - centres[c * N_SETTINGS + j]!) ** 2;
  return d;
}

function nearestCentre(points: Float64Array, i: number, centres: Float64Array, k: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    const d = dist2(points, i, centres, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
