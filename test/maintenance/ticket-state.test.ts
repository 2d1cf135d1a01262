import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPrognosError } from '../../platform/errors.ts';
import {
  ACTION_KINDS,
  type ActionKind,
  type CloseOutcome,
  decideTransition,
  markRepeat,
  OUTCOMES,
  REPEAT_WINDOW_MS,
  type ResolutionEvidence,
  type TicketAction,
  type TicketFacts,
  TICKET_STATES,
  type TicketState,
} from '../../maintenance/ticket-state.ts';

const NOW = Date.UTC(2026, 5, 1, 12);
const CLOSE_OUTCOMES = OUTCOMES.filter((o): o is CloseOutcome => o !== 'repeat_within_14d');

function action(kind: ActionKind): TicketAction {
  switch (kind) {
    case 'schedule':
      return { kind, visitId: 'V-1' };
    case 'close':
      return { kind, outcome: 'abandoned' };
    default:
      return { kind } as TicketAction;
  }
}

function facts(state: TicketState, visitDone = false): TicketFacts {
  return { state, outcome: state === 'closed' ? 'abandoned' : null, visitCompletedAt: visitDone ? NOW - 60_000 : null };
}

function outcomeOf(fn: () => unknown): 'ok' | 'refused' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(isPrognosError(err, 'PRG_INVALID_TRANSITION'), `expected PRG_INVALID_TRANSITION, got ${String(err)}`);
    return 'refused';
  }
}

