import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { migrateToLatest } from './migrations.ts';
import { PGlitePool } from './pglite-pool.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

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
    const lite = await PGlite.create(sqlConfig.dir);
    dialect = new PostgresDialect({ pool: new PGlitePool(lite) });
  }
  const db = new Kysely<Database>({ dialect });
  await migrateToLatest(db);
  return db;
}
