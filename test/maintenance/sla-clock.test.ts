import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../platform/clock.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { newBreaches, pause, resume, SLA_TARGETS, type SlaFacts, slaStatus } from '../../maintenance/sla-clock.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 8);

function fresh(severity: SlaFacts['severity'] = 'high'): SlaFacts {
  return { severity, openedAt: T0, respondedAt: null, closedAt: null, pausedAt: null, pausedMs: 0, responseBreachedAt: null, resolutionBreachedAt: null };
}

test('targets tighten with severity', () => {
  const order = ['low', 'medium', 'high', 'critical'] as const;
  for (let i = 1; i < order.length; i++) {
    assert.ok(SLA_TARGETS[order[i]!].responseMs < SLA_TARGETS[order[i - 1]!].responseMs);
    assert.ok(SLA_TARGETS[order[i]!].resolutionMs < SLA_TARGETS[order[i - 1]!].resolutionMs);
  }
});

test('a response breach happens just after the due time, once', () => {
  const clock = new ManualClock(T0);
  const f = fresh('high');
  clock.advance(4 * H);
  assert.deepEqual(newBreaches(f, clock.now()), [], 'exactly at the target is still in time');
  clock.advance(1);
  assert.deepEqual(newBreaches(f, clock.now()), ['response']);
  const recorded = { ...f, responseBreachedAt: clock.now() };
  assert.deepEqual(newBreaches(recorded, clock.now() + H), [], 'recorded once');
  assert.equal(slaStatus(recorded, clock.now()).responseBreached, true);
});

test('a response in time is never a breach later', () => {
  const f = { ...fresh('critical'), respondedAt: T0 + 30 * 60_000 };
  assert.deepEqual(newBreaches(f, T0 + 10 * H), []);
});

test('pause and resume: paused time moves both due times; nothing breaches while paused', () => {
  const clock = new ManualClock(T0);
  let f = fresh('critical');
  clock.advance(30 * 60_000);
  f = { ...f, ...pause(f, clock.now()) };
  clock.advance(5 * H);
  assert.equal(slaStatus(f, clock.now()).paused, true);
  assert.deepEqual(newBreaches(f, clock.now()), [], 'no breach while waiting for the customer');
  f = { ...f, ...resume(f, clock.now()) };
  assert.equal(f.pausedMs, 5 * H);
  const s = slaStatus(f, clock.now());
  assert.equal(s.responseDueAt, T0 + H + 5 * H);
  assert.equal(s.resolutionDueAt, T0 + 24 * H + 5 * H);
  clock.advance(30 * 60_000);
  assert.deepEqual(newBreaches(f, clock.now()), [], 'exactly due');
  clock.advance(1);
  assert.deepEqual(newBreaches(f, clock.now()), ['response']);
});

test('pause twice, resume when running, or pause a closed ticket are refused', () => {
  const f = { ...fresh(), pausedAt: T0 };
  assert.throws(() => pause(f, T0 + 1), (e) => isPrognosError(e, 'PRG_INVALID_TRANSITION'));
  assert.throws(() => resume(fresh(), T0 + 1), (e) => isPrognosError(e, 'PRG_INVALID_TRANSITION'));
  assert.throws(() => pause({ ...fresh(), closedAt: T0 }, T0 + 1), (e) => isPrognosError(e, 'PRG_INVALID_TRANSITION'));
});
