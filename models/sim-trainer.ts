/**
 * Trains the simulated fleet's default models, one bundle per equipment type: a remaining-
 * useful-life regressor and one failure-within-horizon classifier per failure mode, on
 * simulator histories (several seeds), thresholds chosen on held-out devices, evaluated on
 * histories of other seeds. Deterministic: the same histories, options and seed give the same
 * ONNX and trees bytes (`card.createdAt` aside).
 */
import { PrognosError } from '../platform/errors.ts';
import { trainGbdt, type GbdtOptions } from './gbdt-trainer.ts';
import { saveBundle, type FeatureReference, type ModelCard } from './model-bundle.ts';
import { evaluateModes, evaluateRul, quantile, type ModeEvaluation, type RulEvaluation } from './sim-evaluation.ts';
import { historyHash, readFleet, type SimFleet } from './sim-history.ts';
import { buildTrainingSet, type LabelledRows } from './sim-training-set.ts';
import { seededRandom } from './seeded-random.ts';
import { predict, type TreeEnsemble } from './tree-ensemble.ts';
import { splitByUnit } from './validation-split.ts';
import { join } from 'node:path';

export interface SimTrainOptions {
  readonly historyDirs: readonly string[];
  readonly evalDirs: readonly string[];
  /** Bundles go to `<outDir>/<equipment_type>/`. */
  readonly outDir: string;
  readonly seed: number;
  /** Equipment types to train. Default: every type in the first history. */
  readonly types?: readonly string[];
  /** Classification horizon (operating hours). Default 72. */
  readonly horizonHours?: number;
  /** RUL cap (operating hours). Default 500. */
  readonly rulCapHours?: number;
  /** A training row every this many simulated hours. Default 1. */
  readonly sampleHours?: number;
  /** Trees at most per model. Default 200. */
  readonly nEstimators?: number;
  /** Default 5. */
  readonly maxDepth?: number;
  /** Default 0.05. */
  readonly learningRate?: number;
  /** Share of training devices held out for early stopping and thresholds. Default 0.2. */
  readonly validationFraction?: number;
  /** Bundle version. Default `1.0.0`. */
  readonly version?: string;
  /** Written to the card only (not part of the reproducible bytes). */
  readonly createdAt: string;
  /** The command line that reproduces this run, for the card. */
  readonly command: string;
  log?(line: string): void;
}

export interface SimTypeReport {
  readonly equipmentType: string;
  readonly dir: string;
  readonly card: ModelCard;
  readonly trainingRows: number;
  readonly evalRows: number;
  readonly modes: readonly ModeEvaluation[];
  readonly rul: RulEvaluation;
}

/** Bins of the drift reference per feature. */
const REFERENCE_BINS = 10;
/** Thresholds within this share of the best held-out episode F1 count as equally good. */
const THRESHOLD_F1_TOLERANCE = 0.95;
/** The RUL lower bound should hold for this share of held-out rows. */
const LOWER_BOUND_COVERAGE = 0.9;

