/**
 * One loaded model bundle, ready to turn feature vectors into {@link Prediction}s: risk per
 * failure mode and RUL from the bundle's ONNX models (onnxruntime, one session per model),
 * explanations from exact TreeSHAP on the same trees (trees.json), grouped by sensor.
 *
 * A vector the features call insufficient becomes an `insufficient_data` prediction with no
 * risks and no RUL: it is never scored.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrognosError } from '../platform/errors.ts';
import { summarizeBySensor } from './attribution-summary.ts';
import type { FeatureVector } from './feature-source.ts';
import { loadBundle, type ModelBundle, type ModelCard } from './model-bundle.ts';
import { OnnxScorer } from './onnx-scorer.ts';
import type { Attribution, FailureModeRisk, Prediction } from './prediction.ts';
import { shapValues } from './tree-shap.ts';
import type { TreeEnsemble } from './tree-ensemble.ts';

export interface BundleScorerOptions {
  /** Attributions per failure mode. Default 5 (the Prediction contract's most). */
  topAttributions?: number;
  /**
   * Which modes get TreeSHAP attributions: `all`, only modes whose risk reaches their
   * threshold (`above_threshold`: most predictions are quiet and nobody reads their reasons),
   * or `none`. Default `all`.
   */
  explain?: 'all' | 'above_threshold' | 'none';
  /** onnxruntime intra-op threads per session. Default 1. */
  threads?: number;
}

/** One vector to score, and whose it is. */
export interface ScoringInput {
  readonly tenant: string;
  readonly device: string;
  readonly vector: FeatureVector;
}

/** sha256 of a bundle's card.json: the identity the registry records for a version. */
export function cardHash(dir: string): string {
  return createHash('sha256').update(readFileSync(join(dir, 'card.json'))).digest('hex');
}

