import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Alert episodes and their history, the policy's per-key state, maintenance windows, and visits.
 * Registry rows (devices, technicians, tickets) are referenced by id only, without foreign keys,
 * so this migration does not depend on the registry's.
 */
export const alertsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('alert_episodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
      .addColumn('cleared_at', 'timestamptz')
      .addColumn('peak_risk', 'double precision', (c) => c.notNull())
      .addColumn('last_risk', 'double precision', (c) => c.notNull())
      .addColumn('rul_lower_hours', 'double precision')
      .addColumn('last_prediction_at', 'timestamptz', (c) => c.notNull())
      .addColumn('evidence', 'jsonb', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addCheckConstraint('alert_episodes_state_chk', sql`state in ('open', 'flapping', 'ticketed', 'cleared', 'resolved')`)
      .execute();
    // The guarantee behind "one episode per (device, failure mode)": concurrent workers can race,
    // the database lets exactly one open row exist.
    await sql`CREATE UNIQUE INDEX alert_episodes_one_open ON alert_episodes (tenant, device, mode) WHERE cleared_at IS NULL`.execute(db);
    await db.schema.createIndex('alert_episodes_tenant_idx').on('alert_episodes').columns(['tenant', 'opened_at']).execute();

    await db.schema
      .createTable('alert_events')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('episode_id', 'text')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addColumn('severity', 'text')
      .addColumn('risk', 'double precision')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('detail', 'jsonb', (c) => c.notNull())
      // One event per (key, prediction time, kind): re-applying a prediction appends nothing.
      .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('alert_events_episode_idx').on('alert_events').columns(['episode_id', 'id']).execute();
    await db.schema.createIndex('alert_events_key_idx').on('alert_events').columns(['tenant', 'device', 'mode', 'id']).execute();

    await db.schema
      .createTable('alert_policy_state')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('state', 'jsonb', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('alert_policy_state_pk', ['tenant', 'device', 'mode'])
      .execute();

    await db.schema
      .createTable('maintenance_windows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
      .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addCheckConstraint('maintenance_windows_span_chk', sql`ends_at > starts_at`)
      .execute();
    await db.schema.createIndex('maintenance_windows_device_idx').on('maintenance_windows').columns(['tenant', 'device', 'starts_at']).execute();

    await db.schema
      .createTable('visits')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('technician_id', 'text', (c) => c.notNull())
      .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
      .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addCheckConstraint('visits_status_chk', sql`status in ('proposed', 'booked', 'cancelled', 'done')`)
      .addCheckConstraint('visits_span_chk', sql`ends_at > starts_at`)
      .execute();
    await db.schema.createIndex('visits_technician_idx').on('visits').columns(['tenant', 'technician_id', 'starts_at']).execute();
    await db.schema.createIndex('visits_ticket_idx').on('visits').columns(['tenant', 'ticket_id']).execute();
    // Bookings for one technician serialize on this row (SELECT … FOR UPDATE), then check overlap:
    // works on PGlite too, which has no btree_gist for an exclusion constraint.
    await db.schema
      .createTable('visit_booking_locks')
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('technician_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('visit_booking_locks_pk', ['tenant', 'technician_id'])
      .execute();
  },
};
