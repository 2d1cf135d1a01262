import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeliveredEvent } from '../../api/live-events.ts';
import { bearer, type DomainFixture, domainFixture, T0 } from './domain-fixture.ts';

type User = keyof DomainFixture['tokens'];

describe('domain API: tickets, visits, calendars, tier metrics', () => {
  let f: DomainFixture;
  const seen: DeliveredEvent[] = [];
  let stop = () => {};
  before(async () => {
    f = await domainFixture();
    // What a customer of the ticket's owner receives over SSE.
    stop = f.events.subscribe({ kind: 'customer', userId: 'cust-acme-1', tenant: 'acme', customerId: 'C-001' }, (e) => seen.push(e));
  });
  after(async () => {
    stop();
    await f.close();
  });

  const call = async (user: User, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await f.app.inject({ method, url, headers: bearer(f.tokens[user]), ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };

  test('the ticket list has the fields the board reads, with the offered visit', async () => {
    const { status, body } = await call('eng-acme', 'GET', '/api/v1/tickets?limit=500');
    assert.equal(status, 200);
    assert.equal(body.tickets.length, 1);
    const t = body.tickets[0];
    assert.equal(t.id, f.ids.ticketA);
    assert.equal(t.device, 'pump-0001');
    assert.equal(t.mode, 'bearing_wear');
    assert.equal(t.state, 'open');
    assert.equal(t.severity, 'high');
    assert.ok(['ai', 'assisted', 'human'].includes(t.tier));
    assert.equal(typeof t.tierReason, 'string');
    assert.equal(t.outcome, null);
    assert.equal(t.createdAt, new Date(T0).toISOString());
    assert.deepEqual(t.visit, {
      id: f.ids.visitA,
      ticketId: f.ids.ticketA,
      device: 'pump-0001',
      technicianId: 'TECH-001',
      technicianName: t.visit.technicianName,
      startsAt: T0 + 30 * 3_600_000,
      endsAt: T0 + 32 * 3_600_000,
      status: 'proposed',
    });
    assert.equal(typeof t.visit.technicianName, 'string');
    assert.equal((await call('cust-acme-1', 'GET', '/api/v1/tickets?limit=100')).body.tickets.length, 1);
    assert.equal((await call('cust-acme-2', 'GET', '/api/v1/tickets?limit=100')).body.tickets.length, 0);
    assert.equal((await call('eng-acme', 'GET', '/api/v1/tickets?state=closed')).body.tickets.length, 0);
    assert.equal((await call('admin', 'GET', '/api/v1/tickets')).body.tickets.length, 2);
  });

  test('one ticket has its audit trail', async () => {
    const { status, body } = await call('cust-acme-1', 'GET', `/api/v1/tickets/${f.ids.ticketA}`);
    assert.equal(status, 200);
    assert.equal(body.id, f.ids.ticketA);
    assert.equal(body.audit.length, 1);
    assert.deepEqual(Object.keys(body.audit[0]).sort(), ['action', 'actor', 'at', 'detail', 'fromState', 'reason', 'toState']);
    assert.equal(body.audit[0].toState, 'open');
    assert.equal(body.audit[0].actor, 'system:test@acme');
  });

  test('an engineer moves a ticket (announced live); a customer may not', async () => {
    const refused = await call('cust-acme-1', 'POST', `/api/v1/tickets/${f.ids.ticketA}/transition`, { action: { kind: 'triage' }, reason: 'me' });
    assert.equal(refused.status, 403);
    const noReason = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/transition`, { action: { kind: 'triage' } });
    assert.equal(noReason.status, 400);
    const { status, body } = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/transition`, { action: { kind: 'triage' }, reason: 'vibration trend confirmed' });
    assert.equal(status, 200);
    assert.equal(body.state, 'triaged');
    const ev = seen.find((e) => e.type === 'ticket.updated');
    assert.ok(ev, 'the ticket owner sees the change live');
    assert.deepEqual(ev.data, { id: f.ids.ticketA, device: 'pump-0001', mode: 'bearing_wear', state: 'triaged', outcome: null, action: 'triage' });
    const wrong = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/transition`, { action: { kind: 'start_visit' }, reason: 'too soon' });
    assert.equal(wrong.status, 409);
    assert.equal(wrong.body.error.code, 'PRG_INVALID_TRANSITION');
  });

  let booked: Record<string, any>;
  test('slots end before the deadline; booking one schedules the ticket', async () => {
    const slots = await call('eng-acme', 'GET', `/api/v1/tickets/${f.ids.ticketA}/slots`);
    assert.equal(slots.status, 200, JSON.stringify(slots.body));
    assert.ok(slots.body.slots.length >= 2, JSON.stringify(slots.body));
    assert.equal(slots.body.rulSource, 'prediction');
    for (const s of slots.body.slots) assert.ok(s.endsAt <= slots.body.deadline);
    // The dashboard posts the proposed slot as it got it.
    const res = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/visit`, { slot: slots.body.slots[0] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.ticket.state, 'scheduled');
    assert.equal(res.body.visit.status, 'booked');
    assert.equal(res.body.visit.startsAt, slots.body.slots[0].startsAt);
    assert.equal(res.body.ticket.visit.id, res.body.visit.id);
    assert.ok(seen.some((e) => e.type === 'visit.booked'));
    booked = { visit: res.body.visit, other: slots.body.slots[1] };
    const detail = await call('eng-acme', 'GET', `/api/v1/tickets/${f.ids.ticketA}`);
    assert.equal(detail.body.visit.id, res.body.visit.id);
    assert.ok(detail.body.audit.some((a: any) => a.toState === 'scheduled'));
  });

  test('a booked visit is moved, listed in the calendar and the technician calendar', async () => {
    const moved = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/visit/reschedule`, { visitId: booked.visit.id, slot: booked.other });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.ticket.state, 'scheduled');
    assert.equal(moved.body.visit.startsAt, booked.other.startsAt);
    booked.visit = moved.body.visit;
    const visits = await call('eng-acme', 'GET', '/api/v1/visits');
    assert.equal(visits.status, 200);
    const mine = visits.body.visits.find((v: any) => v.id === booked.visit.id);
    assert.deepEqual(Object.keys(mine).sort(), ['customerId', 'device', 'endsAt', 'id', 'startsAt', 'status', 'technicianId', 'technicianName', 'ticketId']);
    assert.equal(mine.device, 'pump-0001');
    assert.ok(visits.body.visits.every((v: any) => v.device !== 'gx-pump-1'));
    const cal = await call('eng-acme', 'GET', `/api/v1/technicians/${booked.visit.technicianId}/calendar`);
    assert.equal(cal.status, 200);
    assert.equal(cal.body.technician.id, booked.visit.technicianId);
    assert.ok(cal.body.visits.some((v: any) => v.id === booked.visit.id));
    assert.ok(cal.body.visits.every((v: any) => v.technicianId === booked.visit.technicianId));
    assert.equal((await call('cust-acme-1', 'GET', `/api/v1/technicians/${booked.visit.technicianId}/calendar`)).status, 403);
    const custVisits = await call('cust-acme-1', 'GET', '/api/v1/visits');
    assert.ok(custVisits.body.visits.some((v: any) => v.id === booked.visit.id));
    assert.deepEqual((await call('cust-acme-2', 'GET', '/api/v1/visits')).body.visits, []);
  });

  test('the technician starts and completes the visit with a close-out; the ticket closes honestly', async () => {
    const started = await call('eng-acme', 'POST', `/api/v1/visits/${booked.visit.id}/start`);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.ticket.state, 'in_progress');
    const done = await call('eng-acme', 'POST', `/api/v1/visits/${booked.visit.id}/complete`, { closeOut: { confirmedMode: 'bearing_wear', parts: ['6205 bearing'], findings: 'outer race pitting' } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.visit.status, 'done');
    assert.ok(done.body.verifyAt > f.clock.now());
    assert.notEqual(done.body.ticket.visitCompletedAt, null);
    const closeOut = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/close-out`, { confirmedMode: 'bearing_wear', parts: ['6205 bearing', 'seal kit'], findings: 'replaced' });
    assert.equal(closeOut.status, 200, JSON.stringify(closeOut.body));
    const unverified = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/close`, { outcome: 'resolved_verified', reason: 'looks fine' });
    assert.equal(unverified.status, 409, 'resolved_verified needs evidence');
    const closed = await call('eng-acme', 'POST', `/api/v1/tickets/${f.ids.ticketA}/close`, { outcome: 'resolved_verified', reason: 'engineer checked', evidence: { kind: 'engineer_confirmed', reason: 'vibration back to 1.1 mm/s on site' } });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal(closed.body.state, 'closed');
    assert.equal(closed.body.outcome, 'resolved_verified');
    assert.equal(closed.body.visit.status, 'done');
    assert.ok(seen.some((e) => e.type === 'ticket.updated' && e.data.state === 'closed'));
  });

  test('tier metrics count tickets per tier and outcomes; customers are refused', async () => {
    const { status, body } = await call('eng-acme', 'GET', '/api/v1/metrics/tiers');
    assert.equal(status, 200);
    assert.deepEqual(body.tiers.map((t: any) => t.tier), ['ai', 'assisted', 'human']);
    assert.equal(body.total, 1);
    assert.deepEqual(body.outcomes, { resolved_verified: 1 });
    const all = await call('admin', 'GET', '/api/v1/metrics/tiers');
    assert.equal(all.body.total, 2);
    assert.equal((await call('cust-acme-1', 'GET', '/api/v1/metrics/tiers')).status, 403);
  });
});
