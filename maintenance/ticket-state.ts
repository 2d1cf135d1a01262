import { PrognosError } from '../platform/errors.ts';

/**
 * The ticket's state machine, pure: open → triaged → visit_proposed → scheduled → in_progress →
 * closed (with an outcome), plus side transitions (the customer declines the slots, a visit is
 * cancelled or rescheduled, escalation to a human, a later repeat). Every transition is checked
 * here; ticket-store.ts applies it in a transaction with its audit row.
 */

export const TICKET_STATES = ['open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress', 'closed'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

export const OUTCOMES = ['resolved_verified', 'no_fault_found', 'false_alarm', 'customer_unreachable', 'abandoned', 'repeat_within_14d'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes a caller may close with; `repeat_within_14d` is only ever set by {@link markRepeat}. */
export type CloseOutcome = Exclude<Outcome, 'repeat_within_14d'>;

/**
 * Why a ticket may close `resolved_verified`: post-maintenance telemetry measured after the
 * visit shows the risk under the alert's exit threshold, or an engineer confirms with a reason.
 */
export type ResolutionEvidence =
  | { kind: 'telemetry'; postRisk: number; exitThreshold: number; measuredAt: number }
  | { kind: 'engineer_confirmed'; reason: string };

export type TicketAction =
  | { kind: 'triage' }
  | { kind: 'propose_visit' }
  /** The customer declined every proposed slot: back to planning. */
  | { kind: 'decline' }
  | { kind: 'schedule'; visitId: string }
  /** A scheduled visit was cancelled or moved: propose again. */
  | { kind: 'reschedule' }
  | { kind: 'start_visit' }
  /** The technician finished the work on site (the ticket stays in progress until it closes). */
  | { kind: 'complete_visit' }
  | { kind: 'escalate' }
  | { kind: 'close'; outcome: CloseOutcome; evidence?: ResolutionEvidence };

export type ActionKind = TicketAction['kind'];
export const ACTION_KINDS: readonly ActionKind[] = ['triage', 'propose_visit', 'decline', 'schedule', 'reschedule', 'start_visit', 'complete_visit', 'escalate', 'close'];

/** Who acts, as far as the rules care. Customers never move a ticket themselves. */
export type ActorKind = 'admin' | 'engineer' | 'system';

/** What the rules read of a ticket. */
export interface TicketFacts {
  state: TicketState;
  outcome: Outcome | null;
  /** When the technician finished on site (ms), or null. */
  visitCompletedAt: number | null;
}

export interface TransitionResult {
  to: TicketState;
  outcome: Outcome | null;
  /** Set by complete_visit. */
  visitCompletedAt?: number;
  /** Set by escalate: the ticket's tier becomes `human`. */
  escalate?: true;
}

/** Plain moves: action → (from → to). */
const MOVES: Partial<Record<ActionKind, Partial<Record<TicketState, TicketState>>>> = {
  triage: { open: 'triaged' },
  propose_visit: { triaged: 'visit_proposed' },
  decline: { visit_proposed: 'triaged' },
  schedule: { visit_proposed: 'scheduled' },
  reschedule: { scheduled: 'visit_proposed' },
  start_visit: { scheduled: 'in_progress' },
  complete_visit: { in_progress: 'in_progress' },
};

/** Where each closing outcome may close from. */
const CLOSE_FROM: Record<CloseOutcome, readonly TicketState[]> = {
  resolved_verified: ['in_progress'],
  no_fault_found: ['in_progress'],
  false_alarm: ['open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress'],
  // the technician on site has reached someone: not from in_progress
  customer_unreachable: ['open', 'triaged', 'visit_proposed', 'scheduled'],
  abandoned: ['open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress'],
};

function refuse(detail: string): never {
  throw new PrognosError('PRG_INVALID_TRANSITION', detail);
}

/**
 * Decides one transition, or throws PRG_INVALID_TRANSITION saying which rule refused it.
 * `now` is the clock's time (ms).
 */
export function decideTransition(t: TicketFacts, action: TicketAction, actor: ActorKind, now: number): TransitionResult {
  if (t.state === 'closed') refuse(`ticket is closed (${t.outcome}); ${action.kind} is not allowed`);
  switch (action.kind) {
    case 'escalate':
      return { to: t.state, outcome: null, escalate: true };
    case 'close':
      return { to: 'closed', outcome: decideClose(t, action.outcome, action.evidence, actor) };
    case 'complete_visit': {
      if (t.state !== 'in_progress') refuse(`complete_visit needs in_progress, not ${t.state}`);
      if (t.visitCompletedAt !== null) refuse('the visit is already recorded as done');
      return { to: 'in_progress', outcome: null, visitCompletedAt: now };
    }
    default: {
      if (action.kind === 'schedule' && !action.visitId) refuse('schedule needs the booked visit id');
      const to = MOVES[action.kind]?.[t.state];
      if (!to) refuse(`${action.kind} is not allowed from ${t.state}`);
      return { to, outcome: null };
    }
  }
}

function decideClose(t: TicketFacts, outcome: CloseOutcome, evidence: ResolutionEvidence | undefined, actor: ActorKind): Outcome {
  if (!(CLOSE_FROM as Record<string, readonly TicketState[] | undefined>)[outcome]) refuse(`${outcome} is not a closing outcome`);
  if (!CLOSE_FROM[outcome].includes(t.state)) refuse(`${outcome} cannot close a ticket in ${t.state}`);
  if (outcome === 'no_fault_found' && t.visitCompletedAt === null) refuse('no_fault_found needs the visit done');
  if (outcome !== 'resolved_verified') return outcome;
  // Honest resolution: never on the customer's silence, never without the visit done.
  if (t.visitCompletedAt === null) refuse('resolved_verified needs the visit done');
  if (!evidence) refuse('resolved_verified needs evidence: post-maintenance telemetry or an engineer confirmation');
  if (evidence.kind === 'engineer_confirmed') {
    if (actor === 'system') refuse('only an engineer or admin confirms a resolution');
    if (!evidence.reason.trim()) refuse('an engineer confirmation needs a reason');
    return outcome;
  }
  if (!(evidence.measuredAt > t.visitCompletedAt)) refuse('the telemetry evidence predates the visit');
  if (!(evidence.postRisk < evidence.exitThreshold)) refuse(`post-maintenance risk ${evidence.postRisk} is not under the exit threshold ${evidence.exitThreshold}`);
  return outcome;
}

/**
 * A closed ticket whose device and mode alert again within 14 days was not really fixed (or not
 * really a false alarm): its outcome becomes `repeat_within_14d`. Returns null when it does not apply.
 */
export const REPEAT_WINDOW_MS = 14 * 86_400_000;

export function markRepeat(closed: TicketFacts & { closedAt: number | null }, newOpenedAt: number): TransitionResult | null {
  if (closed.state !== 'closed' || closed.closedAt === null || closed.outcome === 'repeat_within_14d') return null;
  if (newOpenedAt - closed.closedAt > REPEAT_WINDOW_MS || newOpenedAt < closed.closedAt) return null;
  return { to: 'closed', outcome: 'repeat_within_14d' };
}
