/**
 * Feature attributions grouped by sensor, for explanations a technician can read
 * ("vibration_rms: +38% of the risk") instead of one line per engineered feature.
 *
 * Feature names are `<sensor>__<kind>`, e.g. `vibration_rms__trend_24`, `vibration_rms__level`:
 * the sensor is everything before the first {@link SENSOR_SEPARATOR}. A name without it is a
 * sensor of its own.
 */

/** Between the sensor and the feature kind in a feature name. */
export const SENSOR_SEPARATOR = '__';

export interface SensorAttribution {
  readonly sensor: string;
  /** Sum of the sensor's feature attributions (raw-score scale; > 0 pushes the prediction up). */
  readonly contribution: number;
  /** contribution / Σ |contribution| over all sensors: signed, and the |share|s sum to 1. */
  readonly share: number;
  /** The sensor's feature names, in model order. */
  readonly features: readonly string[];
}

export function sensorOf(featureName: string): string {
  const at = featureName.indexOf(SENSOR_SEPARATOR);
  return at < 0 ? featureName : featureName.slice(0, at);
}

/**
 * Per-sensor sums and shares of per-feature attributions (e.g. `shapValues(...).values`),
 * largest |contribution| first (ties by sensor name). All shares are 0 when every sum is 0.
 */
export function summarizeBySensor(featureNames: readonly string[], values: ArrayLike<number>): SensorAttribution[] {
  if (featureNames.length !== values.length) {
    throw new RangeError(`${featureNames.length} feature names for ${values.length} attributions`);
  }
  const groups = new Map<string, { contribution: number; features: string[] }>();
  for (let i = 0; i < featureNames.length; i++) {
    const name = featureNames[i]!;
    const sensor = sensorOf(name);
    let group = groups.get(sensor);
    if (!group) groups.set(sensor, (group = { contribution: 0, features: [] }));
    group.contribution += values[i]!;
    group.features.push(name);
  }
  let total = 0;
  for (const g of groups.values()) total += Math.abs(g.contribution);
  return [...groups]
    .map(([sensor, g]) => ({ sensor, contribution: g.contribution, share: total > 0 ? g.contribution / total : 0, features: g.features }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : 0));
}

/** `vibration_rms: +38%` / `oil_temp: -5%`: the share as a signed whole percentage. */
export function formatSensorShare(a: SensorAttribution): string {
  const percent = Math.round(a.share * 100);
  return `${a.sensor}: ${percent > 0 ? '+' : ''}${percent}%`;
}
