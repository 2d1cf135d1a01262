/**
 * Seeded synthetic training sets for the trainer and TreeSHAP tests: uniform features, a label
 * computed from them, optional missing values and unit ids.
 */
import { seededRandom, type Random } from '../../models/seeded-random.ts';

export interface SyntheticDataset {
  features: Float64Array;
  labels: Float64Array;
  groups: Int32Array;
  featureNames: string[];
  nFeatures: number;
}

export interface SyntheticOptions {
  rows: number;
  features: number;
  seed: number;
  /** The label of one row from its features (read before NaNs are punched in) and a PRNG. */
  label: (x: Float64Array, random: Random) => number;
  /** Features are uniform in [-range, range]. Default 2. */
  range?: number;
  /** Share of values replaced by NaN after labelling. Default 0. */
  nanRate?: number;
  /** Rows per unit: consecutive rows share a unit id. Default 20. */
  rowsPerUnit?: number;
}

export function syntheticDataset(o: SyntheticOptions): SyntheticDataset {
  const random = seededRandom(o.seed);
  const d = o.features;
  const range = o.range ?? 2;
  const features = new Float64Array(o.rows * d);
  const labels = new Float64Array(o.rows);
  const groups = new Int32Array(o.rows);
  const x = new Float64Array(d);
  for (let i = 0; i < o.rows; i++) {
    for (let f = 0; f < d; f++) x[f] = (random() * 2 - 1) * range;
    labels[i] = o.label(x, random);
    for (let f = 0; f < d; f++) features[i * d + f] = random() < (o.nanRate ?? 0) ? NaN : x[f]!;
    groups[i] = Math.floor(i / (o.rowsPerUnit ?? 20));
  }
  return { features, labels, groups, nFeatures: d, featureNames: Array.from({ length: d }, (_, f) => `s${f}__level`) };
}

/** Rows [from, to) of a dataset, as a new dataset. */
export function sliceRows(data: SyntheticDataset, from: number, to: number): SyntheticDataset {
  const d = data.nFeatures;
  return {
    ...data,
    features: data.features.slice(from * d, to * d),
    labels: data.labels.slice(from, to),
    groups: data.groups.slice(from, to),
  };
}

export function row(data: { features: Float64Array | Float32Array; nFeatures: number }, i: number): Float64Array | Float32Array {
  return data.features.subarray(i * data.nFeatures, (i + 1) * data.nFeatures);
}

/** Gaussian noise (Box–Muller) from a uniform PRNG. */
export function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