export async function trainSimModels(o: SimTrainOptions): Promise<SimTypeReport[]> {
  const log = o.log ?? (() => {});
  const horizonHours = o.horizonHours ?? 72;
  const rulCapHours = o.rulCapHours ?? 500;
  const training = o.historyDirs.map(readFleet);
  const evaluation = o.evalDirs.map(readFleet);
  const trainSeeds = new Set(training.map((f) => f.seed));
  const overlap = evaluation.filter((f) => trainSeeds.has(f.seed));
  if (overlap.length) throw new PrognosError('PRG_BAD_REQUEST', `evaluation seed ${overlap[0]!.seed} is also a training seed: evaluate on unseen seeds`);
  const types = o.types ?? Object.keys(training[0]?.files.readings ?? {});
  const gbdt = {
    nEstimators: o.nEstimators ?? 200,
    maxDepth: o.maxDepth ?? 5,
    learningRate: o.learningRate ?? 0.05,
    subsample: 0.8,
    colsampleByTree: 0.8,
    minChildWeight: 1,
    lambda: 1,
    earlyStoppingRounds: 50,
    maxBins: 255,
  };
  const setOptions = { horizonHours, rulCapHours, sampleHours: o.sampleHours ?? 1 };

  const reports: SimTypeReport[] = [];
  for (const type of types) {
    const started = Date.now();
    const train = await buildTrainingSet(training, type, setOptions);
    const held = await buildTrainingSet(evaluation, type, setOptions);
    log(`${type}: ${train.rows} training rows, ${held.rows} evaluation rows (${Date.now() - started} ms)`);
    if (train.rows === 0 || held.rows === 0) throw new PrognosError('PRG_BAD_REQUEST', `${type}: no usable rows in the training or evaluation histories`);

    const split = splitByUnit(train.unit, o.validationFraction ?? 0.2, seededRandom(o.seed));
    const isValidation = new Uint8Array(train.rows);
    for (const r of split.validationRows) isValidation[r] = 1;

    const rulModel = fit(train, train.rul, isValidation, { ...gbdt, objective: 'regression', seed: o.seed });
    const lowerBoundFactor = chooseLowerBound(rulModel.model, train, isValidation, rulCapHours);
    const rulPred = predictAll(rulModel.model, held);
    const rul = evaluateRul(held, rulPred, rulCapHours, lowerBoundFactor);
    log(`${type}: rul ${rulModel.model.trees.length} trees, held-out RMSE ${rul.rmseHours.toFixed(1)} h on ${rul.rows} rows`);

    const risk = new Map<string, TreeEnsemble>();
    const thresholds = new Map<string, number>();
    const heldRisk = new Map<string, Float64Array>();
    for (const mode of train.modes) {
      const labels = train.labels.get(mode)!;
      const m = fit(train, labels, isValidation, { ...gbdt, objective: 'binary', seed: o.seed });
      risk.set(mode, m.model);
      thresholds.set(mode, chooseThreshold(m.model, train, mode, isValidation, horizonHours));
      heldRisk.set(mode, predictAll(m.model, held));
      log(`${type}: ${mode} ${m.model.trees.length} trees, threshold ${thresholds.get(mode)!.toFixed(3)}`);
    }
    const modes = evaluateModes(held, heldRisk, thresholds, horizonHours);

    const dir = join(o.outDir, type);
    const card = saveBundle(dir, {
      card: {
        name: `${type}-default`,
        version: o.version ?? '1.0.0',
        equipmentType: type,
        createdAt: o.createdAt,
        modes: train.modes.map((mode) => ({ mode, threshold: thresholds.get(mode)! })),
        horizonHours,
        rul: { capHours: rulCapHours, lowerBoundFactor },
        training: {
          data: describe(training),
          dataHash: historyHash(training, type),
          rows: train.rows,
          seed: o.seed,
          command: o.command,
        },
        hyperParameters: { ...gbdt, validationFraction: o.validationFraction ?? 0.2, sampleHours: setOptions.sampleHours, thresholdRule: 'lowest threshold within 95% of the best episode F1 (alarm-episode precision, failure recall) on held-out training devices' },
        metrics: {
          evaluation: describe(evaluation),
          evaluationDataHash: historyHash(evaluation, type),
          evaluationRows: held.rows,
          modes: Object.fromEntries(modes.map((m) => [m.mode, m])),
          rul,
        },
        reference: featureReference(train),
      },
      rul: rulModel.model,
      risk,
    });
    reports.push({ equipmentType: type, dir, card, trainingRows: train.rows, evalRows: held.rows, modes, rul });
  }
  return reports;
}

function describe(fleets: readonly SimFleet[]): string {
  const days = fleets.map((f) => Math.round((f.endMs - f.startMs) / 86_400_000));
  return `prognos simulate --history --seed ${fleets.map((f) => f.seed).join(',')} --devices ${fleets.map((f) => f.devices.length).join(',')} --days ${[...new Set(days)].join(',')}`;
}

function rowsWhere(set: LabelledRows, labels: Float64Array, isValidation: Uint8Array, validation: boolean) {
  const d = set.featureNames.length;
  const rows: number[] = [];
  for (let r = 0; r < set.rows; r++) if (!Number.isNaN(labels[r]!) && (isValidation[r] === 1) === validation) rows.push(r);
  const features = new Float64Array(rows.length * d);
  const y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    features.set(set.features.subarray(r * d, r * d + d), i * d);
    y[i] = labels[r]!;
  });
  return { rows, features, labels: y, units: rows.map((r) => set.unit[r]!) };
}

function fit(set: LabelledRows, labels: Float64Array, isValidation: Uint8Array, options: GbdtOptions) {
  const tr = rowsWhere(set, labels, isValidation, false);
  const va = rowsWhere(set, labels, isValidation, true);
  return trainGbdt(
    { features: tr.features, labels: tr.labels, featureNames: set.featureNames, groups: tr.units },
    { ...options, validation: va.labels.length > 0 ? { features: va.features, labels: va.labels } : false },
  );
}

function predictAll(model: TreeEnsemble, set: LabelledRows): Float64Array {
  const d = set.featureNames.length;
  const out = new Float64Array(set.rows);
  for (let r = 0; r < set.rows; r++) out[r] = predict(model, set.features.subarray(r * d, r * d + d));
  return out;
}

/**
 * The threshold with the best episode F1 (precision of alarm episodes, recall of failures; see
 * `sim-evaluation.ts`) on the held-out devices: the measure the product is judged by, rather
 * than a row-level F1 that rewards long streaks of alarms. 0.5 when they hold no failure of the mode.
 */
