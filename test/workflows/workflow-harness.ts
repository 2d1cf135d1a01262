import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import type { AlertPolicyOptions } from '../../alerts/alert-policy.ts';
import { EpisodeService } from '../../alerts/episode-service.ts';
import { CustomerLinks } from '../../alerts/notify/customer-links.ts';
import { EmailChannel } from '../../alerts/notify/email-channel.ts';
import { NotificationOutbox } from '../../alerts/notify/outbox.ts';
import type { FleetDocumentInput } from '../../maintenance/fleet-schema.ts';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import type { Prediction } from '../../models/prediction.ts';
import { PredictionWriter } from '../../models/prediction-writer.ts';
import { AcceleratedClock, type Clock } from '../../platform/clock.ts';
import type { Config } from '../../platform/config.ts';
import type { DomainDeps, LiveEventSink } from '../../platform/domain-deps.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createLogger, type Logger } from '../../platform/logger.ts';
import { JobQueues } from '../../platform/queue/job-queues.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { WORKFLOW_QUEUES } from '../../workflows/job-definitions.ts';
import type { VisitExecutor, WorkflowOptions } from '../../workflows/workflow-context.ts';
import { WorkflowEngine, type WorkflowEngineOptions } from '../../workflows/workflow-engine.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';
import { sqlEngines } from '../support/sql-engines.ts';

/**
 * Real services for workflow tests: a SQL store (PGlite or a fresh PostgreSQL database), Redis
 * (a fresh BullMQ prefix), a fresh database on the shared InfluxDB, an SMTP server on loopback
 * that keeps every mail, and an accelerated clock so days of a service flow pass in seconds.
 */

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const LINK_SECRET = 'test-link-secret-0123456789abcdef0123456789';
export const LINK_BASE = 'http://portal.test/#/link';

export interface Mail {
  to: string[];
  raw: string;
  /** The raw message with quoted-printable soft breaks and escapes undone. */
  decoded: string;
  subject: string;
  receivedAt: number;
}

