import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { PrognosError } from '../errors.ts';
import { ingestMigration } from './migrations/0001-ingest.ts';

/**
 * Migrations live in code, one file each under migrations/, applied in key order, and are
 * never edited once shipped: add a new one (a new file and one line here).
 */
const migrations: Record<string, Migration> = {
  '0001_ingest': ingestMigration,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new PrognosError('PRG_SQL_FAILED', `migration ${failed} failed`, { cause: error });
  }
}
