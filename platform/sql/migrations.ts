import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { PrognosError } from '../errors.ts';
import { ingestMigration } from './migrations/0001-ingest.ts';
import { modelsMigration } from './migrations/0002-models.ts';
import { maintenanceMigration } from './migrations/0003-maintenance.ts';
import { alertsMigration } from './migrations/0004-alerts.ts';
import { notificationsMigration } from './migrations/0005-notifications.ts';
import { authMigration } from './migrations/0006-auth.ts';
import { assistantMigration } from './migrations/0007-assistant.ts';
import { workflowsMigration } from './migrations/0008-workflows.ts';

/**
 * Migrations live in code, one file each under migrations/, applied in key order, and are
 * never edited once shipped: add a new one (a new file and one line here).
 */
const migrations: Record<string, Migration> = {
  '0001_ingest': ingestMigration,
  '0002_models': modelsMigration,
  '0003_maintenance': maintenanceMigration,
  '0004_alerts': alertsMigration,
  '0005_notifications': notificationsMigration,
  '0006_auth': authMigration,
  '0007_assistant': assistantMigration,
  '0008_workflows': workflowsMigration,
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
