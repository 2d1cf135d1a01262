import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../platform/config.ts';

/**
 * The two SQL engines a store contract runs on: embedded PGlite and PostgreSQL (a fresh
 * database per run, dropped afterwards). Every store contract suite runs on these.
 */
const PG_ADMIN = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SqlEngine {
  name: string;
  open(): Promise<{ config: Config['sql']; cleanup(): Promise<void> }>;
}

export const sqlEngines: SqlEngine[] = [
  {
    name: 'PGlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'prognos-pglite-'));
      return { config: { kind: 'pglite', dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const name = `prognos_test_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client({ connectionString: PG_ADMIN });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(PG_ADMIN);
      url.pathname = `/${name}`;
      return {
        config: { kind: 'postgres', url: url.toString() },
        cleanup: async () => {
          const c = new pg.Client({ connectionString: PG_ADMIN });
          await c.connect();
          // A closed pool's backends may still be exiting; forcing them off then would deliver
          // "terminating connection" to sockets the test already let go of (an uncaught error).
          for (let i = 0; i < 50; i++) {
            const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
            if (Number(rows[0]?.n) === 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  },
];
