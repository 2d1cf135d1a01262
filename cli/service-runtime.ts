import type { FastifyInstance } from 'fastify';
import { type ApiServices, startApiServices } from '../api/api-services.ts';
import { buildApi } from '../api/server.ts';
import { IngestService } from '../ingest/ingest-service.ts';
import { systemClock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import { lockDirectory } from '../platform/dir-lock.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { type Db, openDatabase } from '../platform/sql/database.ts';

export interface ServiceRuntime {
  config: Config;
  logger: Logger;
  db: Db;
  ingest: IngestService;
  api: FastifyInstance;
  apiServices: ApiServices;
  httpUrl: string;
  stop(): Promise<void>;
}

/**
 * Boots the long-running roles over one SQL handle: ingest (with the embedded broker when no
 * MQTT_URL is set) and the HTTP API. Stops in reverse order.
 */
export async function startServiceRuntime(config: Config, extraStatus?: () => Record<string, unknown>): Promise<ServiceRuntime> {
  const logger = createLogger(config);
  // PGlite serves one process: other commands ask this one over HTTP.
  const releaseSql = config.sql.kind === 'pglite' ? lockDirectory(config.sql.dir, 'PGlite data directory') : () => {};
  const db = await openDatabase(config.sql);
  const apiServices = await startApiServices({ config, db, clock: systemClock });
  const ingest = new IngestService({ config, db, clock: systemClock, logger, brokerAuth: apiServices.brokerAuth });
  await ingest.start();
  const api = buildApi({
    ingest,
    status: extraStatus,
    auth: apiServices.auth,
    credentials: apiServices.credentials,
    events: apiServices.events,
    rateLimit: { max: config.api.rateLimitMax, windowMs: config.api.rateLimitWindowMs },
    mqttService: config.mqtt.url ? apiServices.mqttService : undefined,
  });
  const address = await api.listen({ host: config.http.host, port: config.http.port });
  let stopped = false;
  return {
    config,
    logger,
    db,
    ingest,
    api,
    apiServices,
    httpUrl: address,
    async stop() {
      if (stopped) return;
      stopped = true;
      await api.close();
      await ingest.stop();
      await db.destroy();
      releaseSql();
    },
  };
}

/** Runs until SIGINT/SIGTERM, then stops gracefully (a second signal exits at once). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.once(sig, () => process.exit(130));
      resolve(sig);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
