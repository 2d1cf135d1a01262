import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AuthService } from '../../api/auth/auth-service.ts';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { LiveEvents } from '../../api/live-events.ts';
import { type ApiRateLimit, buildApi } from '../../api/server.ts';
import { IngestService } from '../../ingest/ingest-service.ts';
import { ManualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { createLogger } from '../../platform/logger.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';

/**
 * A built (never listening) API over a fresh PGlite store, an ingest service that is not
 * started (its stores and liveness are real), and users of two tenants:
 *
 *   admin                      admin
 *   eng-acme / eng-globex      engineers of acme / globex
 *   cust-acme-1 / cust-acme-2  customers of acme (customer ids c1 / c2)
 *   cust-globex-1              customer of globex (c1: the same id in another tenant)
 */
export const PASSWORD = 'correct horse battery';
export const USERS = ['admin', 'eng-acme', 'eng-globex', 'cust-acme-1', 'cust-acme-2', 'cust-globex-1'] as const;
export type UserName = (typeof USERS)[number];

export interface ApiFixture {
  app: FastifyInstance;
  db: Db;
  clock: ManualClock;
  auth: AuthService;
  credentials: DeviceCredentialStore;
  events: LiveEvents;
  ingest: IngestService;
  tokens: Record<UserName, string>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  rateLimit?: ApiRateLimit;
  routes?: FastifyPluginAsyncZod[];
  /** Build the app only (no users, no tokens). */
  noUsers?: boolean;
}

export async function apiFixture(o: FixtureOptions = {}): Promise<ApiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-api-'));
  const config = loadConfig({ PROGNOS_DATA_DIR: dir, LOG_LEVEL: 'silent' });
  const db = await openDatabase(config.sql);
  const clock = new ManualClock(Date.parse('2026-03-01T08:00:00Z'));
  const auth = new AuthService({ db, clock, tokenTtlMs: 3600_000 });
  const credentials = new DeviceCredentialStore(db, clock);
  const events = new LiveEvents(() => clock.now());
  const ingest = new IngestService({ config, db, clock, logger: createLogger(config) });
  const tokens = {} as Record<UserName, string>;
  if (!o.noUsers) {
    const users = [
      { id: 'admin', role: 'admin', tenant: null, customerId: null },
      { id: 'eng-acme', role: 'engineer', tenant: 'acme', customerId: null },
      { id: 'eng-globex', role: 'engineer', tenant: 'globex', customerId: null },
      { id: 'cust-acme-1', role: 'customer', tenant: 'acme', customerId: 'c1' },
      { id: 'cust-acme-2', role: 'customer', tenant: 'acme', customerId: 'c2' },
      { id: 'cust-globex-1', role: 'customer', tenant: 'globex', customerId: 'c1' },
    ] as const;
    for (const u of users) await auth.createUser({ ...u, displayName: u.id, password: PASSWORD });
    for (const u of users) tokens[u.id] = await auth.issueToken(u.id);
  }
  const app = buildApi({ ingest, auth, credentials, events, rateLimit: o.rateLimit, routes: o.routes });
  return {
    app,
    db,
    clock,
    auth,
    credentials,
    events,
    ingest,
    tokens,
    async close() {
      await app.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
