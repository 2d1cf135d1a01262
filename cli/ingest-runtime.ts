import type { FastifyInstance } from 'fastify';
import { startApiServices } from '../api/api-services.ts';
import { buildApi } from '../api/server.ts';
import { IngestService } from '../ingest/ingest-service.ts';
import { systemClock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import type { Db } from '../platform/sql/database.ts';
import { coreApiDeps, openSqlStore } from './runtime-parts.ts';

export interface IngestRuntime {
  config: Config;
  logger: Logger;
  db: Db;
  ingest: IngestService;
  api: FastifyInstance;
  httpUrl: string;
  stop(): Promise<void>;
}

/**
 * The ingest role alone (`prognos ingest --no-scoring`): MQTT → validation → InfluxDB, with the
 * HTTP API for /metrics, /api/v1/status and /api/v1/rejects. It imports none of scoring, alerts,
 * job queues or the domain roles, so a process that only ingests does not carry their memory
 * (bench/README.md); `startServiceRuntime` is every role in one process.
 */
export async function startIngestRuntime(config: Config): Promise<IngestRuntime> {
  const logger = createLogger(config);
  const clock = systemClock;
  const { db, release: releaseSql } = await openSqlStore(config);
  const apiServices = await startApiServices({ config, db, clock });
  const ingest = new IngestService({ config, db, clock, logger, brokerAuth: apiServices.brokerAuth });
  await ingest.start();
  const api = buildApi({ ingest, status: () => ({ roles: ['ingest'] }), ...coreApiDeps(config, apiServices), routes: [] });
  const httpUrl = await api.listen({ host: config.http.host, port: config.http.port });
  let stopped = false;
  return {
    config,
    logger,
    db,
    ingest,
    api,
    httpUrl,
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