export function chooseThreshold(model: TreeEnsemble, set: LabelledRows, mode: string, isValidation: Uint8Array, horizonHours: number): number {
  const held = selectRows(set, isValidation);
  if (!held.failures.some((f) => f.modes[0] === mode)) return 0.5;
  const d = set.featureNames.length;
  const p = new Float64Array(held.rows);
  for (let r = 0; r < held.rows; r++) p[r] = predict(model, held.features.subarray(r * d, r * d + d));
  // Candidates: the scores of held-out rows shortly before a failure of this mode, thinned to at most 200.
  const labels = held.labels.get(mode)!;
  const positives = [...new Set(Array.from(p).filter((_, r) => labels[r] === 1))].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(positives.length / 200));
  const scored: { threshold: number; f1: number }[] = [];
  for (let i = 0; i < positives.length; i += step) {
    const threshold = positives[i]!;
    const [m] = evaluateModes({ ...held, modes: [mode] }, new Map([[mode, p]]), new Map([[mode, threshold]]), horizonHours);
    const precision = m!.episodes ? m!.precision : 0;
    scored.push({ threshold, f1: precision + m!.recall > 0 ? (2 * precision * m!.recall) / (precision + m!.recall) : 0 });
  }
  // A few held-out failures make F1 noisy; of the near-best thresholds take the lowest: earlier warnings.
  const best = Math.max(...scored.map((c) => c.f1));
  return scored.find((c) => c.f1 >= THRESHOLD_F1_TOLERANCE * best)?.threshold ?? 0.5;
}

/** The rows of `set` where `mask` is 1, with the failures and visits of their units only. */
function selectRows(set: LabelledRows, mask: Uint8Array): LabelledRows {
  const d = set.featureNames.length;
  const rows: number[] = [];
  for (let r = 0; r < set.rows; r++) if (mask[r] === 1) rows.push(r);
  const units = new Set(rows.map((r) => set.unit[r]!));
  const failureIndex = new Map<number, number>();
  const failures: LabelledRows['failures'][number][] = [];
  set.failures.forEach((f, i) => {
    if (!units.has(f.unit)) return;
    failureIndex.set(i, failures.length);
    failures.push(f);
  });
  const features = new Float64Array(rows.length * d);
  rows.forEach((r, i) => features.set(set.features.subarray(r * d, r * d + d), i * d));
  const pick = (a: Float64Array) => Float64Array.from(rows, (r) => a[r]!);
  return {
    ...set,
    features,
    rows: rows.length,
    unit: rows.map((r) => set.unit[r]!),
    ts: pick(set.ts),
    runHours: pick(set.runHours),
    rul: pick(set.rul),
    labels: new Map([...set.labels].map(([m, l]) => [m, pick(l)])),
    nextFailure: Int32Array.from(rows, (r) => (set.nextFailure[r]! >= 0 ? failureIndex.get(set.nextFailure[r]!)! : -1)),
    failures,
    maintenance: set.maintenance.filter((m) => units.has(m.unit)),
    unitDays: new Map([...set.unitDays].filter(([u]) => units.has(u))),
  };
}

/** Factor f with true RUL ≥ f × predicted on LOWER_BOUND_COVERAGE of held-out rows before a failure. */
function chooseLowerBound(model: TreeEnsemble, set: LabelledRows, isValidation: Uint8Array, capHours: number): number {
  const d = set.featureNames.length;
  const ratios: number[] = [];
  for (let r = 0; r < set.rows; r++) {
    const y = set.rul[r]!;
    if (isValidation[r] !== 1 || !(y < capHours)) continue;
    const p = predict(model, set.features.subarray(r * d, r * d + d));
    if (p > 0) ratios.push(y / p);
  }
  if (ratios.length === 0) return 0.5;
  ratios.sort((a, b) => a - b);
  return Math.min(1, Math.max(0.05, quantile(ratios, 1 - LOWER_BOUND_COVERAGE)));
}

/**
 * Per feature: REFERENCE_BINS quantile bins of the training rows. A value x falls in the first
 * bin i with x <= edges[i], else in the last; NaN is not counted.
 */
export function featureReference(set: LabelledRows): Record<string, FeatureReference> {
  const d = set.featureNames.length;
  const out: Record<string, FeatureReference> = {};
  for (let j = 0; j < d; j++) {
    const values: number[] = [];
    for (let r = 0; r < set.rows; r++) {
      const x = set.features[r * d + j]!;
      if (!Number.isNaN(x)) values.push(x);
    }
    values.sort((a, b) => a - b);
    const edges: number[] = [];
    if (values.length > 0) {
      for (let b = 1; b < REFERENCE_BINS; b++) {
        const e = values[Math.min(values.length - 1, Math.floor((b * values.length) / REFERENCE_BINS))]!;
        if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
      }
      // The largest value closes no bin: the last bin is open-ended.
      while (edges.length > 0 && edges[edges.length - 1]! >= values[values.length - 1]!) edges.pop();
    }
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const x of values) {
      let i = 0;
      while (i < edges.length && x > edges[i]!) i++;
      counts[i]!++;
    }
    out[set.featureNames[j]!] = { edges, shares: counts.map((c) => (values.length ? c / values.length : 0)) };
  }
  return out;
}
