/**
 * How the default model does on histories it never saw, in the terms a service manager uses:
 * per failure mode, of the failures that happened how many were announced (recall), of the
 * alarms raised how many were followed by that failure (precision), how long before the
 * failure the announcing alarm started (lead time, operating hours), and how many false alarms
 * a device raises per month.
 *
 * An alarm is a sampled row whose risk is at or above the mode's threshold. Alarms of one
 * device and mode form one EPISODE while they are at most {@link EPISODE_GAP_HOURS} operating
 * hours apart and announce the same next failure (a visit, as a technician would see it). An
 * episode is true when its device fails with that mode within the horizon after its last alarm;
 * otherwise it is a false alarm. A failure is detected when a true episode precedes it; its
 * lead time is from that episode's first alarm to the failure.
 */
import type { LabelledRows } from './sim-training-set.ts';

/** Alarms further apart than this (operating hours) are separate episodes. */
export const EPISODE_GAP_HOURS = 24;
const DAYS_PER_MONTH = 30;

export interface ModeEvaluation {
  readonly mode: string;
  readonly threshold: number;
  readonly failures: number;
  readonly detected: number;
  readonly recall: number;
  readonly episodes: number;
  readonly trueEpisodes: number;
  readonly precision: number;
  /** Operating hours from the first alarm of the announcing episode to the failure. */
  readonly medianLeadHours: number | null;
  readonly p10LeadHours: number | null;
  readonly falseAlarmsPerDeviceMonth: number;
  /** False episodes followed within the horizon by a maintenance visit that renewed this mode's part (not failures, but not wasted either). */
  readonly falseEndedByRenewal: number;
  /** Row-level view, for comparison with the validation numbers. */
  readonly rowPrecision: number;
  readonly rowRecall: number;
}

export interface RulEvaluation {
  /** Rows whose true RUL is below the cap (a failure is coming). */
  readonly rows: number;
  readonly rmseHours: number;
  readonly maeHours: number;
  /** Share of those rows whose true RUL ≥ the conservative lower bound. */
  readonly lowerBoundCoverage: number;
}

export function evaluateModes(
  set: LabelledRows,
  risk: ReadonlyMap<string, Float64Array>,
  thresholds: ReadonlyMap<string, number>,
  horizonHours: number,
): ModeEvaluation[] {
  const deviceMonths = [...set.unitDays.values()].reduce((a, b) => a + b, 0) / DAYS_PER_MONTH;
  return set.modes.map((mode) => {
    const p = risk.get(mode)!;
    const threshold = thresholds.get(mode)!;
    const labels = set.labels.get(mode)!;
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let r = 0; r < set.rows; r++) {
      const y = labels[r]!;
      if (Number.isNaN(y)) continue;
      const alarm = p[r]! >= threshold;
      if (alarm && y === 1) tp++;
      else if (alarm) fp++;
      else if (y === 1) fn++;
    }

    // Episodes: rows are grouped by unit and in time order.
    const leadByFailure = new Map<number, number>();
    let episodes = 0;
    let trueEpisodes = 0;
    let falseEndedByRenewal = 0;
    let open: { unit: string; next: number; startHours: number; lastHours: number } | null = null;
    const close = () => {
      if (!open) return;
      episodes++;
      const f = open.next >= 0 ? set.failures[open.next]! : null;
      if (f && f.modes[0] === mode && f.runHours - open.lastHours <= horizonHours) {
        trueEpisodes++;
        if (!leadByFailure.has(open.next)) leadByFailure.set(open.next, f.runHours - open.startHours);
      } else if (renewedSoonAfter(set, open.unit, mode, open.lastHours, horizonHours)) {
        falseEndedByRenewal++;
      }
      open = null;
    };
    for (let r = 0; r < set.rows; r++) {
      if (!(p[r]! >= threshold)) continue;
      const unit = set.unit[r]!;
      const h = set.runHours[r]!;
      const next = set.nextFailure[r]!;
      if (open && (open.unit !== unit || open.next !== next || h - open.lastHours > EPISODE_GAP_HOURS)) close();
      if (open) open.lastHours = h;
      else open = { unit, next, startHours: h, lastHours: h };
    }
    close();

    const failures = set.failures.filter((f) => f.modes[0] === mode).length;
    const leads = [...leadByFailure.values()].sort((a, b) => a - b);
    const falseEpisodes = episodes - trueEpisodes;
    return {
      mode,
      threshold,
      failures,
      detected: leadByFailure.size,
      recall: failures ? leadByFailure.size / failures : NaN,
      episodes,
      trueEpisodes,
      precision: episodes ? trueEpisodes / episodes : NaN,
      medianLeadHours: leads.length ? quantile(leads, 0.5) : null,
      p10LeadHours: leads.length ? quantile(leads, 0.1) : null,
      falseAlarmsPerDeviceMonth: deviceMonths > 0 ? falseEpisodes / deviceMonths : NaN,
      falseEndedByRenewal,
      rowPrecision: tp + fp ? tp / (tp + fp) : NaN,
      rowRecall: tp + fn ? tp / (tp + fn) : NaN,
    };
  });
}

function renewedSoonAfter(set: LabelledRows, unit: string, mode: string, hours: number, horizonHours: number): boolean {
  return set.maintenance.some((m) => m.unit === unit && m.modes.includes(mode) && m.runHours >= hours && m.runHours - hours <= horizonHours);
}

export function evaluateRul(set: LabelledRows, predicted: Float64Array, capHours: number, lowerBoundFactor: number): RulEvaluation {
  let n = 0;
  let se = 0;
  let ae = 0;
  let covered = 0;
  for (let r = 0; r < set.rows; r++) {
    const y = set.rul[r]!;
    if (!(y < capHours)) continue;
    const e = predicted[r]! - y;
    n++;
    se += e * e;
    ae += Math.abs(e);
    if (y >= predicted[r]! * lowerBoundFactor) covered++;
  }
  return { rows: n, rmseHours: n ? Math.sqrt(se / n) : NaN, maeHours: n ? ae / n : NaN, lowerBoundCoverage: n ? covered / n : NaN };
}

/** Linear-interpolated quantile of ascending values. */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
