import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuthService } from '../../api/auth/auth-service.ts';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { LiveEvents } from '../../api/live-events.ts';
import { modelRoutes } from '../../api/routes/model-routes.ts';
import { buildApi } from '../../api/server.ts';
import { IngestService } from '../../ingest/ingest-service.ts';
import { readingToLine } from '../../ingest/line-protocol.ts';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import type { FleetDocumentInput } from '../../maintenance/fleet-schema.ts';
import { listRetrainingLabels } from '../../maintenance/retraining-labels.ts';
import { closeTicket, openTicketForEpisode, recordCloseOut, transitionTicket } from '../../maintenance/ticket-use-cases.ts';
import type { FeatureReading } from '../../models/feature-window.ts';
import { type FieldHistoryOptions, writeFieldHistory } from '../../models/field-history.ts';
import { readDeviceReadings, readEvents, readFleet, type SimEvent } from '../../models/sim-history.ts';
import { buildTrainingSet } from '../../models/sim-training-set.ts';
import { trainSimModels } from '../../models/sim-trainer.ts';
import type { Caller } from '../../platform/caller.ts';
import { ManualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createLogger } from '../../platform/logger.ts';
import { JobQueues } from '../../platform/queue/job-queues.ts';
import { openDatabase } from '../../platform/sql/database.ts';
import { equipmentTypeDescription, writeHistory } from '../../simulators/history-writer.ts';
import { uniqueName } from '../support/services.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';
import { sqlEngines } from '../support/sql-engines.ts';

/**
 * The retraining loop's export, end to end on real services: a small field fleet's telemetry in
 * the shared InfluxDB (a simulator history of four pumps stands in for the field), tickets and
 * close-outs through the real use-cases on PGlite and PostgreSQL, `prognos train export-field`
 * as its own process against the API over HTTP, then the folder read back by the simulator
 * history reader, labelled by buildTrainingSet, and trained on beside a simulator history.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const H = 3_600_000;
const DAY = 24 * H;
const START = Date.UTC(2025, 5, 1);
const DAYS = 20;
const UNTIL = START + DAYS * DAY;
const HORIZON = 72;
const TYPE = 'centrifugal_pump';

/** Close-out times. */
const T = {
  /** pump-0001: bearing_wear predicted and confirmed; resolved_verified. */
  confirmed: START + 6 * DAY + H,
  /** pump-0004 (globex): confirmed; another tenant's. */
  globex: START + 7 * DAY,
  /** pump-0002: seal_wear predicted, nothing found; no_fault_found. */
  noFault: START + 8 * DAY,
  /** pump-0003: bearing_wear confirmed, but closed false_alarm (not verified). */
  falseAlarm: START + 9 * DAY,
  /** pump-0003: a close-out on a ticket still in progress (not verified). */
  open: START + 10 * DAY,
  /** pump-0001: seal_wear predicted, bearing_wear found; resolved_verified. */
  otherMode: START + 12 * DAY,
};

function fleetDoc(tenant: string, devices: string[]): FleetDocumentInput {
  return {
    tenant: { id: tenant, name: tenant },
    customers: [{ id: `${tenant}-C1`, name: `${tenant} customer`, contactEmail: `ops@${tenant}.example` }],
    sites: [{ id: `${tenant}-S1`, customerId: `${tenant}-C1`, name: 'plant', lat: 50, lon: 8 }],
    devices: devices.map((id) => ({ id, equipmentType: TYPE, model: 'CP-200', installedAt: '2024-01-01', customerId: `${tenant}-C1`, siteId: `${tenant}-S1`, criticality: 'medium' as const })),
    technicians: [],
  };
}

/** `prognos <args>` as its own process. */
function prognos(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'bin/prognos.mjs'), ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The reading at or before `at` (the hour meter an event takes). */
function runHoursAt(readings: readonly FeatureReading[], at: number): number {
  let h = NaN;
  for (const r of readings) {
    if (r.ts > at) break;
    if (r.metrics.run_hours !== undefined) h = r.metrics.run_hours;
  }
  return Number(h.toFixed(3));
}

