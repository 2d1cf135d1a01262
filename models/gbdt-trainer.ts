/**
 * Gradient-boosted decision trees: second-order boosting (XGBoost-style gain with L2 `lambda`,
 * `minChildWeight`, `gamma`) over histogram-binned features, depth-wise trees, row and column
 * subsampling, and early stopping on units held out whole. Produces a {@link TreeEnsemble}.
 *
 * Deterministic: one seeded PRNG drives the validation split, the quantile sample, and each
 * tree's row and feature samples, so the same data, options and seed give the same model.
 */
import { PrognosError } from '../platform/errors.ts';
import { computeGradients, initialScore, lossMetric, metricName, type Objective } from './boosting-objective.ts';
import { binFeatures, type FeatureMatrix } from './feature-binning.ts';
import { sampleIndices, seededRandom, type Random } from './seeded-random.ts';
import { leafIndex, type Tree, type TreeEnsemble } from './tree-ensemble.ts';
import { binnedLeaf, createGrowerWorkspace, growTree, type TreeParams } from './tree-grower.ts';
import { splitByUnit } from './validation-split.ts';

export interface GbdtTrainingData {
  /** Row-major, `labels.length × featureNames.length`; NaN marks a missing value. */
  readonly features: FeatureMatrix;
  readonly labels: Float64Array;
  readonly featureNames: readonly string[];
  /** Unit id per row (machine, engine): the validation split keeps a unit's rows together. */
  readonly groups?: ArrayLike<string | number>;
}

/** Hold out a share of the units of the training data. */
export interface UnitHoldout {
  /** Share of units held out. Default 0.2. */
  readonly fraction?: number;
  /** Unit id per row. Default `data.groups`; without either, every row is its own unit. */
  readonly groups?: ArrayLike<string | number>;
}

/** An explicit validation set, with the training data's features. */
export interface ValidationSet {
  readonly features: FeatureMatrix;
  readonly labels: Float64Array;
}

export interface GbdtOptions {
  /** `regression`: squared error, base score = mean label. `binary`: logistic loss, labels 0/1. */
  readonly objective: Objective;
  /** Most trees to grow. Default 1000. */
  readonly nEstimators?: number;
  /** Shrinkage on every leaf value. Default 0.05. */
  readonly learningRate?: number;
  /** Depth-wise growth stops at this depth (at most 2^maxDepth leaves). Default 6. */
  readonly maxDepth?: number;
  /** Quantile bins per feature, NaN's bin not counted; at most 65535. Default 255. */
  readonly maxBins?: number;
  /** Share of training rows each tree is grown on. Default 0.8. */
  readonly subsample?: number;
  /** Share of features each tree may split on. Default 0.8. */
  readonly colsampleByTree?: number;
  /** L2 penalty on leaf values. Default 1. */
  readonly lambda?: number;
  /** Least hessian sum in a child (rows, for regression). Default 1. */
  readonly minChildWeight?: number;
  /** Least gain for a split (gain = G²ₗ/(Hₗ+λ) + G²ᵣ/(Hᵣ+λ) − G²/(H+λ), XGBoost's scale). Default 0. */
  readonly gamma?: number;
  /** PRNG seed. Default 0. */
  readonly seed?: number;
  /**
   * What early stopping watches: a unit hold-out of the training data, an explicit set, or
   * `false` to grow all `nEstimators` trees on all rows. Default `{ fraction: 0.2 }`.
   */
  readonly validation?: UnitHoldout | ValidationSet | false;
  /** Stop after this many trees without a better validation metric. Default 50. */
  readonly earlyStoppingRounds?: number;
}

export interface TrainingHistory {
  readonly metric: 'rmse' | 'logloss';
  /** Metric on the training rows; entry i is after i + 1 trees. */
  readonly train: number[];
  /** Metric on the validation rows, aligned with `train`; empty without validation. */
  readonly validation: number[];
  /** Trees kept: the count with the lowest validation metric (0 if no tree beat the base score). */
  readonly bestTreeCount: number;
  readonly stoppedEarly: boolean;
  /** Rows of `data` the unit hold-out kept for validation (ascending); empty otherwise. */
  readonly validationRows: Int32Array;
}

