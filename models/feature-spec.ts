/**
 * What the failure-prediction features are, per equipment type: which sensors, which one is the
 * operating regime, the regime bands readings are compared within, and the windows. One spec
 * feeds the streaming state (`feature-window.ts`) and the vector (`feature-extractor.ts`), which
 * training folds over a history and the online scorer updates reading by reading.
 *
 * Windows are in OPERATING hours (the `run_hours` meter), not wall time:
 * - wear accrues only while a machine runs, so a window of 24 running hours holds the same amount
 *   of degradation whether the machine ran them in one day or in three;
 * - the simulator (and a replay) accelerates time: live readings carry the real clock in `ts`
 *   but the hour meter runs at `--speed` × real time. Only `run_hours` means the same thing in a
 *   10-minute history, a 1 s live stream at speed 1 and one at speed 3600;
 * - an idle machine's readings (shaft stopped) say nothing about its wear; they do not enter the
 *   windows, and idle time does not push good readings out of them.
 */
import { PrognosError } from '../platform/errors.ts';
import { SENSOR_SEPARATOR } from './attribution-summary.ts';

export type SensorRole =
  /** A sensor that moves with degradation: the full set of window features. */
  | 'condition'
  /** The operating-regime metric (speed, demand, load): level only, and the band it selects. */
  | 'regime'
  /** Context (ambient temperature): level only. */
  | 'context';

export interface FeatureSensor {
  readonly name: string;
  readonly role: SensorRole;
  /** Use the rise over this sensor (e.g. ambient) instead of the raw value: temperatures. */
  readonly relativeTo?: string;
}

export interface FeatureSpec {
  readonly equipmentType: string;
  readonly regimeMetric: string;
  /**
   * Upper edges of the operating-regime bands (ascending); a running reading belongs to the first
   * band whose edge is above its regime value, or to the last band. Edges sit between the
   * type's usual operating points, so set-point jitter never flips a reading between bands.
   */
  readonly regimeBandEdges: readonly number[];
  readonly sensors: readonly FeatureSensor[];
}

/** Width of one bucket of the streaming window, in operating hours. */
export const BUCKET_HOURS = 1;
/** Buckets kept: the longest window. */
export const WINDOW_BUCKETS = 72;
/** Coverage window and the least number of its buckets that must hold a running reading. */
export const COVERAGE_BUCKETS = 24;
export const MIN_COVERED_BUCKETS = 18;
/** A sensor present in fewer than this share of the covered buckets gets NaN features. */
export const MIN_SENSOR_SHARE = 0.5;
/** EWM time constants (operating hours). */
export const EWM_HOURS = [4, 24, 96] as const;
/** Operating hours within one regime band that define the "as maintained" reference of that band. */
export const REFERENCE_HOURS_PER_BAND = 8;
/** Time constant (operating hours, counted in-band) of the device's usual value per regime band. */
export const BAND_USUAL_HOURS = 200;
/** Slopes need at least this many buckets with data. */
export const MIN_SLOPE_POINTS = 4;

/**
 * Feature kinds of a condition sensor, in vector order:
 * - `level_6h`, `level_24h`: mean over the last 6 / 24 operating hours;
 * - `slope_24h`: least-squares slope of the hourly means (unit per operating hour);
 * - `std_6h`: volatility at constant regime: standard deviation of `rdev` (below) over 6 hours;
 * - `ewm_4h`, `ewm_24h`, `ewm_96h`: exponentially weighted means, decay by operating time;
 * - `dmaint_6h`, `dmaint_24h`: change since the last maintenance or repair, at the same operating
 *   regime (reading − this band's mean over its first hours after the visit);
 * - `dmaint_slope_72h`: trend of that change over the last 72 operating hours;
 * - `rdev_6h`: deviation from this device's own usual value at the same operating regime
 *   (a slow per-band EWM), the regime normalisation that needs no maintenance visit;
 * - `rdev_slope_24h`: trend of that deviation, free of regime switches.
 */
