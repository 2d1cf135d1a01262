/**
 * The streaming feature state of one device: what `feature-extractor.ts` needs to compute the
 * feature vector at any moment, updated reading by reading. Training folds the same update over
 * a history; the online scorer calls it per arriving reading. There is no other path.
 *
 * Compact and fixed-size whatever the reading rate: a ring of {@link WINDOW_BUCKETS} buckets of
 * {@link BUCKET_HOURS} operating hour(s), each holding per sensor a few sums (not the readings),
 * plus per sensor the EWMs and, per regime band, the post-maintenance reference and the device's
 * usual value. A pump's state is ~5 000 numbers; it serialises to JSON and back exactly
 * (`serialiseFeatureState` / `deserialiseFeatureState`), so it survives a restart.
 *
 * Maintenance is seen in the readings: `state` 3 (maintenance) or 2 (failed, then repaired),
 * followed by a reading that is running or idle again, resets the "since maintenance" reference.
 */
import { PrognosError } from '../platform/errors.ts';
import {
  BAND_USUAL_HOURS,
  BUCKET_HOURS,
  EWM_HOURS,
  featureSpecFor,
  REFERENCE_HOURS_PER_BAND,
  WINDOW_BUCKETS,
  type FeatureSpec,
} from './feature-spec.ts';

