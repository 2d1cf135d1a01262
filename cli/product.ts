import { join } from 'node:path';
import { sql } from 'kysely';
import { importFleet } from '../maintenance/fleet-registry.ts';
import { demoFleet } from '../maintenance/demo-fleet.ts';
import { AcceleratedClock, type Clock, systemClock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import { SmtpSink } from '../platform/mail/smtp-sink.ts';
import type { EquipmentEvent } from '../simulators/equipment-simulator.ts';
import type { FleetUnit } from '../simulators/fleet.ts';
import { SimulatedCustomers } from '../simulators/simulated-customers.ts';
import { type SimulatedFleet, startSimulatedFleet } from '../simulators/simulated-fleet.ts';
import { type RuntimePlugin, type ServiceRuntime, startServiceRuntime } from './service-runtime.ts';
import { productPlugins } from './product-plugins.ts';

/**
 * The whole product in one process, as `prognos start` and `prognos demo` run it: the service
 * runtime with every role, the embedded SMTP sink when no SMTP_URL is set, and optionally the
 * simulated fleet (its registry imported for tenant `demo`, its clock accelerated so wear,
 * visits and reminders happen within minutes).
 */


/** Share of the demo's machines that start late in one failure mode's life (they fail within 150–450 running hours). */
export const DEMO_WORN_SHARE = 0.15;
export interface ProductOptions {
  /** Simulated machines (0 = none). */
  readonly devices: number;
  readonly seed: number;
  /** Clock ms per real ms for the whole product while simulating (devices send one reading per simulated hour). */
  readonly speed: number;
  /** Called for every simulator event (failure, maintenance, repair). */
  readonly onSimulatorEvent?: (unit: FleetUnit, e: EquipmentEvent) => void;
  /** Redis key prefix for the job queues (tests use a fresh one). */
  readonly queuePrefix?: string;
}

export interface DemoSummary {
  readings: number;
  rejected: number;
  predictions: number;
  insufficientData: number;
  episodes: number;
  tickets: Record<string, number>;
  visitsPlanned: number;
  visitsBeforePredictedFailure: number;
  messagesSent: number;
  outcomes: Record<string, number>;
  simulator: { failures: number; maintenance: number; repairs: number; serviceVisits: number } | null;
  /** What the simulated customers did with the messages they got. */
  customers: { confirm: number; reschedule: number; silent: number; failed: number } | null;
  clock: string;
  dashboardUrl: string;
  mailDir: string | null;
}

export interface Product {
  readonly runtime: ServiceRuntime;
  readonly fleet: SimulatedFleet | null;
  readonly smtp: SmtpSink | null;
  readonly clock: Clock;
  summary(): Promise<DemoSummary>;
  stop(): Promise<void>;
}

async function countBy(rt: ServiceRuntime, table: 'tickets', column: 'tier' | 'outcome'): Promise<Record<string, number>> {
  const rows = await rt.db
    .selectFrom(table)
    .select([column, sql<string>`count(*)`.as('n')])
    .groupBy(column)
    .execute();
  const out: Record<string, number> = {};
  for (const r of rows) {
    const key = (r as Record<string, unknown>)[column];
    if (key !== null && key !== undefined) out[String(key)] = Number(r.n);
  }
  return out;
}

export async function startProduct(config: Config, o: ProductOptions): Promise<Product> {
  const clock: Clock = o.devices > 0 ? new AcceleratedClock(o.speed) : systemClock;
  let smtp: SmtpSink | null = null;
  if (!config.notify.smtpUrl) {
    smtp = new SmtpSink(join(config.dataDir, 'mail'));
    await smtp.start();
  }
  let fleet: SimulatedFleet | null = null;
  let customers: SimulatedCustomers | null = null;
  const serviceVisits = { count: 0 };
  let runtimeRef: Pick<ServiceRuntime, 'ingest' | 'apiServices' | 'config'> | null = null;
  const plugins = productPlugins({
    config,
    smtpUrl: config.notify.smtpUrl ?? smtp!.url,
    // The downlink connects after ingest has started the embedded broker (or to MQTT_URL).
    mqtt: () => {
      const rt = runtimeRef!;
      if (config.mqtt.url) return { url: config.mqtt.url, username: config.mqtt.username, password: config.mqtt.password };
      return { url: rt.ingest.brokerUrl, username: rt.apiServices.brokerAuth ? rt.apiServices.mqttService.username : undefined, password: rt.apiServices.brokerAuth ? rt.apiServices.mqttService.password : undefined };
    },
    // The simulator's technician: a booked visit that starts renews the failing part.
    visitExecutor: (v) => {
      if (fleet?.serviceVisit(v.device, v.modes, `prognos visit ${v.visitId}`)) serviceVisits.count++;
    },
  });
  const runtime = await startServiceRuntime(config, {
    clock,
    queuePrefix: o.queuePrefix,
    plugins,
    extraStatus: () => (fleet ? { simulator: fleet.stats() } : {}),
    beforePluginsStart: (rt) => {
      runtimeRef = rt;
    },
  });
  try {
    if (o.devices > 0) {
      const doc = demoFleet({ tenant: 'demo', devices: o.devices, seed: o.seed, startMs: clock.now() });
      // No internet here: customers who asked for webhooks get e-mail in the demo.
      for (const c of doc.customers ?? []) if (c.preferredChannel === 'webhook') Object.assign(c, { preferredChannel: 'email', webhookUrl: null });
      await importFleet({ db: runtime.db, clock }, { kind: 'admin', userId: 'demo-setup' }, doc);
      const gateway = runtime.apiServices.brokerAuth ? await runtime.apiServices.credentials.issue('demo', '*') : null;
      fleet = await startSimulatedFleet({
        mqttUrl: runtime.ingest.brokerUrl,
        username: gateway?.username,
        password: gateway?.secret,
        devices: o.devices,
        seed: o.seed,
        clock,
        // One reading per device per simulated hour (what the feature windows are built for):
        // at ×7200 that is two per real second per device.
        intervalMs: 3_600_000,
        speed: 1,
        protocolVersion: config.mqtt.url ? config.mqtt.protocolVersion : 4,
        // A few machines start close to a failure, so a run of minutes shows predictions, tickets,
        // customer messages and visits, not only readings (DEMO_WORN_SHARE).
        wornShare: DEMO_WORN_SHARE,
        onEvent: o.onSimulatorEvent,
        onError: (err) => runtime.logger.warn({ err }, 'simulator error'),
      });
      // The simulated customers answer the e-mail they get (only with the embedded mail sink).
      if (smtp) {
        customers = new SimulatedCustomers({ mailDir: smtp.mailDir, baseUrl: runtime.httpUrl, seed: o.seed });
        customers.start();
      }
    }
  } catch (err) {
    await runtime.stop();
    await smtp?.stop();
    throw err;
  }

  const dashboardUrl = `${config.notify.publicUrl}/`;
  return {
    runtime,
    get fleet() {
      return fleet;
    },
    smtp,
    clock,
    async summary(): Promise<DemoSummary> {
      const db = runtime.db;
      const ingest = runtime.ingest.metrics.snapshot();
      const [episodes, planned, before, sent, tickets, outcomes] = await Promise.all([
        db.selectFrom('alert_episodes').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
        db.selectFrom('visits').select(sql<string>`count(*)`.as('n')).where('status', 'in', ['booked', 'done']).executeTakeFirstOrThrow(),
        // "Before the predicted failure": the visit starts before the ticket's opening time plus
        // the RUL the model gave then (operating hours; these machines run around the clock).
        db
          .selectFrom('visits')
          .innerJoin('tickets', 'tickets.id', 'visits.ticket_id')
          .select(sql<string>`count(*)`.as('n'))
          .where('visits.status', 'in', ['booked', 'done'])
          .where(sql<boolean>`tickets.rul_hours is not null and visits.starts_at < tickets.opened_at + tickets.rul_hours * interval '1 hour'`)
          .executeTakeFirstOrThrow(),
        db.selectFrom('notification_outbox').select(sql<string>`count(*)`.as('n')).where('status', '=', 'sent').executeTakeFirstOrThrow(),
        countBy(runtime, 'tickets', 'tier'),
        countBy(runtime, 'tickets', 'outcome'),
      ]);
      const sim = fleet?.stats();
      return {
        readings: ingest.readingsReceived,
        rejected: ingest.rejectedTotal,
        predictions: runtime.counters.predictions,
        insufficientData: runtime.counters.insufficient,
        episodes: Number(episodes.n),
        tickets,
        visitsPlanned: Number(planned.n),
        visitsBeforePredictedFailure: Number(before.n),
        messagesSent: Number(sent.n),
        outcomes,
        simulator: sim ? { failures: sim.failures, maintenance: sim.maintenance, repairs: sim.repairs, serviceVisits: serviceVisits.count } : null,
        customers: customers ? { ...customers.answered } : null,
        clock: new Date(clock.now()).toISOString(),
        dashboardUrl,
        mailDir: smtp?.mailDir ?? null,
      };
    },
    async stop() {
      await customers?.stop();
      await fleet?.stop();
      await runtime.stop();
      await smtp?.stop();
    },
  };
}

export type { RuntimePlugin };
