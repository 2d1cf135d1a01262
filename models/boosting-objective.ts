/**
 * The losses the trainer boosts: squared error (`regression`) and logistic loss (`binary`,
 * labels 0/1), each as its starting score, its gradient and hessian in the raw score, and the
 * metric early stopping watches (RMSE, log-loss).
 */
import type { TreeEnsemble } from './tree-ensemble.ts';

export type Objective = TreeEnsemble['objective'];

/** Keeps log-odds and log-loss finite when every label (or a prediction) is 0 or 1. */
const PROBABILITY_CLAMP = 1e-15;
/** XGBoost's floor: a saturated prediction still has a little curvature. */
const MIN_HESSIAN = 1e-16;

/** The constant that minimises the loss: the mean label, or the log-odds of the mean. */
export function initialScore(objective: Objective, labels: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += labels[i]!;
  const mean = labels.length > 0 ? sum / labels.length : 0;
  if (objective === 'regression') return mean;
  const p = clampProbability(mean);
  return Math.log(p / (1 - p));
}

/** Writes the gradient and hessian of the loss at each raw score into `gh`, interleaved. */
export function computeGradients(objective: Objective, labels: Float64Array, raw: Float64Array, gh: Float64Array): void {
  if (objective === 'regression') {
    for (let i = 0; i < labels.length; i++) {
      gh[2 * i] = raw[i]! - labels[i]!;
      gh[2 * i + 1] = 1;
    }
    return;
  }
  for (let i = 0; i < labels.length; i++) {
    const p = 1 / (1 + Math.exp(-raw[i]!));
    gh[2 * i] = p - labels[i]!;
    gh[2 * i + 1] = Math.max(p * (1 - p), MIN_HESSIAN);
  }
}

/** RMSE for regression, mean log-loss for binary; lower is better for both. */
export function lossMetric(objective: Objective, labels: Float64Array, raw: Float64Array): number {
  if (labels.length === 0) return NaN;
  let sum = 0;
  if (objective === 'regression') {
    for (let i = 0; i < labels.length; i++) {
      const e = raw[i]! - labels[i]!;
      sum += e * e;
    }
    return Math.sqrt(sum / labels.length);
  }
  for (let i = 0; i < labels.length; i++) {
    const p = clampProbability(1 / (1 + Math.exp(-raw[i]!)));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

export function metricName(objective: Objective): 'rmse' | 'logloss' {
  return objective === 'regression' ? 'rmse' : 'logloss';
}

function clampProbability(p: number): number {
  return Math.min(1 - PROBABILITY_CLAMP, Math.max(PROBABILITY_CLAMP, p));
}
