import type { Attribution, Prediction } from '../models/prediction.ts';

/**
 * The alert policy: a pure, deterministic step function from one prediction of one
 * (tenant, device, failure mode) to the next policy state and the decisions it implies.
 * Time is the prediction's own `at` (epoch ms) — no timers, no wall clock — so replaying the
 * same stream always gives the same decisions, and a prediction seen twice changes nothing.
 */

export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];
const rank = (s: AlertSeverity) => SEVERITIES.indexOf(s);

export interface SeverityOptions {
  /** Risk at or above which an episode is `critical` (default 0.9). */
  criticalRisk?: number;
  /** Risk at or above which an episode is at least `high` (default 0.75). */
  highRisk?: number;
  /** Risk at or above which an episode is at least `medium` (default 0.55). */
  mediumRisk?: number;
  /** Conservative RUL (rulLowerHours, operating hours) at or below which it is `critical` (default 24). */
  criticalRulHours?: number;
  /** ... at or below which it is at least `high` (default 72). */
  highRulHours?: number;
  /** ... at or below which it is at least `medium` (default 168). */
  mediumRulHours?: number;
}

export interface AlertPolicyOptions {
  /** Risk that starts an alert. Default: the model's threshold for the mode (carried by the prediction). */
  enterThreshold?: number;
  /** Exit threshold as a fraction of the enter threshold (default 0.7): the hysteresis band lies between. */
  exitFraction?: number;
  /** Risk must stay ≥ enter for this long (prediction time) before an episode opens (default 30 min). 0 = at once. */
  raiseAfterMs?: number;
  /** Risk must stay ≤ exit for this long before an episode clears (default 2 h). */
  clearAfterMs?: number;
  /** A lower severity must hold this long before the episode de-escalates (default 2 h); escalation is immediate. */
  deescalateAfterMs?: number;
  /** Window in which raises are counted for flap detection (default 24 h). */
  flapWindowMs?: number;
  /**
   * Raises within {@link flapWindowMs} after which a clear is refused and the episode is held
   * as `flapping` instead (default 3). A flapping episode clears only after risk stays ≤ exit
   * for {@link flapWindowMs}, so no window ever holds more than this many raises.
   */
  flapMaxRaises?: number;
  severity?: SeverityOptions;
}

export const ALERT_POLICY_DEFAULTS = {
  exitFraction: 0.7,
  raiseAfterMs: 30 * 60_000,
  clearAfterMs: 2 * 3_600_000,
  deescalateAfterMs: 2 * 3_600_000,
  flapWindowMs: 24 * 3_600_000,
  flapMaxRaises: 3,
  severity: { criticalRisk: 0.9, highRisk: 0.75, mediumRisk: 0.55, criticalRulHours: 24, highRulHours: 72, mediumRulHours: 168 },
} as const;

export interface MaintenanceWindow {
  tenant: string;
  device: string;
  /** Epoch ms, inclusive. */
  startsAt: number;
  /** Epoch ms, exclusive. */
  endsAt: number;
  reason: string;
}

/** What the caller knows about the device besides the prediction. */
export interface PolicyContext {
  /** Epoch ms since which the device's data is stale (an open `data_gap` from ingest), or null. */
  dataGapSince: number | null;
  /** Maintenance windows of the device (others are ignored). */
  maintenanceWindows: readonly MaintenanceWindow[];
}

export type SuppressionReason = 'maintenance_window' | 'data_gap' | 'insufficient_data';

/** Per-key policy state; plain JSON so it can be stored between predictions. */
export interface AlertPolicyState {
  tenant: string;
  device: string;
  mode: string;
  status: 'idle' | 'open' | 'flapping';
  /** Newest prediction time applied; older or equal ones are ignored (idempotency, ordering). */
  lastAt: number | null;
  /** Start of the current run of risk ≥ enter while idle. */
  aboveSince: number | null;
  /** Start of the current run of risk ≤ exit while open or flapping. */
  belowSince: number | null;
  /** Start of the current run of a computed severity below the episode's, and the highest seen in it. */
  improvingSince: number | null;
  improvingPeak: AlertSeverity | null;
  severity: AlertSeverity | null;
  openedAt: number | null;
  peakRisk: number | null;
  lastRisk: number | null;
  rulLowerHours: number | null;
  /** Times of recent raises (within the flap window). */
  raises: number[];
  /** Why predictions are currently being ignored, so a suppression is reported once, not per prediction. */
  suppressedBy: SuppressionReason | null;
}

