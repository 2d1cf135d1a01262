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
 * The roles above the core, as runtime plugins: the service workflows (tickets, visits,
 * customer messages on BullMQ), the domain API routes and the assistant.
 */
export function productPlugins(_o: ProductPluginOptions): NonNullable<RuntimeOptions['plugins']> {
  return [];
}