export function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** Signed links in a mail, in order of appearance (deduplicated: the text and HTML parts repeat them). */
export function linksIn(mail: Mail): string[] {
  const found = [...mail.decoded.matchAll(/http:\/\/portal\.test\/#\/link\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/g)].map((m) => m[1]!);
  return [...new Set(found)];
}

export class MailSink {
  readonly mails: Mail[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  /** Asked before a mail is accepted (250); false answers 451 and the mail is not kept (never delivered). */
  onMail: ((m: Mail) => boolean | Promise<boolean>) | undefined;

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const decoded = decodeQuotedPrintable(raw);
          const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
          const mail = { to: session.envelope.rcptTo.map((r) => r.address), raw, decoded, subject, receivedAt: Date.now() };
          void Promise.resolve(this.onMail?.(mail) ?? true).then((accept) => {
            if (!accept) return cb(Object.assign(new Error('try again later'), { responseCode: 451 }));
            this.mails.push(mail);
            cb();
          });
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

export class EventLog implements LiveEventSink {
  readonly events: { type: string; tenant: string; customerId?: string | null; data: Record<string, unknown> }[] = [];
  publish(e: { type: string; tenant: string; customerId?: string | null; data: Record<string, unknown> }): void {
    this.events.push(e);
  }
  ofType(type: string) {
    return this.events.filter((e) => e.type === type);
  }
}

export async function openSql(kind: 'pglite' | 'postgres'): Promise<{ config: Config['sql']; cleanup(): Promise<void> }> {
  return sqlEngines.find((e) => e.name === (kind === 'pglite' ? 'PGlite' : 'PostgreSQL'))!.open();
}

/** A small fleet: one customer (e-mail, English, UTC), one site, the given devices, one technician working 06:00–22:00 every day. */
export function testFleet(tenant: string, devices: { id: string; equipmentType: string; criticality?: 'low' | 'medium' | 'high' | 'critical' }[], skills: string[], customer: Partial<FleetDocumentInput['customers'] extends (infer C)[] | undefined ? C : never> = {}): FleetDocumentInput {
  const day = [{ start: '06:00', end: '22:00' }];
  return {
    tenant: { id: tenant, name: `Tenant ${tenant}` },
    customers: [{ id: 'C1', name: 'Harbour Foods', contactEmail: 'ops@harbour.test', preferredChannel: 'email', language: 'en', timezone: 'UTC', ...customer }],
    sites: [{ id: 'S1', customerId: 'C1', name: 'Harbour Road', lat: 31.2, lon: 121.4, address: '1 Harbour Road' }],
    devices: devices.map((d) => ({ id: d.id, equipmentType: d.equipmentType, model: 'P-100', installedAt: '2025-01-01', customerId: 'C1', siteId: 'S1', criticality: d.criticality ?? 'medium' })),
    technicians: [
      { id: 'T1', name: 'Wang Lei', skills, homeLat: 31.21, homeLon: 121.41, timezone: 'UTC', workingHours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day } },
    ],
  };
}

export interface Harness {
  tenant: string;
  db: Db;
  deps: DomainDeps;
  clock: Clock;
  jobs: JobQueues;
  influx: InfluxHttp;
  influxDb: string;
  prefix: string;
  sqlConfig: Config['sql'];
  mail: MailSink;
  events: EventLog;
  links: CustomerLinks;
  outbox: NotificationOutbox;
  logger: Logger;
  engine: WorkflowEngine | undefined;
  episodes: EpisodeService;
  /** Writes the prediction to InfluxDB, applies it to the alert policy (with the engine's hook) and hands it to the engine. */
  feed(p: Prediction): Promise<void>;
  startEngine(o?: { visitExecutor?: VisitExecutor; options?: WorkflowEngineOptions['options'] }): Promise<WorkflowEngine>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sql?: 'pglite' | 'postgres';
  /** Clock ms per real ms. Default 3600 (an hour in a second). */
  rate?: number;
  start?: number;
  fleet: (tenant: string) => FleetDocumentInput;
  /** Options every engine of this harness gets. */
  workflow?: WorkflowOptions;
  /** The alert policy (EpisodeService and the engine's verification use the same). */
  alertPolicy?: AlertPolicyOptions;
}

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const tenant = `wf${randomBytes(4).toString('hex')}`;
  const logger = createLogger({ log: { level: (process.env.TEST_LOG_LEVEL as 'silent') ?? 'silent' } } as Pick<Config, 'log'>);
  const clock = new AcceleratedClock(o.rate ?? 3600, o.start ?? Date.parse('2026-03-02T07:00:00Z'));
  const sql = await openSql(o.sql ?? 'pglite');
  const db = await openDatabase(sql.config);
  await importFleet({ db, clock }, { kind: 'admin', userId: 'test' }, o.fleet(tenant));
  const influxDb = await createDatabase();
  const influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined });
  const prefix = `wf-${randomBytes(6).toString('hex')}`;
  const jobs = new JobQueues({ redisUrl: REDIS_URL, prefix, clock, logger, lockDurationMs: 3000, stalledIntervalMs: 1000 });
  const events = new EventLog();
  const deps: DomainDeps = { db, clock, logger, influx, jobs, events };
  const mail = new MailSink();
  await mail.start();
  const links = new CustomerLinks({ secret: LINK_SECRET, baseUrl: LINK_BASE, clock });
  const outbox = new NotificationOutbox(db, clock);
  const writer = new PredictionWriter({ write: (lines) => influx.write(lines.join('\n')) });
  let engine: WorkflowEngine | undefined;
  let episodes = new EpisodeService(db, { policy: o.alertPolicy });
  const h: Harness = {
    tenant,
    db,
    deps,
    clock,
    jobs,
    influx,
    influxDb,
    prefix,
    sqlConfig: sql.config,
    mail,
    events,
    links,
    outbox,
    logger,
    get engine() {
      return engine;
    },
    get episodes() {
      return episodes;
    },
    async feed(p) {
      await writer.write([p]);
      await episodes.applyPrediction({ kind: 'system', tenant: p.tenant, reason: 'scoring' }, p);
      await engine?.onPrediction(p);
    },
    async startEngine(eo = {}) {
      engine = new WorkflowEngine({
        deps,
        notify: { channels: { email: new EmailChannel({ smtpUrl: `smtp://127.0.0.1:${mail.port}`, from: 'service@prognos.test' }) }, links, outbox },
        visitExecutor: eo.visitExecutor,
        options: { escalationHours: [48, 48, 48], relayPollMs: 200, dispatchPollMs: 200, alertPolicy: o.alertPolicy, ...o.workflow, ...eo.options },
      });
      episodes = new EpisodeService(db, { policy: o.alertPolicy, onDecisions: engine.onDecisions });
      await engine.start();
      return engine;
    },
    async close() {
      await engine?.stop();
      await jobs.obliterate([...WORKFLOW_QUEUES]).catch(() => undefined);
      await jobs.close();
      await mail.stop();
      await db.destroy();
      await sql.cleanup();
      await dropDatabase(influxDb);
    },
  };
  return h;
}

/** Polls until `check` returns a value (not undefined/false), or throws after `timeoutMs` real ms. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function bearingPrediction(tenant: string, device: string, at: number, risk: number, rulLowerHours: number | null): Prediction {
  return {
    tenant,
    device,
    equipmentType: 'centrifugal_pump',
    at,
    modelVersion: 'test-1',
    status: 'ok',
    risks: [
      {
        mode: 'bearing_wear',
        risk,
        horizonHours: 72,
        threshold: 0.3,
        attributions: [
          { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', contribution: 1.2, share: 0.7, value: 3.1 },
          { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__mean_6h', contribution: 0.4, share: 0.3, value: 71 },
        ],
      },
    ],
    rulHours: rulLowerHours === null ? null : rulLowerHours * 1.5,
    rulLowerHours,
  };
}

/** Feeds `make(now)` every `everyMs` real ms until stopped (sequentially: one prediction at a time). */
export function pump(h: Harness, make: (now: number) => Prediction | null, everyMs = 100): { stop(): Promise<void>; errors: unknown[] } {
  let stopped = false;
  const errors: unknown[] = [];
  const loop = (async () => {
    while (!stopped) {
      const p = make(Math.floor(h.clock.now()));
      if (p) await h.feed(p).catch((e: unknown) => errors.push(e));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