/** A reading as ingest hands it over: epoch ms and the metrics, `run_hours` and `state` included. */
export interface FeatureReading {
  readonly ts: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Per bucket and sensor: readings, Σx, then deviation-from-usual (n, Σ, Σ²), then change-since-maintenance (n, Σ). */
export const STAT = { n: 0, sum: 1, dn: 2, dsum: 3, dsumsq: 4, mn: 5, msum: 6 } as const;
export const STATS_PER_SENSOR = 7;

/** States at which the machine is down; leaving them means it was serviced. */
const STATE_FAILED = 2;
const STATE_MAINTENANCE = 3;
const STATE_RUNNING = 0;
/**
 * A jump of the hour meter larger than this between two running readings is a gap, not time in
 * the band (for the reference and the usual value). Two hours: a live simulation at `--speed 3600`
 * with 1 s readings moves the meter one hour per reading, and that is still a continuous stream.
 */
const MAX_STEP_HOURS = 2;

export interface FeatureState {
  readonly equipmentType: string;
  readonly spec: FeatureSpec;
  /** Newest accepted reading (epoch ms); readings not newer are ignored (redeliveries). NaN: none. */
  lastTs: number;
  lastRunHours: number;
  lastState: number;
  /** Hour meter at the first running reading; NaN before it. */
  firstRunningHours: number;
  /** Hour meter at the previous running reading; NaN before it. */
  prevRunningHours: number;
  /** The downtime state (2 or 3) the machine is in, 0 when none. */
  down: number;
  maintenanceEndHours: number;
  repairEndHours: number;
  /** Absolute index of the newest bucket (floor(run_hours / BUCKET_HOURS)); -1 before any. */
  head: number;
  /** Per slot: the absolute bucket index it holds, -1 when empty. */
  readonly slotBucket: Float64Array;
  /** Per slot: running readings. */
  readonly slotReadings: Float64Array;
  /** [(sensor × WINDOW_BUCKETS + slot) × STATS_PER_SENSOR + STAT.*]. */
  readonly stats: Float64Array;
  /** [sensor × EWM_HOURS.length + k]; NaN until the first value. */
  readonly ewm: Float64Array;
  /** Operating hours spent in each regime band since the last reset (for the reference) and ever. */
  readonly bandRefHours: Float64Array;
  readonly bandHours: Float64Array;
  /** [sensor × bands × 2]: Σx and n over the band's first REFERENCE_HOURS_PER_BAND after a reset. */
  readonly reference: Float64Array;
  /** [sensor × bands]: slow EWM of the value in the band; NaN until the first value. */
  readonly usual: Float64Array;
}

export function createFeatureState(equipmentType: string): FeatureState {
  const spec = featureSpecFor(equipmentType);
  const nSensors = spec.sensors.length;
  const nBands = spec.regimeBandEdges.length + 1;
  return {
    equipmentType,
    spec,
    lastTs: NaN,
    lastRunHours: NaN,
    lastState: NaN,
    firstRunningHours: NaN,
    prevRunningHours: NaN,
    down: 0,
    maintenanceEndHours: NaN,
    repairEndHours: NaN,
    head: -1,
    slotBucket: new Float64Array(WINDOW_BUCKETS).fill(-1),
    slotReadings: new Float64Array(WINDOW_BUCKETS),
    stats: new Float64Array(nSensors * WINDOW_BUCKETS * STATS_PER_SENSOR),
    ewm: new Float64Array(nSensors * EWM_HOURS.length).fill(NaN),
    bandRefHours: new Float64Array(nBands),
    bandHours: new Float64Array(nBands),
    reference: new Float64Array(nSensors * nBands * 2),
    usual: new Float64Array(nSensors * nBands).fill(NaN),
  };
}

/** The regime band of a regime value. */
export function bandOf(spec: FeatureSpec, regime: number): number {
  const edges = spec.regimeBandEdges;
  for (let b = 0; b < edges.length; b++) if (regime < edges[b]!) return b;
  return edges.length;
}

/** The sensor's value as features see it (a temperature's rise over ambient), or NaN. */
function sensorValue(spec: FeatureSpec, s: number, metrics: Readonly<Record<string, number>>): number {
  const sensor = spec.sensors[s]!;
  const x = metrics[sensor.name];
  if (typeof x !== 'number' || !Number.isFinite(x)) return NaN;
  if (!sensor.relativeTo) return x;
  const base = metrics[sensor.relativeTo];
  return typeof base === 'number' && Number.isFinite(base) ? x - base : NaN;
}

/**
 * Folds one reading into the state. Returns false when the reading was ignored: not newer than
 * the last one, or without a usable `run_hours`.
 */
export function updateFeatureState(state: FeatureState, reading: FeatureReading): boolean {
  const { ts, metrics } = reading;
  const runHours = metrics.run_hours;
  if (!Number.isFinite(ts) || !(ts > state.lastTs || Number.isNaN(state.lastTs))) return false;
  if (typeof runHours !== 'number' || !Number.isFinite(runHours)) return false;
  // The hour meter never runs backwards; a reading that says so is out of order or corrupt.
  if (runHours < state.lastRunHours) return false;
  const code = typeof metrics.state === 'number' && Number.isFinite(metrics.state) ? metrics.state : STATE_RUNNING;
  state.lastTs = ts;
  state.lastRunHours = runHours;
  state.lastState = code;

  if (code === STATE_FAILED || code === STATE_MAINTENANCE) {
    // A failure during a maintenance visit (or the reverse) counts as the later one.
    state.down = code;
    return true;
  }
  if (state.down !== 0) serviced(state, runHours);
  if (code !== STATE_RUNNING) return true;
  addRunningReading(state, runHours, metrics);
  return true;
}

/** Back in service: the "since maintenance" reference starts again. */
function serviced(state: FeatureState, runHours: number): void {
  if (state.down === STATE_MAINTENANCE) state.maintenanceEndHours = runHours;
  else state.repairEndHours = runHours;
  state.down = 0;
  state.bandRefHours.fill(0);
  state.reference.fill(0);
  const nSensors = state.spec.sensors.length;
  for (let i = 0; i < nSensors * WINDOW_BUCKETS; i++) {
    state.stats[i * STATS_PER_SENSOR + STAT.mn] = 0;
    state.stats[i * STATS_PER_SENSOR + STAT.msum] = 0;
  }
}

function addRunningReading(state: FeatureState, runHours: number, metrics: Readonly<Record<string, number>>): void {
  const spec = state.spec;
  const nSensors = spec.sensors.length;
  const nBands = spec.regimeBandEdges.length + 1;
  const bucket = Math.floor(runHours / BUCKET_HOURS);
  advanceTo(state, bucket);
  const slot = bucket % WINDOW_BUCKETS;
  state.slotReadings[slot]! += 1;

  const step = Number.isNaN(state.prevRunningHours) ? NaN : runHours - state.prevRunningHours;
  const inBandStep = step <= MAX_STEP_HOURS ? step : 0;
  if (Number.isNaN(state.firstRunningHours)) state.firstRunningHours = runHours;
  state.prevRunningHours = runHours;

  const regime = metrics[spec.regimeMetric];
  const band = typeof regime === 'number' && Number.isFinite(regime) ? bandOf(spec, regime) : -1;
  // The reference and the usual value of a band are read before this reading updates them.
  const referenceOpen = band >= 0 && state.bandRefHours[band]! < REFERENCE_HOURS_PER_BAND;
  const referenceReady = band >= 0 && !referenceOpen;
  const usualReady = band >= 0 && state.bandHours[band]! >= REFERENCE_HOURS_PER_BAND;
  const usualAlpha = Number.isNaN(step) ? 1 : 1 - Math.exp(-inBandStep / BAND_USUAL_HOURS);

  for (let s = 0; s < nSensors; s++) {
    const x = sensorValue(spec, s, metrics);
    if (Number.isNaN(x)) continue;
    const at = (s * WINDOW_BUCKETS + slot) * STATS_PER_SENSOR;
    const st = state.stats;
    st[at + STAT.n]! += 1;
    st[at + STAT.sum]! += x;

    for (let k = 0; k < EWM_HOURS.length; k++) {
      const i = s * EWM_HOURS.length + k;
      const prev = state.ewm[i]!;
      // Decay by operating time, so the EWM means the same at any reading rate; a gap restarts it.
      state.ewm[i] = Number.isNaN(prev) || Number.isNaN(step) ? x : prev + (1 - Math.exp(-step / EWM_HOURS[k]!)) * (x - prev);
    }
    if (band < 0) continue;

    const u = s * nBands + band;
    const usual = state.usual[u]!;
    if (usualReady && !Number.isNaN(usual)) {
      const d = x - usual;
      st[at + STAT.dn]! += 1;
      st[at + STAT.dsum]! += d;
      st[at + STAT.dsumsq]! += d * d;
    }
    state.usual[u] = Number.isNaN(usual) ? x : usual + usualAlpha * (x - usual);

    const r = u * 2;
    if (referenceReady && state.reference[r + 1]! > 0) {
      st[at + STAT.mn]! += 1;
      st[at + STAT.msum]! += x - state.reference[r]! / state.reference[r + 1]!;
    } else if (referenceOpen) {
      state.reference[r]! += x;
      state.reference[r + 1]! += 1;
    }
  }
  if (band >= 0) {
    state.bandRefHours[band]! += inBandStep;
    state.bandHours[band]! += inBandStep;
  }
}

/** Moves the ring's head to `bucket`, clearing the slots it enters. */
function advanceTo(state: FeatureState, bucket: number): void {
  if (bucket <= state.head) return;
  const nSensors = state.spec.sensors.length;
  const from = Math.max(state.head + 1, bucket - WINDOW_BUCKETS + 1);
  for (let b = from; b <= bucket; b++) {
    const slot = b % WINDOW_BUCKETS;
    state.slotBucket[slot] = b;
    state.slotReadings[slot] = 0;
    for (let s = 0; s < nSensors; s++) state.stats.fill(0, (s * WINDOW_BUCKETS + slot) * STATS_PER_SENSOR, (s * WINDOW_BUCKETS + slot + 1) * STATS_PER_SENSOR);
  }
  state.head = bucket;
}

/** Format of the serialised state; a state of another format is refused, not guessed at. */
export const FEATURE_STATE_FORMAT = 'prognos-feature-state/1';

export interface SerialisedFeatureState {
  readonly format: typeof FEATURE_STATE_FORMAT;
  readonly equipmentType: string;
  /** Scalars and arrays in a fixed order; NaN is written as null (JSON has no NaN). */
  readonly scalars: (number | null)[];
  readonly arrays: Record<string, (number | null)[]>;
}

const SCALARS = ['lastTs', 'lastRunHours', 'lastState', 'firstRunningHours', 'prevRunningHours', 'down', 'maintenanceEndHours', 'repairEndHours', 'head'] as const;
const ARRAYS = ['slotBucket', 'slotReadings', 'stats', 'ewm', 'bandRefHours', 'bandHours', 'reference', 'usual'] as const;

const toJson = (x: number): number | null => (Number.isNaN(x) ? null : x);
const fromJson = (x: number | null): number => (x === null ? NaN : x);

/** A JSON-safe copy of the state. JSON keeps every finite double exactly, so the round trip is lossless. */
export function serialiseFeatureState(state: FeatureState): SerialisedFeatureState {
  return {
    format: FEATURE_STATE_FORMAT,
    equipmentType: state.equipmentType,
    scalars: SCALARS.map((k) => toJson(state[k])),
    arrays: Object.fromEntries(ARRAYS.map((k) => [k, Array.from(state[k], toJson)])),
  };
}

export function deserialiseFeatureState(raw: unknown): FeatureState {
  const bad = (why: string) => new PrognosError('PRG_BAD_REQUEST', `feature state: ${why}`);
  if (typeof raw !== 'object' || raw === null) throw bad('not an object');
  const r = raw as Partial<SerialisedFeatureState>;
  if (r.format !== FEATURE_STATE_FORMAT) throw bad(`format ${String(r.format)}, expected ${FEATURE_STATE_FORMAT}`);
  const state = createFeatureState(String(r.equipmentType));
  if (!Array.isArray(r.scalars) || r.scalars.length !== SCALARS.length) throw bad('scalars');
  SCALARS.forEach((k, i) => {
    state[k] = fromJson(r.scalars![i]!);
  });
  for (const k of ARRAYS) {
    const values = r.arrays?.[k];
    const target = state[k];
    if (!Array.isArray(values) || values.length !== target.length) throw bad(`${k} has the wrong length`);
    for (let i = 0; i < values.length; i++) target[i] = fromJson(values[i]!);
  }
  return state;
}
