import type { ApiServices } from '../api/api-services.ts';
import type { ApiDeps } from '../api/server.ts';
import type { Config } from '../platform/config.ts';
import { lockDirectory } from '../platform/dir-lock.ts';
import { type Db, openDatabase } from '../platform/sql/database.ts';

// What both runtimes (every role: service-runtime.ts; ingest alone: ingest-runtime.ts) start the same way.

/**
 * Opens the SQL store for this process. PGlite serves one process, so its directory is locked
 * first; other commands ask this process over HTTP. `release` unlocks it after `db.destroy()`.
 */
export async function openSqlStore(config: Config): Promise<{ db: Db; release: () => void }> {
  const release = config.sql.kind === 'pglite' ? lockDirectory(config.sql.dir, 'PGlite data directory') : () => {};
  return { db: await openDatabase(config.sql), release };
}

/** What every API of a runtime is built with, whatever else it serves. */
export function coreApiDeps(config: Config, apiServices: ApiServices): Pick<ApiDeps, 'auth' | 'credentials' | 'events' | 'rateLimit' | 'mqttService'> {
  return {
    auth: apiServices.auth,
    credentials: apiServices.credentials,
    events: apiServices.events,
    rateLimit: { max: config.api.rateLimitMax, windowMs: config.api.rateLimitWindowMs },
    mqttService: config.mqtt.url ? apiServices.mqttService : undefined,
  };
}