export type AlertDecision =
  | { kind: 'raised'; at: number; severity: AlertSeverity; risk: number; rulLowerHours: number | null; evidence: Attribution[]; reason: string }
  | { kind: 'escalated' | 'deescalated'; at: number; from: AlertSeverity; to: AlertSeverity; risk: number; rulLowerHours: number | null; reason: string }
  | { kind: 'flapping'; at: number; raisesInWindow: number; reason: string }
  | { kind: 'cleared'; at: number; risk: number; reason: string }
  | { kind: 'suppressed'; at: number; suppression: SuppressionReason; reason: string };

/** Decisions that reach a person (the rest are history only). */
export const NOTIFYING_DECISIONS = new Set<AlertDecision['kind']>(['raised', 'escalated', 'flapping']);

export function initialPolicyState(tenant: string, device: string, mode: string): AlertPolicyState {
  return {
    tenant,
    device,
    mode,
    status: 'idle',
    lastAt: null,
    aboveSince: null,
    belowSince: null,
    improvingSince: null,
    improvingPeak: null,
    severity: null,
    openedAt: null,
    peakRisk: null,
    lastRisk: null,
    rulLowerHours: null,
    raises: [],
    suppressedBy: null,
  };
}

export function severityFor(risk: number, rulLowerHours: number | null, opts: SeverityOptions = {}): AlertSeverity {
  const o = { ...ALERT_POLICY_DEFAULTS.severity, ...opts };
  const rul = rulLowerHours ?? Number.POSITIVE_INFINITY;
  if (risk >= o.criticalRisk || rul <= o.criticalRulHours) return 'critical';
  if (risk >= o.highRisk || rul <= o.highRulHours) return 'high';
  if (risk >= o.mediumRisk || rul <= o.mediumRulHours) return 'medium';
  return 'low';
}

export function thresholdsFor(modelThreshold: number, opts: AlertPolicyOptions = {}): { enter: number; exit: number } {
  const enter = opts.enterThreshold ?? modelThreshold;
  return { enter, exit: enter * (opts.exitFraction ?? ALERT_POLICY_DEFAULTS.exitFraction) };
}

function activeMaintenance(at: number, ctx: PolicyContext, tenant: string, device: string): MaintenanceWindow | undefined {
  return ctx.maintenanceWindows.find((w) => w.tenant === tenant && w.device === device && at >= w.startsAt && at < w.endsAt);
}

export interface PolicyStep {
  state: AlertPolicyState;
  decisions: AlertDecision[];
}

/**
 * Applies one prediction to one key's state. The prediction's risk for `state.mode` is used;
 * a prediction without that mode, or not newer than the last one applied, changes nothing.
 */
