import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AuthService } from '../../api/auth/auth-service.ts';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { LiveEvents } from '../../api/live-events.ts';
import { deviceRoutes } from '../../api/routes/device-routes.ts';
import { fleetRoutes } from '../../api/routes/fleet-routes.ts';
import { metricsRoutes } from '../../api/routes/metrics-routes.ts';
import { type ModelRoutesOptions, modelRoutes } from '../../api/routes/model-routes.ts';
import { ticketRoutes } from '../../api/routes/ticket-routes.ts';
import { visitRoutes } from '../../api/routes/visit-routes.ts';
import { buildApi } from '../../api/server.ts';
import { EpisodeStore } from '../../alerts/episode-store.ts';
import { IngestService } from '../../ingest/ingest-service.ts';
import { demoFleet } from '../../maintenance/demo-fleet.ts';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import { openTicketForEpisode } from '../../maintenance/ticket-use-cases.ts';
import { VisitStore } from '../../maintenance/visit-store.ts';
import { predictionToLine } from '../../models/prediction-writer.ts';
import type { Prediction } from '../../models/prediction.ts';
import type { Caller } from '../../platform/caller.ts';
import { ManualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createLogger } from '../../platform/logger.ts';
import { JobQueues } from '../../platform/queue/job-queues.ts';
import { openDatabase } from '../../platform/sql/database.ts';
import { uniqueName } from '../support/services.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';

/**
 * The domain API over real stores: a migrated PGlite, the demo fleet of tenant `acme` (6 devices,
 * customers C-001 and C-002), a small hand-made fleet of tenant `globex`, a fresh database on the
 * shared InfluxDB holding telemetry (with a silent stretch) and predictions, alert episodes, a
 * ticket per tenant with a booked visit, and users:
 *
 *   admin                      admin
 *   eng-acme / eng-globex      engineers of acme / globex
 *   cust-acme-1 / cust-acme-2  customers C-001 / C-002 of acme
 *   cust-globex-1              customer GX-C1 of globex
 *
 * `pump-0001` (C-001) is the flagged device: bearing_wear risk 0.72 over threshold 0.5, an open
 * high episode and ticket `ids.ticketA`; its visit `ids.visitA` is proposed with TECH-001 (globex's
 * `ids.visitG` is booked).
 */
export const T0 = Date.parse('2026-03-02T02:00:00Z');
const HOUR = 3_600_000;
export const USERS = ['admin', 'eng-acme', 'eng-globex', 'cust-acme-1', 'cust-acme-2', 'cust-globex-1'] as const;
export type UserName = (typeof USERS)[number];
export const GAP = { from: T0 - 10 * HOUR, to: T0 - 6 * HOUR };

