import { deviceRoutes } from '../api/routes/device-routes.ts';
import { fleetRoutes } from '../api/routes/fleet-routes.ts';
import { metricsRoutes } from '../api/routes/metrics-routes.ts';
import { modelRoutes } from '../api/routes/model-routes.ts';
import { ticketRoutes } from '../api/routes/ticket-routes.ts';
import { visitRoutes } from '../api/routes/visit-routes.ts';
import { webStatic } from '../api/web-static.ts';
import type { Config } from '../platform/config.ts';
import type { RuntimeOptions } from './service-runtime.ts';

export interface ProductPluginOptions {
  readonly config: Config;
  /** Where customer e-mail goes (SMTP_URL, or the embedded sink). */
  readonly smtpUrl: string;
  /** Performs a booked visit when it starts (the simulator's technician in the demo). */
  readonly visitExecutor?: (v: { tenant: string; device: string; modes: string[]; visitId: string }) => void | Promise<void>;
}

/**
 * The roles above the core, as runtime plugins: the domain API routes and the dashboard, the
 * service workflows (tickets, visits, customer messages on BullMQ) and the assistant.
 */
export function productPlugins(_o: ProductPluginOptions): NonNullable<RuntimeOptions['plugins']> {
  return [
    (d) => ({
      name: 'domain-api',
      routes: [fleetRoutes(d), deviceRoutes(d), ticketRoutes(d), visitRoutes(d), metricsRoutes(d), modelRoutes(d, { drift: d.drift }), async (app) => webStatic(app)],
    }),
  ];
}