export function stepAlertPolicy(state: AlertPolicyState, prediction: Prediction, ctx: PolicyContext, opts: AlertPolicyOptions = {}): PolicyStep {
  const at = prediction.at;
  if (prediction.tenant !== state.tenant || prediction.device !== state.device) return { state, decisions: [] };
  // Nobody may act on insufficient data: not even the timers move.
  if (prediction.status === 'insufficient_data') {
    return { state, decisions: [{ kind: 'suppressed', at, suppression: 'insufficient_data', reason: `insufficient data: ${prediction.insufficientReason ?? 'unspecified'}` }] };
  }
  if (state.lastAt !== null && at <= state.lastAt) return { state, decisions: [] };
  const modeRisk = prediction.risks.find((r) => r.mode === state.mode);
  if (!modeRisk) return { state, decisions: [] };

  const o = { ...ALERT_POLICY_DEFAULTS, ...opts };
  const next: AlertPolicyState = { ...state, lastAt: at, raises: state.raises.filter((t) => t > at - o.flapWindowMs) };
  const decisions: AlertDecision[] = [];

  // Silenced: evidence from before and after a silence never adds up to a raise or a clear.
  const window = activeMaintenance(at, ctx, state.tenant, state.device);
  const stale = ctx.dataGapSince !== null && ctx.dataGapSince <= at;
  if (window || stale) {
    const suppression: SuppressionReason = window ? 'maintenance_window' : 'data_gap';
    next.aboveSince = null;
    next.belowSince = null;
    next.improvingSince = null;
    next.improvingPeak = null;
    if (state.suppressedBy !== suppression) {
      next.suppressedBy = suppression;
      const reason = window
        ? `maintenance window until ${new Date(window.endsAt).toISOString()} (${window.reason})`
        : `device data stale since ${new Date(ctx.dataGapSince!).toISOString()}`;
      decisions.push({ kind: 'suppressed', at, suppression, reason });
    }
    return { state: next, decisions };
  }
  next.suppressedBy = null;

  const { risk } = modeRisk;
  const rul = prediction.rulLowerHours;
  const { enter, exit } = thresholdsFor(modeRisk.threshold, opts);
  const computed = severityFor(risk, rul, opts.severity);

  if (next.status === 'idle') {
    if (risk >= enter) {
      next.aboveSince ??= at;
      if (at - next.aboveSince >= o.raiseAfterMs) {
        next.status = 'open';
        next.severity = computed;
        next.openedAt = at;
        next.peakRisk = risk;
        next.lastRisk = risk;
        next.rulLowerHours = rul;
        next.aboveSince = null;
        next.belowSince = null;
        next.improvingSince = null;
        next.improvingPeak = null;
        next.raises = [...next.raises, at];
        decisions.push({
          kind: 'raised',
          at,
          severity: computed,
          risk,
          rulLowerHours: rul,
          evidence: modeRisk.attributions,
          reason: `${state.mode} risk ${fmt(risk)} ≥ enter ${fmt(enter)} for ${minutes(at - (state.aboveSince ?? at))} min` + (rul !== null ? `; conservative RUL ${fmt(rul)} h` : ''),
        });
      }
    } else {
      next.aboveSince = null;
    }
    return { state: next, decisions };
  }

  // open or flapping
  next.lastRisk = risk;
  next.peakRisk = Math.max(next.peakRisk ?? risk, risk);
  next.rulLowerHours = rul;

  if (risk <= exit) {
    next.belowSince ??= at;
    const holdMs = next.status === 'flapping' ? Math.max(o.flapWindowMs, o.clearAfterMs) : o.clearAfterMs;
    if (at - next.belowSince >= holdMs) {
      if (next.status === 'open' && next.raises.length >= o.flapMaxRaises) {
        // Too many cycles: hold the episode instead of clearing (and later re-raising) it again.
        next.status = 'flapping';
        decisions.push({
          kind: 'flapping',
          at,
          raisesInWindow: next.raises.length,
          reason: `${next.raises.length} raises within ${minutes(o.flapWindowMs) / 60} h; held open until risk stays ≤ ${fmt(exit)} for ${minutes(Math.max(o.flapWindowMs, o.clearAfterMs)) / 60} h`,
        });
        return { state: next, decisions };
      }
      decisions.push({ kind: 'cleared', at, risk, reason: `${state.mode} risk ${fmt(risk)} ≤ exit ${fmt(exit)} for ${minutes(at - next.belowSince)} min` });
      return { state: { ...initialPolicyState(state.tenant, state.device, state.mode), lastAt: at, raises: next.raises }, decisions };
    }
  } else {
    next.belowSince = null;
  }

  const current = next.severity ?? 'low';
  if (rank(computed) > rank(current)) {
    next.severity = computed;
    next.improvingSince = null;
    next.improvingPeak = null;
    decisions.push({ kind: 'escalated', at, from: current, to: computed, risk, rulLowerHours: rul, reason: severityReason(risk, rul, computed) });
  } else if (rank(computed) < rank(current)) {
    next.improvingSince ??= at;
    next.improvingPeak = next.improvingPeak && rank(next.improvingPeak) > rank(computed) ? next.improvingPeak : computed;
    if (at - next.improvingSince >= o.deescalateAfterMs) {
      // Conservative: step down only to the worst severity seen during the improvement.
      const to = next.improvingPeak;
      next.severity = to;
      next.improvingSince = null;
      next.improvingPeak = null;
      decisions.push({ kind: 'deescalated', at, from: current, to, risk, rulLowerHours: rul, reason: `improved for ${minutes(o.deescalateAfterMs)} min; ${severityReason(risk, rul, to)}` });
    }
  } else {
    next.improvingSince = null;
    next.improvingPeak = null;
  }
  return { state: next, decisions };
}

function severityReason(risk: number, rul: number | null, s: AlertSeverity): string {
  return `severity ${s} from risk ${fmt(risk)}` + (rul !== null ? ` and conservative RUL ${fmt(rul)} h` : '');
}

const fmt = (x: number) => String(Math.round(x * 1000) / 1000);
const minutes = (ms: number) => Math.round(ms / 60_000);
