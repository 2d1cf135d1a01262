/**
 * The feature vector of a device at the moment of its newest reading, computed from its
 * streaming state (`feature-window.ts`) — the one implementation training and online scoring
 * share. Names and order come from `featureNamesFor` (`feature-spec.ts`).
 *
 * Missing data is explicit: with too little history or too many gaps, or while the machine is
 * failed or in maintenance, the answer is `insufficient_data` with the reason, never a vector.
 * A single sensor that is mostly missing gets NaN features (trees route NaN explicitly); the
 * vector as a whole is only refused when the machine's readings are missing.
 */
import {
  COVERAGE_BUCKETS,
  EWM_HOURS,
  featureNamesFor,
  kindsOf,
  MIN_COVERED_BUCKETS,
  MIN_SENSOR_SHARE,
  MIN_SLOPE_POINTS,
  WINDOW_BUCKETS,
} from './feature-spec.ts';
import { STAT, STATS_PER_SENSOR, type FeatureState } from './feature-window.ts';

export type FeatureVector =
  | { readonly status: 'ok'; readonly names: readonly string[]; readonly values: Float64Array; readonly at: number }
  | { readonly status: 'insufficient_data'; readonly reason: string; readonly at: number };

const namesCache = new Map<string, readonly string[]>();
function namesOf(type: string): readonly string[] {
  let names = namesCache.get(type);
  if (!names) namesCache.set(type, (names = Object.freeze(featureNamesFor(type))));
  return names;
}

export function featureVector(state: FeatureState): FeatureVector {
  const at = state.lastTs;
  if (Number.isNaN(at)) return { status: 'insufficient_data', reason: 'no readings yet', at: 0 };
  if (state.lastState === 2) return { status: 'insufficient_data', reason: 'the machine is failed (state 2)', at };
  if (state.lastState === 3) return { status: 'insufficient_data', reason: 'the machine is in maintenance (state 3)', at };
  if (state.head < 0) return { status: 'insufficient_data', reason: 'no running readings yet', at };
  const seen = state.head - Math.floor(state.firstRunningHours) + 1;
  if (seen < COVERAGE_BUCKETS) {
    return { status: 'insufficient_data', reason: `${seen} operating hours of history, ${COVERAGE_BUCKETS} needed`, at };
  }
  let covered = 0;
  for (let b = state.head - COVERAGE_BUCKETS + 1; b <= state.head; b++) if (bucketReadings(state, b) > 0) covered++;
  if (covered < MIN_COVERED_BUCKETS) {
    return {
      status: 'insufficient_data',
      reason: `readings in ${covered} of the last ${COVERAGE_BUCKETS} operating hours, ${MIN_COVERED_BUCKETS} needed`,
      at,
    };
  }

  const names = namesOf(state.equipmentType);
  const values = new Float64Array(names.length);
  let i = 0;
  const sensors = state.spec.sensors;
  for (let s = 0; s < sensors.length; s++) {
    const kinds = kindsOf(sensors[s]!);
    let sensorCovered = 0;
    for (let b = state.head - COVERAGE_BUCKETS + 1; b <= state.head; b++) if (stat(state, s, b, STAT.n) > 0) sensorCovered++;
    const usable = sensorCovered >= MIN_SENSOR_SHARE * covered;
    for (const kind of kinds) values[i++] = usable ? sensorFeature(state, s, kind) : NaN;
  }
  const hours = state.lastRunHours;
  values[i++] = hours;
  values[i++] = hours - state.maintenanceEndHours; // NaN until a visit was seen
  values[i++] = hours - state.repairEndHours;
  return { status: 'ok', names, values, at };
}

/** The slot of absolute bucket `b`, or -1 when the ring no longer (or not yet) holds it. */
function slotOf(state: FeatureState, b: number): number {
  if (b < 0 || b > state.head || b <= state.head - WINDOW_BUCKETS) return -1;
  const slot = b % WINDOW_BUCKETS;
  return state.slotBucket[slot] === b ? slot : -1;
}

function bucketReadings(state: FeatureState, b: number): number {
  const slot = slotOf(state, b);
  return slot < 0 ? 0 : state.slotReadings[slot]!;
}

function stat(state: FeatureState, s: number, b: number, k: number): number {
  const slot = slotOf(state, b);
  return slot < 0 ? 0 : state.stats[(s * WINDOW_BUCKETS + slot) * STATS_PER_SENSOR + k]!;
}

/** Σ over the last `hours` buckets of one statistic. */
function windowSum(state: FeatureState, s: number, hours: number, k: number): number {
  let sum = 0;
  for (let b = state.head - hours + 1; b <= state.head; b++) sum += stat(state, s, b, k);
  return sum;
}

function windowMean(state: FeatureState, s: number, hours: number, nStat: number, sumStat: number): number {
  const n = windowSum(state, s, hours, nStat);
  return n > 0 ? windowSum(state, s, hours, sumStat) / n : NaN;
}

/** Least-squares slope of the bucket means over the last `hours` buckets, per operating hour. */
function windowSlope(state: FeatureState, s: number, hours: number, nStat: number, sumStat: number): number {
  let m = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let j = 0; j < hours; j++) {
    const b = state.head - hours + 1 + j;
    const n = stat(state, s, b, nStat);
    if (n <= 0) continue;
    const y = stat(state, s, b, sumStat) / n;
    m++;
    sx += j;
    sy += y;
    sxx += j * j;
    sxy += j * y;
  }
  if (m < MIN_SLOPE_POINTS) return NaN;
  const den = m * sxx - sx * sx;
  return den > 0 ? (m * sxy - sx * sy) / den : NaN;
}

function sensorFeature(state: FeatureState, s: number, kind: string): number {
  switch (kind) {
    case 'level_6h':
      return windowMean(state, s, 6, STAT.n, STAT.sum);
    case 'level_24h':
      return windowMean(state, s, 24, STAT.n, STAT.sum);
    case 'slope_24h':
      return windowSlope(state, s, 24, STAT.n, STAT.sum);
    case 'std_6h': {
      const n = windowSum(state, s, 6, STAT.dn);
      if (n < 2) return NaN;
      const mean = windowSum(state, s, 6, STAT.dsum) / n;
      return Math.sqrt(Math.max(0, windowSum(state, s, 6, STAT.dsumsq) / n - mean * mean));
    }
    case 'dmaint_6h':
      return windowMean(state, s, 6, STAT.mn, STAT.msum);
    case 'dmaint_24h':
      return windowMean(state, s, 24, STAT.mn, STAT.msum);
    case 'dmaint_slope_72h':
      return windowSlope(state, s, 72, STAT.mn, STAT.msum);
    case 'rdev_6h':
      return windowMean(state, s, 6, STAT.dn, STAT.dsum);
    case 'rdev_slope_24h':
      return windowSlope(state, s, 24, STAT.dn, STAT.dsum);
    default: {
      const k = EWM_HOURS.findIndex((h) => kind === `ewm_${h}h`);
      if (k < 0) throw new RangeError(`unknown feature kind ${kind}`);
      return state.ewm[s * EWM_HOURS.length + k]!;
    }
  }
}
