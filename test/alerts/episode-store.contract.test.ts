import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { type AlertDecision, type AlertPolicyOptions, type AlertPolicyState, initialPolicyState, NOTIFYING_DECISIONS, stepAlertPolicy } from '../../alerts/alert-policy.ts';
import { EpisodeService } from '../../alerts/episode-service.ts';
import { EpisodeStore } from '../../alerts/episode-store.ts';
import { MaintenanceWindowStore } from '../../alerts/maintenance-window-store.ts';
import type { Prediction } from '../../models/prediction.ts';
import type { Caller } from '../../platform/caller.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines } from '../support/sql-engines.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const POLICY: AlertPolicyOptions = { raiseAfterMs: 20 * MIN, clearAfterMs: 60 * MIN, deescalateAfterMs: 60 * MIN, flapWindowMs: 6 * HOUR, flapMaxRaises: 3 };

let seq = 0;
/** A fresh tenant per test keeps tests independent inside one database. */
const freshTenant = () => `t${++seq}_${Date.now().toString(36)}`;
const system = (tenant: string): Caller => ({ kind: 'system', tenant, reason: 'test' });

function prediction(tenant: string, at: number, risk: number, opts: { device?: string; mode?: string; insufficient?: boolean; rul?: number } = {}): Prediction {
  return {
    tenant,
    device: opts.device ?? 'pump-1',
    equipmentType: 'pump',
    at,
    modelVersion: 'm1',
    status: opts.insufficient ? 'insufficient_data' : 'ok',
    risks: opts.insufficient ? [] : [{ mode: opts.mode ?? 'bearing_wear', risk, horizonHours: 72, threshold: 0.6, attributions: [{ sensor: 'vib', feature: 'vib__slope', contribution: 1.2, share: 0.8, value: 3.1 }] }],
    rulHours: opts.rul ?? 500,
    rulLowerHours: opts.rul ?? 400,
  };
}

async function snapshot(db: Db, tenant: string) {
  const episodes = await db.selectFrom('alert_episodes').selectAll().where('tenant', '=', tenant).orderBy('id').execute();
  const events = await db.selectFrom('alert_events').selectAll().where('tenant', '=', tenant).orderBy('id').execute();
  const states = await db.selectFrom('alert_policy_state').selectAll().where('tenant', '=', tenant).orderBy('mode').execute();
  return { episodes, events, states };
}