describe('field history: verified close-outs and InfluxDB telemetry become a training history', () => {
  let root: string;
  let influxDb: string;
  /** What went into InfluxDB, per device. */
  const field = new Map<string, FeatureReading[]>();
  /** The CLI's export folders, one per SQL engine. */
  const exports: string[] = [];

  /** acme's field history written in-process (the CLI test runs the same through the API). */
  const exportAcme = (
    outDir: string,
    scope: Pick<FieldHistoryOptions, 'labels' | 'devices'>,
    window: Pick<FieldHistoryOptions, 'sinceMs' | 'untilMs' | 'chunkHours' | 'pageRows'>,
  ) =>
    writeFieldHistory({
      outDir,
      influx: new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined }),
      equipmentTypes: { [TYPE]: equipmentTypeDescription(TYPE) },
      scope: 'acme',
      ...scope,
      ...window,
    });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'prognos-field-history-'));
    influxDb = await createDatabase();
    // The field's telemetry: a simulated history of four pumps, replayed into InfluxDB as acme's
    // pump-0001..0003 and globex's pump-0004.
    const source = join(root, 'field-source');
    await writeHistory({ outDir: source, devices: 4, days: DAYS, seed: 501, startMs: START, types: [TYPE] });
    const influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined });
    for await (const { device, readings } of readDeviceReadings(readFleet(source), TYPE)) {
      field.set(device, readings);
      const tenant = device === 'pump-0004' ? 'globex' : 'acme';
      const lines = readings.map((r) => readingToLine({ tenant, device }, { ts: r.ts, seq: undefined, metrics: r.metrics }));
      for (let i = 0; i < lines.length; i += 5000) await influx.write(lines.slice(i, i + 5000).join('\n'));
    }
    assert.deepEqual([...field.keys()], ['pump-0001', 'pump-0002', 'pump-0003', 'pump-0004']);
  });
  after(async () => {
    await dropDatabase(influxDb);
    rmSync(root, { recursive: true, force: true });
  });

  for (const engine of sqlEngines) {
    describe(`close-outs on ${engine.name}`, () => {
      let cleanup: () => Promise<void>;
      let deps: DomainDeps;
      let app: ReturnType<typeof buildApi>;
      let jobs: JobQueues;
      let dataDir: string;
      const clock = new ManualClock(START);
      const tokens: Record<string, string> = {};
      const admin: Caller = { kind: 'admin', userId: 'admin' };
      const engAcme: Caller = { kind: 'engineer', userId: 'eng-acme', tenant: 'acme' };
      const dir = () => join(root, `field-${engine.name}`);

      /** Opens a ticket 2 h before `at`, drives it to the visit done, records the close-out at `at`, closes it 1 h later. */
      async function closeOut(tenant: string, device: string, mode: string, at: number, confirmedMode: string | null, close?: 'resolved_verified' | 'no_fault_found' | 'false_alarm'): Promise<string> {
        const sys: Caller = { kind: 'system', tenant, reason: 'test' };
        const eng: Caller = { kind: 'engineer', userId: `eng-${tenant}`, tenant };
        clock.advance(at - 2 * H - clock.now());
        const { ticket: t } = await openTicketForEpisode(deps, sys, { episodeId: `ep-${device}-${at}`, device, mode, severity: 'high', risk: 0.8, rulHours: 100 });
        for (const action of [{ kind: 'triage' }, { kind: 'propose_visit' }, { kind: 'schedule', visitId: `V-${at}` }, { kind: 'start_visit' }, { kind: 'complete_visit' }] as const) {
          await transitionTicket(deps, sys, { ticketId: t.id, action, reason: 'test step' });
        }
        clock.advance(at - clock.now());
        await recordCloseOut(deps, eng, { ticketId: t.id, confirmedMode, findings: confirmedMode ?? 'nothing found' });
        clock.advance(H);
        if (close === 'resolved_verified') await closeTicket(deps, eng, { ticketId: t.id, outcome: close, evidence: { kind: 'engineer_confirmed', reason: 'part renewed' }, reason: 'done' });
        else if (close) await closeTicket(deps, eng, { ticketId: t.id, outcome: close, reason: 'done' });
        return t.id;
      }

      before(async () => {
        const opened = await engine.open();
        cleanup = opened.cleanup;
        dataDir = mkdtempSync(join(tmpdir(), 'prognos-field-api-'));
        const config = loadConfig({ PROGNOS_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
        const db = await openDatabase(opened.config);
        const logger = createLogger(config);
        const events = new LiveEvents(() => clock.now());
        // Constructed, never used by these routes: BullMQ connects only when a queue is first used.
        jobs = new JobQueues({ redisUrl: 'redis://127.0.0.1:6379', prefix: uniqueName('field'), clock, logger });
        deps = { db, clock, logger, influx: new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined }), jobs, events };
        await importFleet(deps, admin, fleetDoc('acme', ['pump-0001', 'pump-0002', 'pump-0003']));
        await importFleet(deps, admin, fleetDoc('globex', ['pump-0004']));

        await closeOut('acme', 'pump-0001', 'bearing_wear', T.confirmed, 'bearing_wear', 'resolved_verified');
        await closeOut('globex', 'pump-0004', 'bearing_wear', T.globex, 'bearing_wear', 'resolved_verified');
        await closeOut('acme', 'pump-0002', 'seal_wear', T.noFault, null, 'no_fault_found');
        await closeOut('acme', 'pump-0003', 'bearing_wear', T.falseAlarm, 'bearing_wear', 'false_alarm');
        await closeOut('acme', 'pump-0003', 'seal_wear', T.open, 'seal_wear');
        await closeOut('acme', 'pump-0001', 'seal_wear', T.otherMode, 'bearing_wear', 'resolved_verified');

        const auth = new AuthService({ db, clock, tokenTtlMs: 1000 * DAY });
        for (const u of [
          { id: 'eng-acme', role: 'engineer', tenant: 'acme', customerId: null },
          { id: 'cust-acme', role: 'customer', tenant: 'acme', customerId: 'acme-C1' },
        ] as const) {
          await auth.createUser({ ...u, displayName: u.id, password: 'correct horse battery' });
          tokens[u.id] = await auth.issueToken(u.id);
        }
        app = buildApi({ ingest: new IngestService({ config, db, clock, logger }), auth, credentials: new DeviceCredentialStore(db, clock), events, routes: [modelRoutes(deps)], rateLimit: { max: 100_000 } });
        await app.listen({ port: 0, host: '127.0.0.1' });
      });
      after(async () => {
        await app.close();
        await jobs.close();
        await deps.db.destroy();
        await cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      });

      const env = (token: string) => ({
        PROGNOS_URL: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
        PROGNOS_TOKEN: token,
        INFLUX_URL: SHARED_INFLUX_URL,
        INFLUX_DATABASE: influxDb,
      });

      test('`prognos train export-field` writes the fleet, readings and events of the caller\'s tenant', async () => {
        const r = await prognos(['train', 'export-field', '--out', dir(), '--until', new Date(UNTIL).toISOString()], env(tokens['eng-acme']!));
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /devices: 3 with readings/);
        assert.match(r.stdout, new RegExp(`readings: ${TYPE} ${[1, 2, 3].reduce((n, i) => n + field.get(`pump-000${i}`)!.length, 0)}`));
        assert.match(r.stdout, /events: failure 2, maintenance 3 from 3 verified close-outs/);
        exports.push(dir());
      });

      test('a customer cannot export', async () => {
        const r = await prognos(['train', 'export-field', '--out', join(root, 'refused'), '--until', new Date(UNTIL).toISOString()], env(tokens['cust-acme']!));
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /PRG_FORBIDDEN/);
      });

      test('the folder reads back as a history: a negative seed, the registry devices, the readings as stored', async () => {
        const fleet = readFleet(dir());
        assert.ok(Number.isInteger(fleet.seed) && fleet.seed < 0, `seed ${fleet.seed}: simulator seeds are unsigned, so never equal`);
        assert.deepEqual(fleet.devices.map((d) => [d.id, d.type]), [1, 2, 3].map((i) => [`pump-000${i}`, TYPE]));
        assert.deepEqual(Object.keys(fleet.files.readings), [TYPE]);
        assert.deepEqual(fleet.equipmentTypes[TYPE]!.failureModes.map((m) => m.id), ['bearing_wear', 'seal_wear']);
        assert.equal(fleet.endMs, UNTIL);
        const back = new Map<string, FeatureReading[]>();
        for await (const { device, readings } of readDeviceReadings(fleet, TYPE)) back.set(device, readings);
        assert.deepEqual([...back.keys()], ['pump-0001', 'pump-0002', 'pump-0003'], 'globex telemetry is not read for acme');
        for (const [device, readings] of back) assert.deepEqual(readings, field.get(device), device);
      });

      test('verified close-outs become events: a failure + maintenance per mode found, a maintenance per fault not found', async () => {
        const events = await readEvents(readFleet(dir()));
        const at = (t: number, device: string) => runHoursAt(field.get(device)!, t);
        const expected: SimEvent[] = [
          { device: 'pump-0001', atMs: T.confirmed, kind: 'failure', modes: ['bearing_wear'], runHours: at(T.confirmed, 'pump-0001') },
          { device: 'pump-0001', atMs: T.confirmed, kind: 'maintenance', modes: ['bearing_wear'], runHours: at(T.confirmed, 'pump-0001') },
          { device: 'pump-0001', atMs: T.otherMode, kind: 'failure', modes: ['bearing_wear'], runHours: at(T.otherMode, 'pump-0001') },
          { device: 'pump-0001', atMs: T.otherMode, kind: 'maintenance', modes: ['bearing_wear'], runHours: at(T.otherMode, 'pump-0001') },
          { device: 'pump-0002', atMs: T.noFault, kind: 'maintenance', modes: [], runHours: at(T.noFault, 'pump-0002') },
        ];
        assert.deepEqual(events, expected);
        assert.ok(expected.every((e) => Number.isFinite(e.runHours) && e.runHours > 0));
      });

      test('buildTrainingSet: positives in the horizon before a confirmed close-out, negatives before a fault not found, nothing from unverified tickets', async () => {
        const fleet = readFleet(dir());
        const set = await buildTrainingSet([fleet], TYPE, { horizonHours: HORIZON, rulCapHours: 500 });
        assert.ok(set.rows > 500, `rows ${set.rows}`);
        assert.deepEqual([...new Set(set.unit)].sort(), [1, 2, 3].map((i) => `${fleet.seed}/pump-000${i}`));
        assert.deepEqual(set.failures.map((f) => [f.unit, f.atMs, f.modes[0]]), [
          [`${fleet.seed}/pump-0001`, T.confirmed, 'bearing_wear'],
          [`${fleet.seed}/pump-0001`, T.otherMode, 'bearing_wear'],
        ]);
        assert.deepEqual(set.maintenance.map((m) => m.unit.split('/')[1]), ['pump-0001', 'pump-0001', 'pump-0002']);

        const bearing = set.labels.get('bearing_wear')!;
        const seal = set.labels.get('seal_wear')!;
        let positives = 0;
        let beforeNoFault = 0;
        for (let r = 0; r < set.rows; r++) {
          const device = set.unit[r]!.split('/')[1]!;
          const ts = set.ts[r]!;
          assert.notEqual(seal[r], 1, 'no seal_wear was ever found');
          if (bearing[r] === 1) {
            positives++;
            const f = set.failures[set.nextFailure[r]!]!;
            assert.equal(device, 'pump-0001');
            assert.ok(ts < f.atMs && f.runHours - set.runHours[r]! <= HORIZON, `row ${r} is positive outside the horizon`);
          }
          if (device === 'pump-0001') {
            // Every row within the horizon before a confirmed close-out is a positive.
            const f = set.nextFailure[r]! >= 0 ? set.failures[set.nextFailure[r]!]! : null;
            if (f && f.runHours - set.runHours[r]! <= HORIZON) assert.equal(bearing[r], 1, `row ${r} before ${f.atMs}`);
          }
          if (device === 'pump-0002' && ts < T.noFault && ts > T.noFault - 4 * DAY) {
            // The false alarm: before the visit that found nothing, and with the history going on, a known 0.
            beforeNoFault++;
            assert.deepEqual([bearing[r], seal[r]], [0, 0], `row ${r} before the no-fault visit`);
          }
          if (device === 'pump-0003') assert.ok(bearing[r] !== 1 && seal[r] !== 1, 'unverified close-outs label nothing');
        }
        assert.ok(positives >= 10, `positives ${positives}`);
        assert.ok(beforeNoFault >= 24, `negatives before the no-fault visit ${beforeNoFault}`);
      });

      test('the export reads InfluxDB in chunks and pages: small ones give the same files', async () => {
        const { labels, devices } = await listRetrainingLabels(deps, engAcme, { untilMs: UNTIL });
        const direct = join(root, `direct-${engine.name}`);
        const summary = await exportAcme(direct, { labels, devices }, { untilMs: UNTIL, chunkHours: 5, pageRows: 13 });
        assert.deepEqual(summary.events, { failure: 2, maintenance: 3 });
        assert.equal(summary.labelsUsed, 3);
        for (const f of [`readings-${TYPE}.csv`, 'events.csv']) assert.ok(readFileSync(join(direct, f)).equals(readFileSync(join(dir(), f))), f);
        const fleetJson = (d: string) => {
          const j = JSON.parse(readFileSync(join(d, 'fleet.json'), 'utf8'));
          delete j.field.command;
          return j;
        };
        assert.deepEqual(fleetJson(direct), fleetJson(dir()));
      });

      test('--since starts readings and close-outs together; labels outside the window are counted as skipped', async () => {
        const since = START + 7 * DAY;
        const { labels, devices } = await listRetrainingLabels(deps, engAcme, {});
        const out = join(root, `since-${engine.name}`);
        const summary = await exportAcme(out, { labels, devices }, { sinceMs: since, untilMs: UNTIL });
        assert.deepEqual(summary.labelsSkipped, { outside_window: 1 });
        const fleet = readFleet(out);
        assert.equal(fleet.startMs, since);
        assert.notEqual(fleet.seed, readFleet(dir()).seed, 'another window, another seed');
        assert.deepEqual((await readEvents(fleet)).map((e) => [e.device, e.atMs, e.kind]), [
          ['pump-0001', T.otherMode, 'failure'],
          ['pump-0001', T.otherMode, 'maintenance'],
          ['pump-0002', T.noFault, 'maintenance'],
        ]);
        for await (const { device, readings } of readDeviceReadings(fleet, TYPE)) {
          assert.deepEqual(readings, field.get(device)!.filter((r) => r.ts >= since), device);
        }
      });
    });
  }

  test('`prognos train export-field --help` describes the options and the loop', async () => {
    const help = await prognos(['train', 'export-field', '--help'], {});
    assert.equal(help.code, 0);
    for (const option of ['--out <dir>', '--since <iso>', '--until <iso>', '--tenant <id>']) assert.ok(help.stdout.includes(option), option);
    assert.match(help.stdout, /prognos train sim --history/);
    assert.match(help.stdout, /prognos models register/);
  });

  test('`train sim` trains on a simulator history and the field folder together', async () => {
    const sim = join(root, 'sim-31');
    const held = join(root, 'sim-32');
    await writeHistory({ outDir: sim, devices: 3, days: 30, seed: 31, types: [TYPE] });
    await writeHistory({ outDir: held, devices: 2, days: 30, seed: 32, types: [TYPE] });
    const fieldDir = exports[0]!;
    const options = { horizonHours: HORIZON, rulCapHours: 500, sampleHours: 2 };
    const simRows = (await buildTrainingSet([readFleet(sim)], TYPE, options)).rows;
    const fieldRows = (await buildTrainingSet([readFleet(fieldDir)], TYPE, options)).rows;
    const [report] = await trainSimModels({
      historyDirs: [sim, fieldDir],
      evalDirs: [held],
      outDir: join(root, 'bundles'),
      seed: 1,
      types: [TYPE],
      nEstimators: 5,
      maxDepth: 3,
      sampleHours: 2,
      createdAt: '2026-01-01T00:00:00Z',
      command: 'test',
    });
    assert.equal(report!.trainingRows, simRows + fieldRows);
    assert.match(report!.card.training.data, new RegExp(`--seed 31,${readFleet(fieldDir).seed}`));
    assert.deepEqual(report!.card.modes.map((m) => m.mode), ['bearing_wear', 'seal_wear']);
  });
});
