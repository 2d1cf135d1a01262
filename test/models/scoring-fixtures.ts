/**
 * Small real models for the online-scoring tests: a toy feature math (per sensor the last value
 * and the mean of the last readings), a bundle trained on synthetic rows with the same feature
 * names by the real trainer, saved in the real bundle format.
 */
import { trainGbdt } from '../../models/gbdt-trainer.ts';
import type { FeatureMath, FeatureVector, SourceReading } from '../../models/feature-source.ts';
import { saveBundle, type FeatureReference, type ModelCard } from '../../models/model-bundle.ts';
import { seededRandom } from '../../models/seeded-random.ts';

export const EQUIPMENT = 'toy_pump';
export const SENSORS = ['vibration_rms', 'bearing_temp', 'current'] as const;
export const FEATURE_NAMES = SENSORS.flatMap((s) => [`${s}__last`, `${s}__mean`]);
export const MODES = ['bearing_wear', 'seal_leak'] as const;
/** Readings before a vector is ok. */
export const MIN_READINGS = 5;
const KEEP = 10;

export interface ToyState {
  equipmentType: string;
  lastTs: number;
  recent: Record<string, number[]>;
}

const NAMES: readonly string[] = FEATURE_NAMES;

export const toyFeatureMath: FeatureMath<ToyState> = {
  create: (equipmentType) => ({ equipmentType, lastTs: -Infinity, recent: Object.fromEntries(SENSORS.map((s) => [s, []])) }),
  update(state, r: SourceReading) {
    if (!(r.ts > state.lastTs)) return false;
    state.lastTs = r.ts;
    for (const s of SENSORS) {
      const v = r.metrics[s];
      if (v === undefined) continue;
      const list = state.recent[s]!;
      list.push(v);
      if (list.length > KEEP) list.shift();
    }
    return true;
  },
  vector(state): FeatureVector {
    const n = Math.min(...SENSORS.map((s) => state.recent[s]!.length));
    if (n < MIN_READINGS) return { status: 'insufficient_data', reason: `${n} of ${MIN_READINGS} readings`, at: state.lastTs };
    const values = new Float64Array(NAMES.length);
    SENSORS.forEach((s, i) => {
      const list = state.recent[s]!;
      values[2 * i] = list[list.length - 1]!;
      values[2 * i + 1] = list.reduce((a, b) => a + b, 0) / list.length;
    });
    return { status: 'ok', names: NAMES, values, at: state.lastTs };
  },
  serialise: (state) => ({ ...state, lastTs: Number.isFinite(state.lastTs) ? state.lastTs : null }),
  deserialise(raw) {
    const r = raw as { equipmentType: string; lastTs: number | null; recent: Record<string, number[]> };
    if (!r || typeof r.equipmentType !== 'string' || typeof r.recent !== 'object') throw new Error('not a toy state');
    return { equipmentType: r.equipmentType, lastTs: r.lastTs ?? -Infinity, recent: r.recent };
  },
};

/** Quantile bins of each column: the card's drift reference. */
export function referenceOf(features: Float64Array, names: readonly string[], bins = 10): Record<string, FeatureReference> {
  const d = names.length;
  const n = features.length / d;
  const out: Record<string, FeatureReference> = {};
  names.forEach((name, f) => {
    const col = Float64Array.from({ length: n }, (_, i) => features[i * d + f]!).sort();
    const edges = Array.from({ length: bins - 1 }, (_, b) => col[Math.floor(((b + 1) * n) / bins)]!);
    const counts = new Array<number>(bins).fill(0);
    for (const x of col) {
      let b = 0;
      while (b < edges.length && x > edges[b]!) b++;
      counts[b]!++;
    }
    out[name] = { edges, shares: counts.map((c) => c / n) };
  });
  return out;
}

/**
 * Trains and saves a bundle: bearing_wear risk rises with vibration, seal_leak with current,
 * RUL falls with vibration. `bias` shifts the risk models' base score (to tell versions apart).
 */
export function buildToyBundle(dir: string, o: { version: string; seed?: number; bias?: number; rows?: number }): ModelCard {
  const seed = o.seed ?? 1;
  const random = seededRandom(seed);
  const rows = o.rows ?? 1500;
  const d = FEATURE_NAMES.length;
  const features = new Float64Array(rows * d);
  const wear = new Float64Array(rows);
  const leak = new Float64Array(rows);
  const rul = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < d; f++) features[i * d + f] = random() * 4;
    const vib = features[i * d + 1]!;
    const cur = features[i * d + 5]!;
    wear[i] = vib + random() * 0.5 > 2.5 ? 1 : 0;
    leak[i] = cur + random() * 0.5 > 3 ? 1 : 0;
    rul[i] = Math.max(0, 1000 - 240 * vib + random() * 20);
  }
  const opts = { nEstimators: 30, maxDepth: 3, learningRate: 0.3, validation: false as const, seed };
  const train = (labels: Float64Array, objective: 'binary' | 'regression') => trainGbdt({ features, labels, featureNames: FEATURE_NAMES }, { ...opts, objective }).model;
  const bias = o.bias ?? 0;
  const risk = new Map(
    MODES.map((m) => {
      const model = train(m === 'bearing_wear' ? wear : leak, 'binary');
      return [m, { ...model, baseScore: model.baseScore + bias }];
    }),
  );
  return saveBundle(dir, {
    card: {
      name: `${EQUIPMENT}-test`,
      version: o.version,
      equipmentType: EQUIPMENT,
      createdAt: '2026-11-24T00:00:00Z',
      modes: MODES.map((mode) => ({ mode, threshold: 0.5 })),
      horizonHours: 72,
      rul: { capHours: 1000, lowerBoundFactor: 0.6 },
      training: { data: 'synthetic', dataHash: 'none', rows, seed, command: 'test/models/scoring-fixtures.ts' },
      hyperParameters: opts,
      metrics: {},
      reference: referenceOf(features, FEATURE_NAMES),
    },
    rul: train(rul, 'regression'),
    risk,
  });
}

/** A reading every 10 minutes of device time; `vib` and `cur` set the level of the two informative sensors. */
export function toyReading(i: number, o: { start?: number; vib?: number; cur?: number } = {}): SourceReading {
  return {
    ts: (o.start ?? Date.UTC(2026, 10, 1)) + i * 600_000,
    metrics: { vibration_rms: o.vib ?? 1, bearing_temp: 2, current: o.cur ?? 1 },
  };
}
