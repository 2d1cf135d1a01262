import type { Clock } from './clock.ts';
import type { InfluxHttp } from './influx/influx-http.ts';
import type { Logger } from './logger.ts';
import type { JobQueues } from './queue/job-queues.ts';
import type { Db } from './sql/database.ts';

/** An announcement for dashboards and portals (api/live-events.ts delivers it over SSE). */
export interface LiveEventSink {
  publish(e: { type: string; tenant: string; customerId?: string | null; data: Record<string, unknown> }): unknown;
}

/**
 * What use-cases get handed at boot: the connections the runtime owns. Use-case functions take
 * `(deps, caller, input)`; routes, workers and assistant tools build nothing themselves.
 */
export interface DomainDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  /** History (telemetry, predictions) on the v1-compatible API. */
  readonly influx: InfluxHttp;
  readonly jobs: JobQueues;
  readonly events: LiveEventSink;
}