describe('ticket state machine', () => {
  /** The whole table of legal moves (action → from → to); everything else must be refused. */
  const LEGAL: Record<ActionKind, Partial<Record<TicketState, TicketState>>> = {
    triage: { open: 'triaged' },
    propose_visit: { triaged: 'visit_proposed' },
    decline: { visit_proposed: 'triaged' },
    schedule: { visit_proposed: 'scheduled' },
    reschedule: { scheduled: 'visit_proposed' },
    start_visit: { scheduled: 'in_progress' },
    complete_visit: { in_progress: 'in_progress' },
    escalate: { open: 'open', triaged: 'triaged', visit_proposed: 'visit_proposed', scheduled: 'scheduled', in_progress: 'in_progress' },
    close: { open: 'closed', triaged: 'closed', visit_proposed: 'closed', scheduled: 'closed', in_progress: 'closed' },
  };

  test('every (state, action) pair: legal moves land where the table says, every other is refused', () => {
    let legal = 0;
    let refused = 0;
    for (const state of TICKET_STATES) {
      for (const kind of ACTION_KINDS) {
        const expected = LEGAL[kind][state];
        const run = () => decideTransition(facts(state), action(kind), 'engineer', NOW);
        if (expected === undefined) {
          assert.equal(outcomeOf(run), 'refused', `${kind} from ${state} must be refused`);
          refused++;
        } else {
          assert.equal(run().to, expected, `${kind} from ${state}`);
          legal++;
        }
      }
    }
    assert.equal(legal + refused, TICKET_STATES.length * ACTION_KINDS.length);
    assert.equal(legal, 17);
  });

  test('every (state, closing outcome, visit done?) pair follows the outcome rules', () => {
    const allowedFrom: Record<CloseOutcome, TicketState[]> = {
      resolved_verified: ['in_progress'],
      no_fault_found: ['in_progress'],
      false_alarm: ['open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress'],
      customer_unreachable: ['open', 'triaged', 'visit_proposed', 'scheduled'],
      abandoned: ['open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress'],
    };
    for (const state of TICKET_STATES) {
      for (const outcome of CLOSE_OUTCOMES) {
        for (const visitDone of [false, true]) {
          const evidence = { kind: 'telemetry' as const, postRisk: 0.05, exitThreshold: 0.3, measuredAt: NOW };
          const run = () => decideTransition(facts(state, visitDone), { kind: 'close', outcome, evidence }, 'system', NOW);
          const needsVisit = outcome === 'resolved_verified' || outcome === 'no_fault_found';
          const ok = allowedFrom[outcome].includes(state) && (!needsVisit || visitDone);
          assert.equal(outcomeOf(run), ok ? 'ok' : 'refused', `${outcome} from ${state} (visit done: ${visitDone})`);
          if (ok) assert.equal(run().outcome, outcome);
        }
      }
    }
  });

  test('repeat_within_14d cannot be chosen by a caller', () => {
    const run = () => decideTransition(facts('in_progress', true), { kind: 'close', outcome: 'repeat_within_14d' as CloseOutcome }, 'admin', NOW);
    assert.equal(outcomeOf(run), 'refused');
  });

  test('resolved_verified needs evidence: telemetry after the visit under the exit threshold, or an engineer with a reason', () => {
    const done = facts('in_progress', true);
    const close = (evidence: ResolutionEvidence | undefined, actor: 'system' | 'engineer' | 'admin' = 'system') =>
      outcomeOf(() => decideTransition(done, { kind: 'close', outcome: 'resolved_verified', evidence }, actor, NOW));
    assert.equal(close(undefined), 'refused', 'no evidence');
    assert.equal(close({ kind: 'telemetry', postRisk: 0.1, exitThreshold: 0.3, measuredAt: NOW }), 'ok');
    assert.equal(close({ kind: 'telemetry', postRisk: 0.3, exitThreshold: 0.3, measuredAt: NOW }), 'refused', 'at the threshold is not under it');
    assert.equal(close({ kind: 'telemetry', postRisk: 0.7, exitThreshold: 0.3, measuredAt: NOW }), 'refused', 'still risky');
    assert.equal(close({ kind: 'telemetry', postRisk: 0.1, exitThreshold: 0.3, measuredAt: NOW - 120_000 }), 'refused', 'telemetry from before the visit');
    assert.equal(close({ kind: 'engineer_confirmed', reason: 'replaced bearing, vibration normal on site' }, 'engineer'), 'ok');
    assert.equal(close({ kind: 'engineer_confirmed', reason: 'replaced bearing' }, 'admin'), 'ok');
    assert.equal(close({ kind: 'engineer_confirmed', reason: 'auto' }, 'system'), 'refused', 'the system is not an engineer');
    assert.equal(close({ kind: 'engineer_confirmed', reason: '   ' }, 'engineer'), 'refused', 'a confirmation needs a reason');
  });

  test('a customer who never answers can never reach resolved_verified: every path through silence is refused', () => {
    // silence = the ticket stays where it waits for the customer (proposed) or before it
    for (const state of ['open', 'triaged', 'visit_proposed'] as const) {
      for (const evidence of [
        { kind: 'telemetry' as const, postRisk: 0, exitThreshold: 0.3, measuredAt: NOW },
        { kind: 'engineer_confirmed' as const, reason: 'customer did not answer, assume fixed' },
      ]) {
        for (const actor of ['system', 'engineer', 'admin'] as const) {
          assert.equal(outcomeOf(() => decideTransition(facts(state), { kind: 'close', outcome: 'resolved_verified', evidence }, actor, NOW)), 'refused');
        }
      }
      assert.equal(decideTransition(facts(state), { kind: 'close', outcome: 'customer_unreachable' }, 'system', NOW).outcome, 'customer_unreachable');
    }
    // and without a booked visit (which needs the customer) there is no path to in_progress
    assert.equal(outcomeOf(() => decideTransition(facts('visit_proposed'), { kind: 'start_visit' }, 'system', NOW)), 'refused');
    assert.equal(outcomeOf(() => decideTransition(facts('visit_proposed'), { kind: 'schedule', visitId: '' }, 'system', NOW)), 'refused');
  });

  test('complete_visit records the time once; escalate keeps the state and asks for a human', () => {
    const r = decideTransition(facts('in_progress'), { kind: 'complete_visit' }, 'engineer', NOW);
    assert.equal(r.visitCompletedAt, NOW);
    assert.equal(outcomeOf(() => decideTransition(facts('in_progress', true), { kind: 'complete_visit' }, 'engineer', NOW)), 'refused');
    const e = decideTransition(facts('scheduled'), { kind: 'escalate' }, 'system', NOW);
    assert.deepEqual([e.to, e.escalate], ['scheduled', true]);
  });

  test('markRepeat: a closed ticket within 14 days becomes repeat_within_14d, older or already-repeat ones do not', () => {
    const closed = (closedAt: number, outcome: TicketFacts['outcome'] = 'resolved_verified') => ({ state: 'closed' as const, outcome, visitCompletedAt: null, closedAt });
    assert.equal(markRepeat(closed(NOW - REPEAT_WINDOW_MS + 1), NOW)?.outcome, 'repeat_within_14d');
    assert.equal(markRepeat(closed(NOW - REPEAT_WINDOW_MS), NOW)?.outcome, 'repeat_within_14d');
    assert.equal(markRepeat(closed(NOW - REPEAT_WINDOW_MS - 1), NOW), null);
    assert.equal(markRepeat(closed(NOW - 1000, 'repeat_within_14d'), NOW), null);
    assert.equal(markRepeat({ state: 'in_progress', outcome: null, visitCompletedAt: null, closedAt: null }, NOW), null);
  });
});

