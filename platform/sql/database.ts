import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { PrognosError } from '../errors.ts';
import { migrateToLatest } from './migrations.ts';
import { PGlitePool } from './pglite-pool.ts';
import type { Database } from './schema.ts';
import { projectPath } from '../project-paths.ts';

export type Db = Kysely<Database>;

/**
 * PGlite's defaults size its buffers like a server's (128 MB shared buffers) inside the
 * service's own heap. prognos keeps little in SQL per request: small buffers cut ~120 MiB of RSS
 * (measured in bench/README.md).
 */
const PGLITE_CONF = ['shared_buffers=16MB', 'wal_buffers=1MB', 'work_mem=2MB', 'maintenance_work_mem=16MB'];

function initPGliteInChild(dir: string): void {
  const script = projectPath('platform', 'sql', 'pglite-init.mjs');
  const res = spawnSync(process.execPath, [script, dir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  if (res.status !== 0) throw new PrognosError('PRG_SQL_FAILED', `could not create the PGlite data directory ${dir}: ${res.stderr?.toString().slice(-500) ?? res.error?.message}`);
}

/**
 * Opens the SQL store (PostgreSQL when configured, else embedded PGlite) and migrates it.
 * The caller owns the handle and closes it with `db.destroy()`.
 */
export async function openDatabase(sqlConfig: Config['sql']): Promise<Db> {
  let dialect: PostgresDialect;
  if (sqlConfig.kind === 'postgres') {
    dialect = new PostgresDialect({ pool: new pg.Pool({ connectionString: sqlConfig.url, max: 10 }) });
  } else {
    mkdirSync(sqlConfig.dir, { recursive: true });
    if (!existsSync(join(sqlConfig.dir, 'PG_VERSION'))) initPGliteInChild(sqlConfig.dir);
    const lite = await PGlite.create(sqlConfig.dir, { postgresqlconf: PGLITE_CONF });
    dialect = new PostgresDialect({ pool: new PGlitePool(lite) });
  }
  const db = new Kysely<Database>({ dialect });
  await migrateToLatest(db);
  return db;
}