export const CONDITION_KINDS = [
  'level_6h',
  'level_24h',
  'slope_24h',
  'std_6h',
  ...EWM_HOURS.map((h) => `ewm_${h}h`),
  'dmaint_6h',
  'dmaint_24h',
  'dmaint_slope_72h',
  'rdev_6h',
  'rdev_slope_24h',
] as const;
export const LEVEL_KINDS = ['level_6h', 'level_24h'] as const;
/** Features of the machine rather than of a sensor (the "sensor" part names what they are about). */
export const GLOBAL_FEATURES = [
  `run_hours${SENSOR_SEPARATOR}age`,
  `maintenance${SENSOR_SEPARATOR}hours_since`,
  `repair${SENSOR_SEPARATOR}hours_since`,
] as const;

const temperature = (name: string): FeatureSensor => ({ name, role: 'condition', relativeTo: 'ambient_temp_c' });
const condition = (name: string): FeatureSensor => ({ name, role: 'condition' });

/** The three simulated types (`simulators/README.md`); a real deployment adds its own. */
export const FEATURE_SPECS: Readonly<Record<string, FeatureSpec>> = {
  centrifugal_pump: {
    equipmentType: 'centrifugal_pump',
    regimeMetric: 'speed_rpm',
    // Speed set points around 70 / 85 / 100 % of 2950 rpm.
    regimeBandEdges: [2300, 2750],
    sensors: [
      { name: 'speed_rpm', role: 'regime' },
      condition('flow_m3h'),
      condition('suction_pressure_bar'),
      condition('discharge_pressure_bar'),
      condition('motor_current_a'),
      condition('vibration_rms_mm_s'),
      temperature('bearing_temp_c'),
      { name: 'ambient_temp_c', role: 'context' },
    ],
  },
  air_compressor: {
    equipmentType: 'air_compressor',
    regimeMetric: 'demand_pct',
    // Demand around 30 / 55 / 80 %.
    regimeBandEdges: [42, 67],
    sensors: [
      { name: 'demand_pct', role: 'regime' },
      condition('duty_cycle_pct'),
      condition('discharge_pressure_bar'),
      temperature('discharge_temp_c'),
      temperature('aftercooler_outlet_temp_c'),
      temperature('oil_temp_c'),
      condition('motor_current_a'),
      condition('vibration_rms_mm_s'),
      { name: 'ambient_temp_c', role: 'context' },
    ],
  },
  motor_gearbox: {
    equipmentType: 'motor_gearbox',
    regimeMetric: 'load_pct',
    // Load around 15 / 50 / 85 / 108 %.
    regimeBandEdges: [32, 67, 96],
    sensors: [
      { name: 'load_pct', role: 'regime' },
      condition('speed_rpm'),
      condition('motor_current_a'),
      temperature('winding_temp_c'),
      condition('gear_mesh_vib_g'),
      condition('vibration_rms_mm_s'),
      temperature('oil_temp_c'),
      condition('oil_debris_ppm'),
      { name: 'ambient_temp_c', role: 'context' },
    ],
  },
};

export function featureSpecFor(equipmentType: string): FeatureSpec {
  const spec = FEATURE_SPECS[equipmentType];
  if (!spec) throw new PrognosError('PRG_BAD_REQUEST', `no feature spec for equipment type ${equipmentType}`);
  return spec;
}

export function kindsOf(sensor: FeatureSensor): readonly string[] {
  return sensor.role === 'condition' ? CONDITION_KINDS : LEVEL_KINDS;
}

/** Feature names of a type, in vector order: `<sensor>__<kind>` per sensor, then the machine's. */
export function featureNamesFor(equipmentType: string): string[] {
  const spec = featureSpecFor(equipmentType);
  const names: string[] = [];
  for (const s of spec.sensors) for (const k of kindsOf(s)) names.push(`${s.name}${SENSOR_SEPARATOR}${k}`);
  names.push(...GLOBAL_FEATURES);
  return names;
}
