/**
 * Input drift: has what the model sees moved away from what it was trained on? Per feature,
 * the population stability index (PSI) of the recent live vectors against the training bins in
 * the model card's `reference`:
 *
 *     PSI = Σ_bins (live% − train%) · ln(live% / train%)
 *
 * The usual reading (Siddiqi, "Credit Risk Scorecards", 2006): < 0.1 stable, 0.1–0.25 a
 * moderate shift worth a look, > 0.25 a shift that makes the model's scores untrustworthy. A
 * model is flagged when any of its most important features crosses those lines.
 */
import type { FeatureVector } from './feature-source.ts';
import type { FeatureReference, ModelBundle } from './model-bundle.ts';
import type { TreeEnsemble } from './tree-ensemble.ts';

/** Empty bins get this share, so ln() stays finite (a common PSI convention). */
const EMPTY_SHARE = 1e-4;

export const PSI_WARN = 0.1;
export const PSI_DRIFT = 0.25;

/** Bin of `x` under `edges` (ascending, k-1 edges for k bins): bin i holds edges[i-1] < x <= edges[i]. */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** PSI of `values` (NaN skipped) against a reference; NaN when no value is finite. */
export function psi(reference: FeatureReference, values: ArrayLike<number>): number {
  const k = reference.shares.length;
  const counts = new Float64Array(k);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    counts[Math.min(k - 1, binOf(reference.edges, x))]!++;
    n++;
  }
  if (n === 0) return NaN;
  let sum = 0;
  for (let b = 0; b < k; b++) {
    const live = Math.max(counts[b]! / n, EMPTY_SHARE);
    const train = Math.max(reference.shares[b]!, EMPTY_SHARE);
    sum += (live - train) * Math.log(live / train);
  }
  return sum;
}

/**
 * Features by importance over all of a bundle's models: the training weight (cover) of the
 * nodes that split on them, so a feature that routes most rows near the root counts most.
 */
export function featureImportance(bundle: Pick<ModelBundle, 'rul' | 'risk' | 'card'>): { feature: string; weight: number }[] {
  const names = bundle.card.featureNames;
  const weight = new Float64Array(names.length);
  const models: TreeEnsemble[] = [...(bundle.rul ? [bundle.rul] : []), ...bundle.risk.values()];
  for (const m of models) {
    for (const t of m.trees) {
      const root = t.cover[0]! || 1;
      for (let i = 0; i < t.feature.length; i++) if (t.feature[i]! >= 0) weight[t.feature[i]!]! += t.cover[i]! / root;
    }
  }
  return names.map((feature, i) => ({ feature, weight: weight[i]! })).sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1));
}

/** Worst first, features without a value last. */
const rank = (x: number) => (Number.isNaN(x) ? -1 : x);

export type DriftLevel = 'ok' | 'warn' | 'drift' | 'insufficient';

export interface DriftReport {
  readonly equipmentType: string;
  readonly modelVersion: string;
  /** Epoch ms of the newest vector in the sample. */
  readonly at: number;
  /** Vectors in the sample. */
  readonly sampleSize: number;
  /** The verdict from the top features: `insufficient` while the sample is smaller than `minSample`. */
  readonly level: DriftLevel;
  /** The top features' PSI, worst first. */
  readonly top: { feature: string; psi: number }[];
  /** Every referenced feature's PSI (NaN when the sample had no value of it). */
  readonly psi: Record<string, number>;
}

export interface DriftMonitorOptions {
  /** Recent vectors kept per equipment type. Default 1000. */
  window?: number;
  /** Fewest vectors for a verdict. Default 200. */
  minSample?: number;
  /** How many of the most important features decide the verdict. Default 10. */
  topFeatures?: number;
}

interface Sample {
  modelVersion: string;
  names: readonly string[];
  top: readonly string[];
  reference: Record<string, FeatureReference>;
  /** Ring of recent vectors, row-major in model feature order. */
  rows: Float64Array;
  count: number;
  next: number;
  at: number;
}

/** Keeps a window of recent live vectors per equipment type and reports their drift on demand. */
export class DriftMonitor {
  private readonly samples = new Map<string, Sample>();
  private readonly window: number;
  private readonly minSample: number;
  private readonly topFeatures: number;

  constructor(options: DriftMonitorOptions = {}) {
    this.window = options.window ?? 1000;
    this.minSample = options.minSample ?? 200;
    this.topFeatures = options.topFeatures ?? 10;
  }

  /**
   * Adds a live vector scored by `bundle` (insufficient vectors are not inputs, so not drift).
   * A new model version starts a new sample: drift is judged against the model in service.
   */
  observe(bundle: Pick<ModelBundle, 'rul' | 'risk' | 'card'>, vector: FeatureVector): void {
    if (vector.status !== 'ok') return;
    const card = bundle.card;
    let s = this.samples.get(card.equipmentType);
    if (!s || s.modelVersion !== card.version) {
      s = {
        modelVersion: card.version,
        names: card.featureNames,
        top: featureImportance(bundle)
          .filter((f) => card.reference[f.feature] && f.weight > 0)
          .slice(0, this.topFeatures)
          .map((f) => f.feature),
        reference: card.reference,
        rows: new Float64Array(this.window * card.featureNames.length).fill(NaN),
        count: 0,
        next: 0,
        at: 0,
      };
      this.samples.set(card.equipmentType, s);
    }
    const width = s.names.length;
    const at = s.next * width;
    if (vector.names === s.names || vector.names.join('\n') === s.names.join('\n')) s.rows.set(vector.values.subarray(0, width), at);
    else s.names.forEach((n, i) => (s.rows[at + i] = vector.values[vector.names.indexOf(n)] ?? NaN));
    s.next = (s.next + 1) % this.window;
    s.count = Math.min(s.count + 1, this.window);
    s.at = Math.max(s.at, vector.at);
  }

  /** The drift of the current sample of `equipmentType`; undefined before any vector. */
  report(equipmentType: string): DriftReport | undefined {
    const s = this.samples.get(equipmentType);
    if (!s) return undefined;
    const width = s.names.length;
    const column = new Float64Array(s.count);
    const all: Record<string, number> = {};
    s.names.forEach((name, f) => {
      const ref = s.reference[name];
      if (!ref) return;
      for (let r = 0; r < s.count; r++) column[r] = s.rows[r * width + f]!;
      all[name] = psi(ref, column);
    });
    const top = s.top.map((feature) => ({ feature, psi: all[feature]! })).sort((a, b) => rank(b.psi) - rank(a.psi));
    const worst = Math.max(0, ...top.map((t) => (Number.isNaN(t.psi) ? 0 : t.psi)));
    const level: DriftLevel = s.count < this.minSample ? 'insufficient' : worst > PSI_DRIFT ? 'drift' : worst > PSI_WARN ? 'warn' : 'ok';
    return { equipmentType, modelVersion: s.modelVersion, at: s.at, sampleSize: s.count, level, top, psi: all };
  }

  /** The latest report of every equipment type with a sample. */
  reports(): DriftReport[] {
    return [...this.samples.keys()].map((t) => this.report(t)!);
  }
}
