import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeTicket, openTicketForEpisode, recordCloseOut, transitionTicket } from '../../maintenance/ticket-use-cases.ts';
import type { Caller } from '../../platform/caller.ts';
import { bearer, type DomainFixture, domainFixture } from './domain-fixture.ts';

const H = 3_600_000;

describe('domain API: GET /api/v1/models/retraining-labels', () => {
  let f: DomainFixture;
  const ids: Record<'acmeConfirmed' | 'acmeNoFault' | 'acmeUnverified' | 'globexConfirmed', string> = {} as never;

  /** A ticket driven through the real use-cases to its visit done, its close-out, then (optionally) closed. */
  async function closedOut(tenant: string, device: string, mode: string, confirmedMode: string | null, close?: 'resolved_verified' | 'no_fault_found' | 'false_alarm'): Promise<string> {
    const sys: Caller = { kind: 'system', tenant, reason: 'test' };
    const eng: Caller = { kind: 'admin', userId: 'admin' };
    const { ticket } = await openTicketForEpisode(f.deps, sys, { episodeId: `ep-${device}-${mode}`, device, mode, severity: 'high', risk: 0.8, rulHours: 100 });
    for (const action of [{ kind: 'triage' }, { kind: 'propose_visit' }, { kind: 'schedule', visitId: 'V-test' }, { kind: 'start_visit' }, { kind: 'complete_visit' }] as const) {
      await transitionTicket(f.deps, sys, { ticketId: ticket.id, action, reason: 'test step' });
    }
    f.clock.advance(H);
    await recordCloseOut(f.deps, eng, { ticketId: ticket.id, confirmedMode, findings: 'test' });
    if (close === 'resolved_verified') await closeTicket(f.deps, eng, { ticketId: ticket.id, outcome: close, evidence: { kind: 'engineer_confirmed', reason: 'part replaced' }, reason: 'done' });
    else if (close) await closeTicket(f.deps, eng, { ticketId: ticket.id, outcome: close, reason: 'done' });
    return ticket.id;
  }

  before(async () => {
    f = await domainFixture();
    ids.acmeConfirmed = await closedOut('acme', 'pump-0001', 'seal_wear', 'seal_wear', 'resolved_verified');
    ids.acmeNoFault = await closedOut('acme', 'compressor-0002', 'valve_wear', null, 'no_fault_found');
    ids.acmeUnverified = await closedOut('acme', 'drive-0003', 'gear_wear', 'gear_wear', 'false_alarm');
    await closedOut('acme', 'pump-0004', 'bearing_wear', 'bearing_wear');
    ids.globexConfirmed = await closedOut('globex', 'gx-pump-1', 'seal_wear', 'bearing_wear', 'resolved_verified');
  });
  after(() => f.close());

  const get = async (user: keyof DomainFixture['tokens'] | null, query = '') => {
    const res = await f.app.inject({ url: `/api/v1/models/retraining-labels${query}`, headers: user ? bearer(f.tokens[user]) : {} });
    return { status: res.statusCode, body: res.json() as { labels: Record<string, unknown>[]; devices: { tenant: string; id: string }[]; error?: { code: string } } };
  };

  test('verified close-outs only, with the equipment type and the outcome, oldest first', async () => {
    const { status, body } = await get('admin');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.labels.map((l) => l.ticketId),
      [ids.acmeConfirmed, ids.acmeNoFault, ids.globexConfirmed],
      'false_alarm and still-open tickets are not labels',
    );
    const [confirmed, noFault, other] = body.labels;
    assert.deepEqual(Object.keys(confirmed!).sort(), ['at', 'confirmed', 'confirmedMode', 'deviceId', 'equipmentType', 'mode', 'outcome', 'tenant', 'ticketId']);
    assert.deepEqual([confirmed!.tenant, confirmed!.deviceId, confirmed!.equipmentType, confirmed!.mode, confirmed!.confirmed, confirmed!.confirmedMode, confirmed!.outcome], [
      'acme',
      'pump-0001',
      'centrifugal_pump',
      'seal_wear',
      true,
      'seal_wear',
      'resolved_verified',
    ]);
    assert.deepEqual([noFault!.confirmed, noFault!.confirmedMode, noFault!.outcome], [false, null, 'no_fault_found']);
    assert.deepEqual([other!.tenant, other!.confirmed, other!.confirmedMode], ['globex', false, 'bearing_wear']);
    assert.ok(Number.isFinite(Date.parse(String(confirmed!.at))));
    assert.deepEqual([...new Set(body.devices.map((d) => d.tenant))].sort(), ['acme', 'globex']);
  });

  test("an engineer reads their own tenant's labels and devices, never another's", async () => {
    const acme = await get('eng-acme');
    assert.equal(acme.status, 200);
    assert.deepEqual(acme.body.labels.map((l) => l.ticketId), [ids.acmeConfirmed, ids.acmeNoFault]);
    assert.ok(acme.body.devices.length > 0 && acme.body.devices.every((d) => d.tenant === 'acme'));
    assert.ok(!JSON.stringify(acme.body).includes('gx-pump-1'));

    const globex = await get('eng-globex');
    assert.deepEqual(globex.body.labels.map((l) => l.ticketId), [ids.globexConfirmed]);
    assert.deepEqual(globex.body.devices.map((d) => d.id), ['gx-pump-1']);

    const foreign = await get('eng-globex', '?tenant=acme');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error?.code, 'PRG_FORBIDDEN');
    assert.deepEqual((await get('admin', '?tenant=globex')).body.labels.map((l) => l.ticketId), [ids.globexConfirmed]);
  });

  test('customers are refused, anonymous callers asked to log in', async () => {
    for (const user of ['cust-acme-1', 'cust-globex-1'] as const) {
      const res = await get(user);
      assert.equal(res.status, 403, user);
      assert.equal(res.body.error?.code, 'PRG_FORBIDDEN');
    }
    assert.equal((await get(null)).status, 401);
  });

  test('since / until bound the close-out time; a bad time is a 400', async () => {
    const all = (await get('admin')).body.labels;
    const second = String(all[1]!.at);
    assert.deepEqual((await get('admin', `?since=${encodeURIComponent(second)}`)).body.labels.map((l) => l.ticketId), [ids.acmeNoFault, ids.globexConfirmed]);
    assert.deepEqual((await get('admin', `?until=${encodeURIComponent(second)}`)).body.labels.map((l) => l.ticketId), [ids.acmeConfirmed]);
    const bad = await get('admin', '?since=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'PRG_BAD_REQUEST');
  });

  test('OpenAPI documents the route and its answer', async () => {
    const doc = (await f.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>> };
    const op = doc.paths['/api/v1/models/retraining-labels']?.get;
    assert.ok(op?.responses['200'] && op.security);
  });
});