export class BundleScorer {
  readonly card: ModelCard;
  private readonly featureIndex: ReadonlyMap<string, number>;
  /** Last names array seen → its permutation into card order (vectors of one source share one array). */
  private lastNames: readonly string[] | undefined;
  private lastPermutation: Int32Array | null = null;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly bundle: ModelBundle,
    private readonly rul: OnnxScorer | null,
    private readonly risk: ReadonlyMap<string, OnnxScorer>,
    private readonly options: Required<Pick<BundleScorerOptions, 'topAttributions' | 'explain'>>,
  ) {
    this.card = bundle.card;
    this.featureIndex = new Map(this.card.featureNames.map((n, i) => [n, i]));
  }

  /** Loads a bundle (a directory, checked against its card's hashes, or one already read). */
  static async load(bundle: ModelBundle | string, options: BundleScorerOptions = {}): Promise<BundleScorer> {
    const b = typeof bundle === 'string' ? loadBundle(bundle) : bundle;
    const sessionOptions = { threads: options.threads ?? 1 };
    const opened: OnnxScorer[] = [];
    try {
      const open = async (file: string) => {
        const bytes = b.onnx.get(file);
        if (!bytes) throw new PrognosError('PRG_MODEL_INVALID', `${b.dir}: no ${file}`);
        const s = await OnnxScorer.load(bytes, sessionOptions);
        opened.push(s);
        if (s.width !== b.card.featureNames.length) throw new PrognosError('PRG_MODEL_INVALID', `${b.dir}/${file} takes ${s.width} features, the card lists ${b.card.featureNames.length}`);
        return s;
      };
      const rul = b.card.rul ? await open(b.card.rul.file) : null;
      const risk = new Map<string, OnnxScorer>();
      for (const m of b.card.modes) risk.set(m.mode, await open(m.file));
      return new BundleScorer(b, rul, risk, { topAttributions: options.topAttributions ?? 5, explain: options.explain ?? 'all' });
    } catch (err) {
      await Promise.allSettled(opened.map((s) => s.close()));
      throw err;
    }
  }

  get version(): string {
    return this.card.version;
  }

  get equipmentType(): string {
    return this.card.equipmentType;
  }

  /**
   * Scores a batch: one onnxruntime run per model over all `ok` vectors, then TreeSHAP per row
   * and mode. Predictions come back in input order. A vector's features are matched to the
   * model by name; a feature the vector lacks is missing (NaN), which the trees handle.
   */
  async score(inputs: readonly ScoringInput[]): Promise<Prediction[]> {
    // Counted before the first await, so a close() that starts after this call waits for it.
    if (this.closing) throw new PrognosError('PRG_INTERNAL', `model ${this.card.name} ${this.version} is closed`);
    this.inFlight++;
    try {
      return await this.scoreBatch(inputs);
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  /** Waits for batches in flight, then releases the sessions. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      await Promise.all([...(this.rul ? [this.rul] : []), ...this.risk.values()].map((s) => s.close()));
    })();
    return this.closing;
  }

  private async scoreBatch(inputs: readonly ScoringInput[]): Promise<Prediction[]> {
    const width = this.card.featureNames.length;
    const okRows: number[] = [];
    for (let i = 0; i < inputs.length; i++) if (inputs[i]!.vector.status === 'ok') okRows.push(i);
    const n = okRows.length;
    const flat = new Float32Array(n * width);
    const rows: Float64Array[] = [];
    okRows.forEach((i, r) => {
      const row = this.align(inputs[i]!.vector as Extract<FeatureVector, { status: 'ok' }>);
      rows.push(row);
      flat.set(row, r * width);
    });
    const [rul, ...risks] = await Promise.all([
      this.rul && n > 0 ? this.rul.score(flat, n) : Promise.resolve(null),
      ...this.card.modes.map((m) => (n > 0 ? this.risk.get(m.mode)!.score(flat, n) : Promise.resolve(new Float64Array(0)))),
    ]);
    const out: Prediction[] = [];
    let r = 0;
    for (const input of inputs) {
      const v = input.vector;
      const base = { tenant: input.tenant, device: input.device, equipmentType: this.card.equipmentType, at: Math.round(v.at), modelVersion: this.version };
      if (v.status !== 'ok') {
        out.push({ ...base, status: 'insufficient_data', insufficientReason: v.reason, risks: [], rulHours: null, rulLowerHours: null });
        continue;
      }
      const row = rows[r]!;
      const modeRisks: FailureModeRisk[] = this.card.modes.map((m, k) => {
        const risk = clamp(risks[k]![r]!, 0, 1);
        const explain = this.options.explain === 'all' || (this.options.explain === 'above_threshold' && risk >= m.threshold);
        return {
          mode: m.mode,
          risk,
          horizonHours: this.card.horizonHours,
          threshold: m.threshold,
          attributions: explain ? this.attributions(this.bundle.risk.get(m.mode)!, row) : [],
        };
      });
      let rulHours: number | null = null;
      let rulLowerHours: number | null = null;
      if (rul && this.card.rul) {
        rulHours = clamp(rul[r]!, 0, this.card.rul.capHours);
        rulLowerHours = rulHours * this.card.rul.lowerBoundFactor;
      }
      out.push({ ...base, status: 'ok', risks: modeRisks, rulHours, rulLowerHours });
      r++;
    }
    return out;
  }

  /** The vector's values in the model's feature order. */
  private align(v: Extract<FeatureVector, { status: 'ok' }>): Float64Array {
    const names = this.card.featureNames;
    if (v.names === names) return v.values;
    if (v.names !== this.lastNames) {
      this.lastNames = v.names;
      const same = v.names.length === names.length && v.names.every((n, i) => n === names[i]);
      this.lastPermutation = same ? null : Int32Array.from(names, (n) => v.names.indexOf(n));
    }
    const perm = this.lastPermutation;
    if (!perm) {
      if (v.values.length !== names.length) throw new PrognosError('PRG_BAD_REQUEST', `vector has ${v.values.length} values for ${names.length} names`);
      return v.values;
    }
    return Float64Array.from(perm, (j) => (j < 0 ? NaN : v.values[j]!));
  }

  /** Top sensors by |TreeSHAP| on the raw score, each named by its strongest feature. */
  private attributions(model: TreeEnsemble, row: Float64Array): Attribution[] {
    const { values } = shapValues(model, row);
    const names = this.card.featureNames;
    const bySensor = summarizeBySensor(names, values);
    return bySensor.slice(0, this.options.topAttributions).map((s) => {
      let best = s.features[0]!;
      let bestAbs = -1;
      for (const f of s.features) {
        const a = Math.abs(values[this.featureIndex.get(f)!]!);
        if (a > bestAbs) {
          bestAbs = a;
          best = f;
        }
      }
      const value = row[this.featureIndex.get(best)!]!;
      return { sensor: s.sensor, feature: best, contribution: s.contribution, share: Math.abs(s.share), value: Number.isFinite(value) ? value : null };
    });
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
