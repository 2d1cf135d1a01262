import { type Kysely, type Migration, sql } from 'kysely';

/** Ingest's tables: dead letters, data-quality events, per-device liveness. */
export const ingestMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('dead_letters')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('topic', 'text', (c) => c.notNull())
      .addColumn('tenant', 'text')
      .addColumn('device', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('payload_excerpt', 'text', (c) => c.notNull())
      .addColumn('payload_bytes', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dead_letters_reason_idx').on('dead_letters').columns(['reason', 'id']).execute();
    await db.schema
      .createTable('data_quality_events')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('detail', 'jsonb', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dq_device_idx').on('data_quality_events').columns(['tenant', 'device', 'id']).execute();
    await db.schema
      .createTable('device_liveness')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'timestamptz', (c) => c.notNull())
      .addColumn('last_reading_ts', 'timestamptz', (c) => c.notNull())
      .addColumn('interval_ms', 'double precision')
      .addColumn('last_seq', 'bigint')
      .addColumn('in_gap', 'boolean', (c) => c.notNull().defaultTo(false))
      .addPrimaryKeyConstraint('device_liveness_pk', ['tenant', 'device'])
      .execute();
  },
};