async function openCount(db: Db, tenant: string): Promise<number> {
  const r = await db.selectFrom('alert_episodes').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant', '=', tenant).where('cleared_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

for (const engine of sqlEngines) {
  describe(`alert episodes on ${engine.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      db = await openDatabase(opened.config);
    });
    after(async () => {
      await db.destroy();
      await cleanup();
    });

    test('many concurrent opens of one key leave exactly one open episode', async () => {
      const tenant = freshTenant();
      const store = new EpisodeStore(db);
      const input = { tenant, device: 'pump-1', mode: 'bearing_wear', severity: 'high' as const, at: T0, risk: 0.8, rulLowerHours: 50, evidence: [] };
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.open({ ...input, risk: 0.7 + i / 1000 })));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.episode.id)).size, 1);
      assert.equal(await openCount(db, tenant), 1);

      // The database itself refuses a second open row, whatever the code does.
      await assert.rejects(
        sql`INSERT INTO alert_episodes (id, tenant, device, mode, state, severity, opened_at, peak_risk, last_risk, last_prediction_at, evidence)
            VALUES ('raw', ${tenant}, 'pump-1', 'bearing_wear', 'open', 'low', now(), 0.7, 0.7, now(), '[]'::jsonb)`.execute(db),
        /alert_episodes_one_open|duplicate key/,
      );
      // Once closed, the key may open again; the closed one stays as history.
      assert.equal(await store.close(results[0]!.episode.id, T0 + HOUR, 'cleared'), true);
      assert.equal(await store.close(results[0]!.episode.id, T0 + HOUR, 'cleared'), false);
      const again = await Promise.all(Array.from({ length: 10 }, () => store.open({ ...input, at: T0 + 2 * HOUR })));
      assert.equal(again.filter((r) => r.created).length, 1);
      assert.equal(await openCount(db, tenant), 1);
      assert.equal((await store.list({ tenant })).length, 2);
    });

    test('the service raises, escalates and clears with an append-only history carrying the evidence', async () => {
      const tenant = freshTenant();
      const svc = new EpisodeService(db, { policy: POLICY });
      const applied: AlertDecision[] = [];
      for (const [m, risk, rul] of [[0, 0.7, 300], [20, 0.7, 300], [40, 0.95, 20], [60, 0.3, 300], [100, 0.3, 300], [130, 0.3, 300]] as const) {
        for (const a of await svc.applyPrediction(system(tenant), prediction(tenant, T0 + m * MIN, risk, { rul }))) applied.push(a.decision);
      }
      assert.deepEqual(applied.map((d) => d.kind), ['raised', 'escalated', 'cleared']);
      const [ep] = await svc.episodes(system(tenant), { tenant });
      assert.equal(ep?.state, 'cleared');
      assert.equal(ep?.severity, 'critical');
      assert.equal(ep?.peakRisk, 0.95);
      assert.equal(ep?.clearedAt, T0 + 130 * MIN);
      assert.equal(ep?.evidence[0]?.feature, 'vib__slope');
      const events = await svc.events(system(tenant), { tenant, episodeId: ep!.id });
      assert.deepEqual(events.map((e) => e.kind), ['raised', 'escalated', 'cleared']);
      assert.match(events[0]!.reason, /enter 0\.6/);
      await assert.rejects(svc.applyPrediction(system('other'), prediction(tenant, T0, 0.9)), (e) => isPrognosError(e, 'PRG_FORBIDDEN'));
      await assert.rejects(svc.episodes({ kind: 'engineer', userId: 'x', tenant: 'other' }, { tenant }), (e) => isPrognosError(e, 'PRG_FORBIDDEN'));
    });

    test('the same prediction applied twice, or by many workers at once, changes nothing the second time', async () => {
      const tenant = freshTenant();
      const svc = new EpisodeService(db, { policy: { ...POLICY, raiseAfterMs: 0 } });
      const p = prediction(tenant, T0, 0.9);
      const results = await Promise.all(Array.from({ length: 12 }, () => svc.applyPrediction(system(tenant), p)));
      const notified = results.flat().filter((a) => a.notify);
      assert.equal(notified.length, 1, 'one notification for one raise');
      assert.equal(await openCount(db, tenant), 1);
      const snap = await snapshot(db, tenant);
      assert.deepEqual(await svc.applyPrediction(system(tenant), p), []);
      assert.deepEqual(await snapshot(db, tenant), snap);
      // An older prediction arriving late changes nothing either.
      assert.deepEqual(await svc.applyPrediction(system(tenant), prediction(tenant, T0 - MIN, 0.1)), []);
      assert.deepEqual(await snapshot(db, tenant), snap);
    });

    test('the onDecisions hook runs in the same transaction: if it fails, nothing is recorded and a retry redoes the step', async () => {
      const tenant = freshTenant();
      let fail = true;
      const seen: string[] = [];
      const svc = new EpisodeService(db, {
        policy: { ...POLICY, raiseAfterMs: 0 },
        onDecisions: async (trx, applied) => {
          // The hook sees the episode its transaction just opened.
          const open = await new EpisodeStore(trx).findOpen(tenant, 'pump-1', 'bearing_wear');
          seen.push(`${applied.map((a) => a.decision.kind).join(',')}:${open ? 'open' : 'none'}`);
          if (fail) throw new Error('outbox unavailable');
        },
      });
      const p = prediction(tenant, T0, 0.9);
      await assert.rejects(svc.applyPrediction(system(tenant), p), /outbox unavailable/);
      assert.equal(await openCount(db, tenant), 0);
      assert.deepEqual((await snapshot(db, tenant)).events, []);
      fail = false;
      const applied = await svc.applyPrediction(system(tenant), p);
      assert.deepEqual(applied.map((a) => [a.decision.kind, a.notify]), [['raised', true]]);
      assert.deepEqual(seen, ['raised:open', 'raised:open']);
      assert.equal(await openCount(db, tenant), 1);
    });

    test('insufficient_data changes nothing; stale data and maintenance windows silence the device', async () => {
      const tenant = freshTenant();
      const svc = new EpisodeService(db, { policy: { ...POLICY, raiseAfterMs: 0 } });
      await svc.applyPrediction(system(tenant), prediction(tenant, T0, 0.1));
      const snap = await snapshot(db, tenant);
      const r = await svc.applyPrediction(system(tenant), prediction(tenant, T0 + MIN, 0, { insufficient: true }));
      assert.deepEqual(r.map((a) => [a.decision.kind, a.notify]), [['suppressed', false]]);
      assert.deepEqual(await snapshot(db, tenant), snap);

      // Ingest reported a data gap: predictions are suppressed until data resumes.
      await db.insertInto('data_quality_events').values({ at: new Date(T0 + 2 * MIN), tenant, device: 'pump-1', kind: 'data_gap', detail: JSON.stringify({ silentMs: 60_000 }) }).execute();
      const during = await svc.applyPrediction(system(tenant), prediction(tenant, T0 + 10 * MIN, 0.95));
      assert.deepEqual(during.map((a) => a.decision.kind), ['suppressed']);
      assert.equal(await openCount(db, tenant), 0);
      await db.insertInto('data_quality_events').values({ at: new Date(T0 + 20 * MIN), tenant, device: 'pump-1', kind: 'data_resumed', detail: JSON.stringify({ silentMs: 18 * 60_000 }) }).execute();

      const windows = new MaintenanceWindowStore(db);
      await assert.rejects(windows.create({ kind: 'customer', userId: 'c', tenant, customerId: 'c1' }, { tenant, device: 'pump-1', startsAt: T0, endsAt: T0 + HOUR, reason: 'x' }), (e) => isPrognosError(e, 'PRG_FORBIDDEN'));
      await windows.create({ kind: 'engineer', userId: 'eve', tenant }, { tenant, device: 'pump-1', startsAt: T0 + 25 * MIN, endsAt: T0 + 60 * MIN, reason: 'bearing swap' });
      const inWindow = await svc.applyPrediction(system(tenant), prediction(tenant, T0 + 30 * MIN, 0.95));
      assert.deepEqual(inWindow.map((a) => [a.decision.kind, a.notify]), [['suppressed', false]]);
      assert.equal(await openCount(db, tenant), 0);
      const afterWindow = await svc.applyPrediction(system(tenant), prediction(tenant, T0 + 61 * MIN, 0.95));
      assert.deepEqual(afterWindow.map((a) => [a.decision.kind, a.notify]), [['raised', true]]);
    });

    test('a ticketed episode stays open until the ticket flow resolves it; then a new rise opens a new one', async () => {
      const tenant = freshTenant();
      const svc = new EpisodeService(db, { policy: { ...POLICY, raiseAfterMs: 0 } });
      const [raised] = await svc.applyPrediction(system(tenant), prediction(tenant, T0, 0.9));
      const id = raised!.episodeId!;
      assert.equal(await svc.attachTicket(system(tenant), tenant, id, 'tk-1'), true);
      assert.equal(await svc.attachTicket(system(tenant), tenant, id, 'tk-2'), false, 'one ticket per episode');
      await svc.applyPrediction(system(tenant), prediction(tenant, T0 + 10 * MIN, 0.97));
      let [ep] = await svc.episodes(system(tenant), { tenant, openOnly: true });
      assert.equal(ep?.state, 'ticketed');
      assert.equal(ep?.ticketId, 'tk-1');
      assert.equal(ep?.lastRisk, 0.97);
      assert.equal(await svc.resolve(system(tenant), tenant, id, T0 + 20 * MIN, 'repair verified'), true);
      assert.equal(await openCount(db, tenant), 0);
      const next = await svc.applyPrediction(system(tenant), prediction(tenant, T0 + 30 * MIN, 0.9));
      assert.deepEqual(next.map((a) => a.decision.kind), ['raised']);
      [ep] = await svc.episodes(system(tenant), { tenant, openOnly: true });
      assert.notEqual(ep?.id, id);
      const kinds = (await svc.events(system(tenant), { tenant, episodeId: id })).map((e) => e.kind);
      assert.deepEqual(kinds, ['raised', 'ticketed', 'resolved']);
    });

    test('property: over random streams the store follows the pure policy, never holds two open episodes, and ends closed', async () => {
      const RISKS = [0.02, 0.3, 0.5, 0.65, 0.8, 0.95];
      const streamArb = fc.array(
        fc.record({ lenMin: fc.integer({ min: 10, max: 240 }), dtMin: fc.integer({ min: 5, max: 30 }), a: fc.constantFrom(...RISKS), b: fc.constantFrom(...RISKS), dup: fc.boolean() }),
        { minLength: 1, maxLength: 8 },
      );
      await fc.assert(
        fc.asyncProperty(streamArb, async (segments) => {
          const tenant = freshTenant();
          const svc = new EpisodeService(db, { policy: POLICY });
          const preds: { p: Prediction; dup: boolean }[] = [];
          let t = T0;
          for (const s of segments) {
            for (let e = 0; e < s.lenMin; e += s.dtMin) {
              t += s.dtMin * MIN;
              const p = prediction(tenant, t, s.a);
              p.risks.push({ ...p.risks[0]!, mode: 'seal_leak', risk: s.b });
              preds.push({ p, dup: s.dup });
            }
          }
          for (let e = 20; e <= 8 * 60; e += 20) {
            const p = prediction(tenant, t + e * MIN, 0.02);
            p.risks.push({ ...p.risks[0]!, mode: 'seal_leak', risk: 0.02 });
            preds.push({ p, dup: false });
          }
          const expected: { mode: string; kind: string }[] = [];
          const states = new Map<string, AlertPolicyState>();
          for (const { p } of preds) {
            for (const mode of ['bearing_wear', 'seal_leak']) {
              const r = stepAlertPolicy(states.get(mode) ?? initialPolicyState(tenant, 'pump-1', mode), p, { dataGapSince: null, maintenanceWindows: [] }, POLICY);
              states.set(mode, r.state);
              for (const d of r.decisions) if (NOTIFYING_DECISIONS.has(d.kind)) expected.push({ mode, kind: d.kind });
            }
          }
          const got: { mode: string; kind: string }[] = [];
          for (const { p, dup } of preds) {
            // Duplicated deliveries race each other, as two workers picking up the same job would.
            const runs = await Promise.all((dup ? [p, p] : [p]).map((x) => svc.applyPrediction(system(tenant), x)));
            for (const a of runs.flat()) if (a.notify) got.push({ mode: a.mode, kind: a.decision.kind });
            const open = await db.selectFrom('alert_episodes').select(['mode']).where('tenant', '=', tenant).where('cleared_at', 'is', null).execute();
            assert.equal(new Set(open.map((o) => o.mode)).size, open.length, 'two open episodes for one key');
          }
          const sortKey = (x: { mode: string; kind: string }) => `${x.mode}:${x.kind}`;
          assert.deepEqual(got.map(sortKey).sort(), expected.map(sortKey).sort());
          assert.equal(await openCount(db, tenant), 0, 'every raise cleared after sustained low risk');
        }),
        { numRuns: engine.name === 'PGlite' ? 5 : 4 },
      );
    });
  });
}
