import { type Kysely, type Migration, sql } from 'kysely';

/** Models' tables: registered bundle versions (one active per equipment type) and saved feature windows. */
export const modelsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('model_versions')
      .addColumn('equipment_type', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('dir', 'text', (c) => c.notNull())
      .addColumn('card_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('candidate', 'active', 'retired')`))
      .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
      .addColumn('activated_at', 'timestamptz')
      .addColumn('activated_by', 'text')
      .addPrimaryKeyConstraint('model_versions_pk', ['equipment_type', 'version'])
      .execute();
    // At most one active version per equipment type, enforced by the store itself.
    await sql`create unique index model_versions_one_active on model_versions (equipment_type) where status = 'active'`.execute(db);
    await db.schema
      .createTable('feature_state')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('equipment_type', 'text', (c) => c.notNull())
      .addColumn('state', 'jsonb', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('feature_state_pk', ['tenant', 'device'])
      .execute();
  },
};
