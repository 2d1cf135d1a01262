import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VisitStore } from '../../maintenance/visit-store.ts';
import type { Caller } from '../../platform/caller.ts';
import { ManualClock } from '../../platform/clock.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines } from '../support/sql-engines.ts';

const MIN = 60_000;
const T = Date.parse('2026-03-03T09:00:00Z');
let seq = 0;
const freshTenant = () => `vt${++seq}_${Date.now().toString(36)}`;
const system = (tenant: string): Caller => ({ kind: 'system', tenant, reason: 'test' });

for (const engine of sqlEngines) {
  describe(`visit booking on ${engine.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      db = await openDatabase(opened.config);
    });
    after(async () => {
      await db.destroy();
      await cleanup();
    });

    test('many concurrent overlapping bookings for one technician: exactly one wins', async () => {
      const tenant = freshTenant();
      const store = new VisitStore(db, clock);
      // An earlier booking, so the burst below races on an existing technician row.
      assert.ok((await store.book(system(tenant), { tenant, ticketId: null, device: 'p0', technicianId: 'alice', startsAt: T - 1440 * MIN, endsAt: T - 1380 * MIN })).ok);
      // 24 bookings, each overlapping its neighbours (start every 20 min, 90 min long), all at once.
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          store.book(system(tenant), { tenant, ticketId: `tk-${i}`, device: `pump-${i}`, technicianId: 'alice', startsAt: T + (i % 4) * 20 * MIN, endsAt: T + (i % 4) * 20 * MIN + 90 * MIN }),
        ),
      );
      const winners = results.filter((r) => r.ok);
      assert.equal(winners.length, 1);
      for (const r of results) if (!r.ok) assert.match(r.reason, /technician alice is booked/);
      const booked = await store.bookedForTechnician(system(tenant), tenant, 'alice', T - 600 * MIN, T + 600 * MIN);
      assert.equal(booked[0]?.id, winners[0]!.ok ? winners[0]!.visit.id : '');
      assert.equal(booked.length, 1);
      // Another technician at the same time is fine; so is alice right after.
      assert.ok((await store.book(system(tenant), { tenant, ticketId: null, device: 'p', technicianId: 'bob', startsAt: T, endsAt: T + 90 * MIN })).ok);
      const w = winners[0]!.ok ? winners[0]!.visit : undefined;
      assert.ok((await store.book(system(tenant), { tenant, ticketId: null, device: 'p', technicianId: 'alice', startsAt: w!.endsAt, endsAt: w!.endsAt + 60 * MIN })).ok);
    });

    test('non-overlapping concurrent bookings all succeed and never overlap', async () => {
      const tenant = freshTenant();
      const store = new VisitStore(db, clock);
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => store.book(system(tenant), { tenant, ticketId: null, device: 'p', technicianId: 'alice', startsAt: T + (i % 8) * 60 * MIN, endsAt: T + (i % 8) * 60 * MIN + 60 * MIN })),
      );
      assert.equal(results.filter((r) => r.ok).length, 8);
      const booked = await store.bookedForTechnician(system(tenant), tenant, 'alice', T, T + 24 * 60 * MIN);
      for (let i = 1; i < booked.length; i++) assert.ok(booked[i]!.startsAt >= booked[i - 1]!.endsAt);
    });

    test('proposals do not block; booking a proposal is idempotent; cancelling frees the slot', async () => {
      const tenant = freshTenant();
      const store = new VisitStore(db, clock);
      const slot = { tenant, ticketId: 'tk-1', device: 'pump-1', technicianId: 'alice', startsAt: T, endsAt: T + 90 * MIN };
      const p1 = await store.propose(system(tenant), { ...slot, id: 'vis-a' });
      const p2 = await store.propose(system(tenant), { ...slot, id: 'vis-b' });
      assert.equal(p1.status, 'proposed');
      assert.equal((await store.propose(system(tenant), { ...slot, id: 'vis-a' })).id, 'vis-a', 'proposing again is idempotent');

      const first = await store.book(system(tenant), { ...slot, id: 'vis-a' });
      assert.ok(first.ok && first.created && first.visit.status === 'booked');
      const retry = await store.book(system(tenant), { ...slot, id: 'vis-a' });
      assert.ok(retry.ok && !retry.created, 'a retried booking books once');
      const other = await store.book(system(tenant), { ...slot, id: p2.id });
      assert.ok(!other.ok && other.conflict.id === 'vis-a');

      assert.equal((await store.cancel(system(tenant), tenant, 'vis-a'))?.status, 'cancelled');
      assert.equal(await store.cancel(system(tenant), tenant, 'vis-a'), undefined);
      await assert.rejects(store.book(system(tenant), { ...slot, id: 'vis-a' }), (e) => isPrognosError(e, 'PRG_BAD_REQUEST'));
      const now = await store.book(system(tenant), { ...slot, id: p2.id });
      assert.ok(now.ok);
      assert.equal((await store.markDone(system(tenant), tenant, p2.id))?.status, 'done');
      assert.deepEqual((await store.forTicket(system(tenant), tenant, 'tk-1')).map((v) => [v.id, v.status]).sort(), [['vis-a', 'cancelled'], ['vis-b', 'done']]);
    });

    test('authority and input checks', async () => {
      const tenant = freshTenant();
      const store = new VisitStore(db, clock);
      const slot = { tenant, ticketId: null, device: 'pump-1', technicianId: 'alice', startsAt: T, endsAt: T + 90 * MIN };
      await assert.rejects(store.book({ kind: 'engineer', userId: 'e', tenant: 'other' }, slot), (e) => isPrognosError(e, 'PRG_FORBIDDEN'));
      await assert.rejects(store.book({ kind: 'customer', userId: 'c', tenant, customerId: 'c1' }, slot), (e) => isPrognosError(e, 'PRG_FORBIDDEN'));
      await assert.rejects(store.book(system(tenant), { ...slot, endsAt: T }), (e) => isPrognosError(e, 'PRG_BAD_REQUEST'));
      assert.ok((await store.book({ kind: 'engineer', userId: 'e', tenant }, slot)).ok);
    });
  });
}