export interface GbdtResult {
  readonly model: TreeEnsemble;
  readonly history: TrainingHistory;
}

export function trainGbdt(data: GbdtTrainingData, options: GbdtOptions): GbdtResult {
  const o = resolveOptions(options);
  const nFeatures = data.featureNames.length;
  checkData(data.features, data.labels, nFeatures, o.objective, 'data');
  const random = seededRandom(o.seed);

  let train = { features: data.features, labels: data.labels };
  let validation: ValidationSet | null = null;
  let validationRows: Int32Array = new Int32Array(0);
  if (o.validation !== false && 'labels' in o.validation) {
    checkData(o.validation.features, o.validation.labels, nFeatures, o.objective, 'validation');
    validation = o.validation;
  } else if (o.validation !== false) {
    const groups = o.validation.groups ?? data.groups ?? rowsAsUnits(data.labels.length);
    if (groups.length !== data.labels.length) throw badRequest(`groups has ${groups.length} entries for ${data.labels.length} rows`);
    const split = splitByUnit(groups, o.validation.fraction ?? 0.2, random);
    train = takeRows(data.features, data.labels, nFeatures, split.trainRows);
    validation = takeRows(data.features, data.labels, nFeatures, split.validationRows);
    validationRows = split.validationRows;
  }

  const nRows = train.labels.length;
  const binned = binFeatures(train.features, nRows, nFeatures, o.maxBins, random);
  const ws = createGrowerWorkspace(binned);
  const baseScore = initialScore(o.objective, train.labels);
  const raw = new Float64Array(nRows).fill(baseScore);
  const gh = new Float64Array(2 * nRows);
  const sampleBuffer = new Int32Array(nRows);
  const nSampledFeatures = Math.max(1, Math.round(o.colsampleByTree * nFeatures));
  const validationRaw = new Float64Array(validation?.labels.length ?? 0).fill(baseScore);
  const validationViews = validation ? rowViews(validation.features, nFeatures) : [];

  const trees: Tree[] = [];
  const history = { train: [] as number[], validation: [] as number[] };
  let bestMetric = validation ? lossMetric(o.objective, validation.labels, validationRaw) : Infinity;
  let bestTreeCount = 0;
  let stoppedEarly = false;

  for (let t = 0; t < o.nEstimators; t++) {
    computeGradients(o.objective, train.labels, raw, gh);
    const rows = subsampleRows(random, nRows, o.subsample, sampleBuffer);
    const features = sampleIndices(random, nFeatures, nSampledFeatures);
    const grown = growTree(ws, rows, gh, features, o);
    const { value } = grown.tree;
    for (let r = 0; r < nRows; r++) {
      const leaf = ws.leafOfRow[r]!;
      raw[r]! += value[leaf >= 0 ? leaf : binnedLeaf(grown, binned, r)]!;
    }
    trees.push(grown.tree);
    history.train.push(lossMetric(o.objective, train.labels, raw));
    if (!validation) continue;

    for (let i = 0; i < validationViews.length; i++) validationRaw[i]! += value[leafIndex(grown.tree, validationViews[i]!)]!;
    const metric = lossMetric(o.objective, validation.labels, validationRaw);
    history.validation.push(metric);
    if (metric < bestMetric) {
      bestMetric = metric;
      bestTreeCount = trees.length;
    } else if (trees.length - bestTreeCount >= o.earlyStoppingRounds) {
      stoppedEarly = true;
      break;
    }
  }

  const kept = validation ? trees.slice(0, bestTreeCount) : trees;
  return {
    model: { objective: o.objective, baseScore, trees: kept, featureNames: [...data.featureNames] },
    history: {
      metric: metricName(o.objective),
      ...history,
      bestTreeCount: kept.length,
      stoppedEarly,
      validationRows,
    },
  };
}

type ResolvedOptions = Required<Omit<GbdtOptions, 'validation'>> &
  TreeParams & { validation: UnitHoldout | ValidationSet | false };