describe('ticket state machine under random action sequences (fast-check)', () => {
  test('resolved_verified is only ever reached after schedule → start_visit → complete_visit, and closed is final', async () => {
    const fc = (await import('fast-check')).default;
    const actionArb = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom<TicketAction>({ kind: 'triage' }, { kind: 'propose_visit' }, { kind: 'decline' }, { kind: 'schedule', visitId: 'V' }, { kind: 'reschedule' }, { kind: 'start_visit' }, { kind: 'complete_visit' }, { kind: 'escalate' }) },
      { weight: 1, arbitrary: fc.record({
        kind: fc.constant('close' as const),
        outcome: fc.constantFrom(...CLOSE_OUTCOMES),
        evidence: fc.option(
          fc.oneof(
            fc.record({ kind: fc.constant('telemetry' as const), postRisk: fc.double({ min: 0, max: 1, noNaN: true }), exitThreshold: fc.double({ min: 0, max: 1, noNaN: true }), measuredAt: fc.integer({ min: NOW - 10 * 3_600_000, max: NOW + 10 * 3_600_000 }) }),
            fc.record({ kind: fc.constant('engineer_confirmed' as const), reason: fc.constantFrom('', 'replaced it') }),
          ),
          { nil: undefined },
        ),
      }) },
    );
    let reached = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(actionArb, fc.constantFrom<'system' | 'engineer'>('system', 'engineer')), { minLength: 20, maxLength: 80 }), (steps) => {
        let t: TicketFacts = { state: 'open', outcome: null, visitCompletedAt: null };
        const path: string[] = [];
        let now = NOW - 5 * 3_600_000;
        for (const [a, actor] of steps) {
          now += 60_000;
          const wasClosed = t.state === 'closed';
          let r;
          try {
            r = decideTransition(t, a, actor, now);
          } catch (err) {
            assert.ok(isPrognosError(err, 'PRG_INVALID_TRANSITION'));
            continue;
          }
          assert.ok(!wasClosed, 'nothing moves a closed ticket');
          path.push(a.kind);
          t = { state: r.to, outcome: r.outcome, visitCompletedAt: r.visitCompletedAt ?? t.visitCompletedAt };
          if (t.outcome === 'resolved_verified') {
            reached++;
            const i = path.lastIndexOf('schedule');
            const j = path.lastIndexOf('start_visit');
            const k = path.lastIndexOf('complete_visit');
            assert.ok(i >= 0 && i < j && j < k, `path ${path.join(' → ')}`);
          }
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
    assert.ok(reached > 0, 'the generator reaches resolved_verified at all');
  });
});
