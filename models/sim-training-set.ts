/**
 * Labelled rows from simulator histories: each device's readings are folded through the same
 * streaming feature state the online scorer uses, and at every sampled moment with a feature
 * vector the row gets its labels from the device's events:
 *
 * - per failure mode: 1 if the device's next failure is this mode within `horizonHours`
 *   OPERATING hours, 0 if it is not (another mode first, or later, or none while the history
 *   still runs `horizonHours` on), NaN if the history ends too soon to know (censored);
 * - RUL: operating hours to the next failure of any mode, capped at `rulCapHours`; NaN when the
 *   history ends before the failure and before the cap.
 *
 * Moments while the machine is failed or in maintenance have no vector (insufficient data) and
 * give no row.
 */
import { featureVector } from './feature-extractor.ts';
import { featureNamesFor } from './feature-spec.ts';
import { createFeatureState, updateFeatureState } from './feature-window.ts';
import { readDeviceReadings, readEvents, type SimEvent, type SimFleet } from './sim-history.ts';

export interface TrainingSetOptions {
  /** "Fails within H operating hours". */
  readonly horizonHours: number;
  readonly rulCapHours: number;
  /** A row every this many simulated (wall) hours. Default 1. */
  readonly sampleHours?: number;
}

export interface LabelledRows {
  readonly equipmentType: string;
  readonly featureNames: readonly string[];
  readonly modes: readonly string[];
  /** Row-major, rows × featureNames.length. */
  readonly features: Float64Array;
  readonly rows: number;
  /** `<seed>/<device>` per row: the unit for splits. */
  readonly unit: readonly string[];
  readonly ts: Float64Array;
  readonly runHours: Float64Array;
  readonly rul: Float64Array;
  /** Per mode, per row: 1, 0 or NaN (censored). */
  readonly labels: ReadonlyMap<string, Float64Array>;
  /** Per row: index into `failures` of the device's next failure, -1 if none. */
  readonly nextFailure: Int32Array;
  /** Every failure of the type's devices, with its unit. */
  readonly failures: readonly (SimEvent & { readonly unit: string })[];
  /** Maintenance visits, with their unit (for evaluation). */
  readonly maintenance: readonly (SimEvent & { readonly unit: string })[];
  /** Operating and wall span per unit: device-months for false-alarm rates. */
  readonly unitDays: ReadonlyMap<string, number>;
}

const HOUR_MS = 3_600_000;

export async function buildTrainingSet(fleets: readonly SimFleet[], equipmentType: string, o: TrainingSetOptions): Promise<LabelledRows> {
  const featureNames = featureNamesFor(equipmentType);
  const d = featureNames.length;
  const modes = [...new Set(fleets.flatMap((f) => (f.equipmentTypes[equipmentType]?.failureModes ?? []).map((m) => m.id)))];
  const sampleMs = (o.sampleHours ?? 1) * HOUR_MS;

  let features = new Float64Array(1 << 16);
  const unit: string[] = [];
  const ts: number[] = [];
  const runHours: number[] = [];
  const rul: number[] = [];
  const labels = new Map(modes.map((m) => [m, [] as number[]]));
  const nextFailure: number[] = [];
  const failures: (SimEvent & { unit: string })[] = [];
  const maintenance: (SimEvent & { unit: string })[] = [];
  const unitDays = new Map<string, number>();

  for (const fleet of fleets) {
    const events = await readEvents(fleet);
    const byDevice = new Map<string, SimEvent[]>();
    for (const e of events) {
      let list = byDevice.get(e.device);
      if (!list) byDevice.set(e.device, (list = []));
      list.push(e);
    }
    for await (const { device, readings } of readDeviceReadings(fleet, equipmentType)) {
      const u = `${fleet.seed}/${device}`;
      unitDays.set(u, (fleet.endMs - fleet.startMs) / (24 * HOUR_MS));
      const deviceEvents = byDevice.get(device) ?? [];
      const firstFailure = failures.length;
      for (const e of deviceEvents) {
        if (e.kind === 'failure') failures.push({ ...e, unit: u });
        else if (e.kind === 'maintenance') maintenance.push({ ...e, unit: u });
      }
      const deviceFailures = failures.slice(firstFailure);
      const endRunHours = readings.length ? readings[readings.length - 1]!.metrics.run_hours ?? NaN : NaN;

      const state = createFeatureState(equipmentType);
      let nextSampleMs = -Infinity;
      let f = 0;
      for (const reading of readings) {
        if (!updateFeatureState(state, reading)) continue;
        if (reading.ts < nextSampleMs) continue;
        nextSampleMs = (Math.floor(reading.ts / sampleMs) + 1) * sampleMs;
        const v = featureVector(state);
        if (v.status !== 'ok') continue;

        while (f < deviceFailures.length && deviceFailures[f]!.atMs <= reading.ts) f++;
        const next = deviceFailures[f];
        const h = reading.metrics.run_hours!;
        const row = unit.length;
        if ((row + 1) * d > features.length) {
          const grown = new Float64Array(features.length * 2);
          grown.set(features);
          features = grown;
        }
        features.set(v.values, row * d);
        unit.push(u);
        ts.push(reading.ts);
        runHours.push(h);
        nextFailure.push(next ? firstFailure + f : -1);
        const toFailure = next ? next.runHours - h : NaN;
        const observed = endRunHours - h;
        rul.push(next ? Math.min(toFailure, o.rulCapHours) : observed >= o.rulCapHours ? o.rulCapHours : NaN);
        for (const m of modes) {
          const within = next !== undefined && toFailure <= o.horizonHours;
          labels.get(m)!.push(within ? (next.modes[0] === m ? 1 : 0) : next || observed >= o.horizonHours ? 0 : NaN);
        }
      }
    }
  }
  const rows = unit.length;
  return {
    equipmentType,
    featureNames,
    modes,
    features: features.slice(0, rows * d),
    rows,
    unit,
    ts: Float64Array.from(ts),
    runHours: Float64Array.from(runHours),
    rul: Float64Array.from(rul),
    labels: new Map([...labels].map(([m, l]) => [m, Float64Array.from(l)])),
    nextFailure: Int32Array.from(nextFailure),
    failures,
    maintenance,
    unitDays,
  };
}