export interface DomainFixture {
  app: FastifyInstance;
  deps: DomainDeps;
  clock: ManualClock;
  events: LiveEvents;
  tokens: Record<UserName, string>;
  ids: { ticketA: string; visitA: string; episodeA: string; ticketG: string; visitG: string; episodeG: string };
  close(): Promise<void>;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function prediction(tenant: string, device: string, equipmentType: string, at: number, risk: number): Prediction {
  return {
    tenant,
    device,
    equipmentType,
    at,
    modelVersion: '1.0.0',
    status: 'ok',
    risks: [
      {
        mode: 'bearing_wear',
        risk,
        horizonHours: 72,
        threshold: 0.5,
        attributions: [
          { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', contribution: 1.2, share: 0.6, value: null },
          { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__level_6h', contribution: 0.8, share: 0.4, value: null },
        ],
      },
      { mode: 'seal_wear', risk: 0.1, horizonHours: 72, threshold: 0.5, attributions: [] },
    ],
    rulHours: 240,
    rulLowerHours: 160,
  };
}

export async function domainFixture(o: { drift?: ModelRoutesOptions['drift'] } = {}): Promise<DomainFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-domain-api-'));
  const influxDb = await createDatabase();
  const config = loadConfig({ PROGNOS_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  const db = await openDatabase(config.sql);
  const clock = new ManualClock(T0);
  const logger = createLogger(config);
  const events = new LiveEvents(() => clock.now());
  const influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined });
  // Constructed, never used by these routes: BullMQ connects only when a queue is first used.
  const jobs = new JobQueues({ redisUrl: 'redis://127.0.0.1:6379', prefix: uniqueName('hw2'), clock, logger });
  const deps: DomainDeps = { db, clock, logger, influx, jobs, events };
  const admin: Caller = { kind: 'admin', userId: 'admin' };

  await importFleet(deps, admin, demoFleet({ tenant: 'acme', devices: 6, seed: 7, startMs: T0 - 400 * 24 * HOUR }));
  await importFleet(deps, admin, {
    tenant: { id: 'globex', name: 'Globex' },
    customers: [{ id: 'GX-C1', name: 'Globex Foods', contactEmail: 'ops@globex.example.com', timezone: 'Asia/Shanghai' }],
    sites: [{ id: 'GX-S1', customerId: 'GX-C1', name: 'Globex plant', lat: 31.2, lon: 121.5 }],
    devices: [{ id: 'gx-pump-1', equipmentType: 'centrifugal_pump', model: 'CP-100', installedAt: '2025-01-01', customerId: 'GX-C1', siteId: 'GX-S1', criticality: 'medium' }],
    technicians: [
      {
        id: 'GX-T1',
        name: 'Gus Globex',
        skills: ['bearing_wear', 'seal_wear'],
        homeLat: 31.2,
        homeLon: 121.5,
        workingHours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '08:00', end: '18:00' }]])),
        timezone: 'Asia/Shanghai',
      },
    ],
  });

  // Telemetry every 10 minutes for a day, silent for four hours; predictions every hour after the gap.
  const lines: string[] = [];
  for (const [tenant, device] of [
    ['acme', 'pump-0001'],
    ['globex', 'gx-pump-1'],
  ] as const) {
    for (let t = T0 - 24 * HOUR; t < T0; t += 10 * 60_000) {
      if (t >= GAP.from && t < GAP.to) continue;
      lines.push(`telemetry,tenant=${tenant},device=${device} vibration_rms_mm_s=${(2 + (t - T0) / (24 * HOUR)).toFixed(4)},bearing_temp_c=61.5,state="running" ${t}`);
    }
    for (let h = 5; h >= 1; h--) lines.push(predictionToLine(prediction(tenant, device, 'centrifugal_pump', T0 - h * HOUR, 0.8 - h * 0.02)));
  }
  await influx.write(lines.join('\n'));

  const liveness = (tenant: string, device: string, lastSeen: number, inGap: boolean) => ({
    tenant,
    device,
    last_seen: new Date(lastSeen),
    last_reading_ts: new Date(T0 - 10 * 60_000),
    interval_ms: 600_000,
    last_seq: '144',
    in_gap: inGap,
  });
  await db.insertInto('device_liveness').values([liveness('acme', 'pump-0001', T0 - 5 * 60_000, false), liveness('acme', 'drive-0003', T0 - 3 * HOUR, true), liveness('globex', 'gx-pump-1', T0 - 5 * 60_000, false)]).execute();

  const episodes = new EpisodeStore(db);
  const evidence = prediction('acme', 'pump-0001', 'centrifugal_pump', T0, 0.72).risks[0]!.attributions;
  const epA = (await episodes.open({ tenant: 'acme', device: 'pump-0001', mode: 'bearing_wear', severity: 'high', at: T0 - HOUR, risk: 0.72, rulLowerHours: 160, evidence })).episode;
  const epG = (await episodes.open({ tenant: 'globex', device: 'gx-pump-1', mode: 'bearing_wear', severity: 'medium', at: T0 - HOUR, risk: 0.72, rulLowerHours: 160, evidence })).episode;
  const ticketFor = async (tenant: string, device: string, episodeId: string) =>
    (await openTicketForEpisode(deps, { kind: 'system', tenant, reason: 'test' }, { episodeId, device, mode: 'bearing_wear', severity: 'high', risk: 0.72, rulHours: 240 })).ticket;
  const ticketA = await ticketFor('acme', 'pump-0001', epA.id);
  const ticketG = await ticketFor('globex', 'gx-pump-1', epG.id);
  const visits = new VisitStore(db, clock);
  // acme's visit is offered (proposed), globex's booked.
  const visitA = await visits.propose(admin, { tenant: 'acme', ticketId: ticketA.id, device: 'pump-0001', technicianId: 'TECH-001', startsAt: T0 + 30 * HOUR, endsAt: T0 + 32 * HOUR });
  const bookedG = await visits.book(admin, { tenant: 'globex', ticketId: ticketG.id, device: 'gx-pump-1', technicianId: 'GX-T1', startsAt: T0 + 30 * HOUR, endsAt: T0 + 32 * HOUR });
  if (!bookedG.ok) throw new Error(bookedG.reason);
  const visitG = bookedG.visit;

  const auth = new AuthService({ db, clock, tokenTtlMs: 24 * HOUR });
  const users = [
    { id: 'admin', role: 'admin', tenant: null, customerId: null },
    { id: 'eng-acme', role: 'engineer', tenant: 'acme', customerId: null },
    { id: 'eng-globex', role: 'engineer', tenant: 'globex', customerId: null },
    { id: 'cust-acme-1', role: 'customer', tenant: 'acme', customerId: 'C-001' },
    { id: 'cust-acme-2', role: 'customer', tenant: 'acme', customerId: 'C-002' },
    { id: 'cust-globex-1', role: 'customer', tenant: 'globex', customerId: 'GX-C1' },
  ] as const;
  const tokens = {} as Record<UserName, string>;
  for (const u of users) {
    await auth.createUser({ ...u, displayName: `${u.id} (display)`, password: 'correct horse battery' });
    tokens[u.id] = await auth.issueToken(u.id);
  }

  const routes: FastifyPluginAsyncZod[] = [fleetRoutes(deps), deviceRoutes(deps), ticketRoutes(deps), visitRoutes(deps), metricsRoutes(deps), modelRoutes(deps, { drift: o.drift })];
  const ingest = new IngestService({ config, db, clock, logger });
  const app = buildApi({ ingest, auth, credentials: new DeviceCredentialStore(db, clock), events, routes, rateLimit: { max: 100_000 } });
  await app.ready();
  return {
    app,
    deps,
    clock,
    events,
    tokens,
    ids: { ticketA: ticketA.id, visitA: visitA.id, episodeA: epA.id, ticketG: ticketG.id, visitG: visitG.id, episodeG: epG.id },
    async close() {
      await app.close();
      await jobs.close();
      await db.destroy();
      await dropDatabase(influxDb);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