function resolveOptions(options: GbdtOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    objective: options.objective,
    nEstimators: options.nEstimators ?? 1000,
    learningRate: options.learningRate ?? 0.05,
    maxDepth: options.maxDepth ?? 6,
    maxBins: options.maxBins ?? 255,
    subsample: options.subsample ?? 0.8,
    colsampleByTree: options.colsampleByTree ?? 0.8,
    lambda: options.lambda ?? 1,
    minChildWeight: options.minChildWeight ?? 1,
    gamma: options.gamma ?? 0,
    seed: options.seed ?? 0,
    validation: options.validation ?? {},
    earlyStoppingRounds: options.earlyStoppingRounds ?? 50,
  };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw badRequest(what);
  };
  check(o.objective === 'regression' || o.objective === 'binary', `unknown objective ${String(o.objective)}`);
  check(Number.isInteger(o.nEstimators) && o.nEstimators >= 0, 'nEstimators must be an integer ≥ 0');
  check(o.learningRate > 0, 'learningRate must be > 0');
  check(Number.isInteger(o.maxDepth) && o.maxDepth >= 0 && o.maxDepth <= 30, 'maxDepth must be an integer in [0, 30]');
  check(Number.isInteger(o.maxBins) && o.maxBins >= 2 && o.maxBins <= 65535, 'maxBins must be an integer in [2, 65535]');
  check(o.subsample > 0 && o.subsample <= 1, 'subsample must be in (0, 1]');
  check(o.colsampleByTree > 0 && o.colsampleByTree <= 1, 'colsampleByTree must be in (0, 1]');
  check(o.lambda >= 0 && o.minChildWeight >= 0 && o.gamma >= 0, 'lambda, minChildWeight and gamma must be ≥ 0');
  check(Number.isInteger(o.earlyStoppingRounds) && o.earlyStoppingRounds >= 1, 'earlyStoppingRounds must be an integer ≥ 1');
  if (o.validation !== false && !('labels' in o.validation)) {
    const fraction = o.validation.fraction ?? 0.2;
    check(fraction > 0 && fraction < 1, 'validation.fraction must be in (0, 1)');
  }
  return o;
}

function checkData(features: FeatureMatrix, labels: Float64Array, nFeatures: number, objective: Objective, what: string): void {
  // An empty validation set would never improve and silently stop training at zero trees.
  if (labels.length === 0 || nFeatures === 0) throw badRequest(`${what}: needs at least one row and one feature`);
  if (features.length !== labels.length * nFeatures) {
    throw badRequest(`${what}: ${features.length} feature values for ${labels.length} rows × ${nFeatures} features`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (objective === 'binary' ? y !== 0 && y !== 1 : !Number.isFinite(y)) {
      throw badRequest(`${what}: label ${y} at row ${i} (${objective === 'binary' ? 'binary labels are 0 or 1' : 'labels must be finite'})`);
    }
  }
}

function badRequest(detail: string): PrognosError {
  return new PrognosError('PRG_BAD_REQUEST', `trainGbdt: ${detail}`);
}

function rowsAsUnits(n: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return ids;
}

function takeRows(features: FeatureMatrix, labels: Float64Array, d: number, rows: Int32Array): ValidationSet {
  const out = features instanceof Float32Array ? new Float32Array(rows.length * d) : new Float64Array(rows.length * d);
  const outLabels = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.set(features.subarray(r * d, r * d + d), i * d);
    outLabels[i] = labels[r]!;
  }
  return { features: out, labels: outLabels };
}

/** One view per row, made once, so the evaluator can route validation rows without copying. */
function rowViews(features: FeatureMatrix, d: number): FeatureMatrix[] {
  const n = features.length / d;
  const views: FeatureMatrix[] = [];
  for (let i = 0; i < n; i++) views.push(features.subarray(i * d, i * d + d));
  return views;
}

/** Each row independently with probability `share` (as XGBoost), ascending, in `buffer`. */
function subsampleRows(random: Random, n: number, share: number, buffer: Int32Array): Int32Array {
  if (share >= 1) {
    for (let i = 0; i < n; i++) buffer[i] = i;
    return buffer.subarray(0, n);
  }
  let m = 0;
  for (let i = 0; i < n; i++) if (random() < share) buffer[m++] = i;
  return buffer.subarray(0, m);
}
