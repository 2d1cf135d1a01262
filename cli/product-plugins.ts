import { deviceRoutes } from '../api/routes/device-routes.ts';
import { fleetRoutes } from '../api/routes/fleet-routes.ts';
import { metricsRoutes } from '../api/routes/metrics-routes.ts';
import { modelRoutes } from '../api/routes/model-routes.ts';
import { ticketRoutes } from '../api/routes/ticket-routes.ts';
import { visitRoutes } from '../api/routes/visit-routes.ts';
import { webStatic } from '../api/web-static.ts';
import { CustomerLinks } from '../alerts/notify/customer-links.ts';
import { EmailChannel } from '../alerts/notify/email-channel.ts';
import { MqttDownlinkChannel } from '../alerts/notify/mqtt-downlink-channel.ts';
import { NotificationOutbox } from '../alerts/notify/outbox.ts';
import { WebhookChannel } from '../alerts/notify/webhook-channel.ts';
import { assistantRoutes } from '../api/routes/assistant.ts';
import { portalRoutes } from '../api/routes/portal-routes.ts';
import { Assistant } from '../assistant/assistant.ts';
import { createDomainPorts } from '../assistant/domain-ports.ts';
import { KnowledgeBase } from '../assistant/knowledge-base.ts';
import { createLlmClient } from '../assistant/llm-client.ts';
import type { Config } from '../platform/config.ts';
import { loadOrCreateSecret } from '../platform/secret-file.ts';
import { SlaWatch } from '../workflows/sla-watch.ts';
import type { VisitExecutor } from '../workflows/workflow-context.ts';
import { WorkflowEngine } from '../workflows/workflow-engine.ts';
import type { RuntimeOptions } from './service-runtime.ts';

export interface ProductPluginOptions {
  readonly config: Config;
  /** Where customer e-mail goes (SMTP_URL, or the embedded sink). */
  readonly smtpUrl: string;
  /** Where the service's own MQTT clients connect (the downlink), with their credential. */
  readonly mqtt: () => { url: string; username?: string; password?: string };
  /** Performs a booked visit when it starts (the simulator's technician in the demo). */
  readonly visitExecutor?: VisitExecutor;
}

/**
 * The roles above the core, as runtime plugins: the domain API routes and the dashboard, the
 * service workflows (tickets, visits, customer messages on BullMQ) and the assistant.
 */
export function productPlugins(o: ProductPluginOptions): NonNullable<RuntimeOptions['plugins']> {
  const { config } = o;
  return [
    (d) => {
      const links = new CustomerLinks({
        secret: config.notify.linkSecret ?? loadOrCreateSecret(config.dataDir, 'link-secret'),
        // The customer portal page of the dashboard reads the token after `#/link/`.
        baseUrl: `${config.notify.publicUrl}/#/link`,
        clock: d.clock,
      });
      // Constructed now (no I/O) so episode decisions reach the workflow outbox from the first
      // prediction on; started after ingest, when the embedded broker the downlink uses is up.
      const engine = new WorkflowEngine({
        deps: d,
        notify: {
          links,
          outbox: new NotificationOutbox(d.db, d.clock),
          channels: {
            email: new EmailChannel({ smtpUrl: o.smtpUrl, from: config.notify.smtpFrom }),
            webhook: new WebhookChannel({ secret: config.notify.webhookSecret ?? loadOrCreateSecret(config.dataDir, 'webhook-secret'), clock: d.clock }),
            mqtt: new MqttDownlinkChannel({
              get url() {
                return o.mqtt().url;
              },
              get username() {
                return o.mqtt().username;
              },
              get password() {
                return o.mqtt().password;
              },
              clock: d.clock,
            }),
          },
        },
        visitExecutor: o.visitExecutor,
        options: {
          escalationHours: [config.notify.escalateAfterHours, config.notify.escalateAfterHours, 2 * config.notify.escalateAfterHours],
        },
      });
      const sla = new SlaWatch(d);
      return {
        name: 'workflows',
        onDecisions: (trx, applied) => engine.onDecisions(trx, applied),
        onPrediction: (p) => engine.onPrediction(p),
        routes: [portalRoutes(d, { links, engine })],
        async start() {
          await engine.start();
          sla.start();
        },
        async stop() {
          await sla.stop();
          await engine.stop();
        },
        status: () => ({ slaBreaches: sla.breaches }),
      };
    },
    (d) => {
      const llm = createLlmClient({ baseURL: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model });
      const assistant = new Assistant({ db: d.db, ports: createDomainPorts(d), knowledge: KnowledgeBase.load(), clock: d.clock, llm, logger: d.logger });
      return {
        name: 'assistant',
        status: () => ({ mode: llm ? 'llm' : 'offline' }),
        routes: [
          async (app) =>
            assistantRoutes(app, {
              assistant,
              // An admin may ask as a named user (`prognos ask --as`): that user's own caller.
              resolveAs: async (kind, userId) => {
                const u = await d.apiServices.auth.users.find(userId);
                if (!u || u.role !== kind || !u.tenant) return undefined;
                if (kind === 'engineer') return { kind, userId: u.id, tenant: u.tenant };
                return u.customerId ? { kind: 'customer', userId: u.id, tenant: u.tenant, customerId: u.customerId } : undefined;
              },
            }),
        ],
      };
    },
    (d) => ({
      name: 'domain-api',
      routes: [fleetRoutes(d), deviceRoutes(d), ticketRoutes(d), visitRoutes(d), metricsRoutes(d), modelRoutes(d, { drift: d.drift }), async (app) => webStatic(app)],
    }),
  ];
}
