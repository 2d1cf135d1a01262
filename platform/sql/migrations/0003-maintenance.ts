import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The fleet registry (tenants, customers, sites, devices, technicians) and the maintenance
 * tickets with their append-only audit trail and the technicians' close-outs (retraining labels).
 * Every row has a text `id` primary key and a `tenant` column; other issues reference
 * `devices`, `customers`, `technicians` and `tickets` by these names.
 */
export const maintenanceMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable('customers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('contact_email', 'text')
      .addColumn('phone', 'text')
      .addColumn('preferred_channel', 'text', (c) => c.notNull().check(sql`preferred_channel in ('email', 'webhook', 'mqtt')`))
      .addColumn('webhook_url', 'text')
      .addColumn('language', 'text', (c) => c.notNull().check(sql`language in ('en', 'zh-CN')`))
      .addColumn('plain_language', 'boolean', (c) => c.notNull().defaultTo(false))
      // local wall-clock 'HH:MM' in `timezone`; a window that wraps midnight has start > end
      .addColumn('quiet_start', 'text')
      .addColumn('quiet_end', 'text')
      .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
      // [{ day: 0..6 (0 = Sunday), start: 'HH:MM', end: 'HH:MM' }] in `timezone`
      .addColumn('availability', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('needs_human', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('opted_out', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('customers_tenant_idx').on('customers').columns(['tenant', 'id']).execute();
    await db.schema
      .createTable('sites')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('lat', 'double precision', (c) => c.notNull())
      .addColumn('lon', 'double precision', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema.createIndex('sites_tenant_idx').on('sites').columns(['tenant', 'id']).execute();
    await db.schema
      .createTable('devices')
      // the device id devices use on MQTT; unique across tenants in the registry
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('equipment_type', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('installed_at', 'timestamptz', (c) => c.notNull())
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('site_id', 'text', (c) => c.notNull().references('sites.id'))
      .addColumn('criticality', 'text', (c) => c.notNull().check(sql`criticality in ('low', 'medium', 'high', 'critical')`))
      .execute();
    await db.schema.createIndex('devices_tenant_idx').on('devices').columns(['tenant', 'id']).execute();
    await db.schema.createIndex('devices_customer_idx').on('devices').columns(['customer_id']).execute();
    await db.schema
      .createTable('technicians')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      // failure mode ids the technician may repair, e.g. ["bearing_wear", "seal_wear"]
      .addColumn('skills', 'jsonb', (c) => c.notNull())
      .addColumn('home_lat', 'double precision', (c) => c.notNull())
      .addColumn('home_lon', 'double precision', (c) => c.notNull())
      // { mon: [{ start: 'HH:MM', end: 'HH:MM' }], tue: [...], ... } in `timezone`
      .addColumn('working_hours', 'jsonb', (c) => c.notNull())
      .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('UTC'))
      .execute();
    await db.schema.createIndex('technicians_tenant_idx').on('technicians').columns(['tenant', 'id']).execute();

    await db.schema
      .createTable('tickets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
      .addColumn('mode', 'text', (c) => c.notNull())
      // one ticket per alert episode: concurrent workers cannot open two
      .addColumn('episode_id', 'text', (c) => c.unique())
      .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('low', 'medium', 'high', 'critical')`))
      .addColumn('risk', 'double precision', (c) => c.notNull())
      .addColumn('rul_hours', 'double precision')
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'triaged', 'visit_proposed', 'scheduled', 'in_progress', 'closed')`))
      .addColumn('outcome', 'text', (c) =>
        c.check(sql`outcome in ('resolved_verified', 'no_fault_found', 'false_alarm', 'customer_unreachable', 'abandoned', 'repeat_within_14d')`),
      )
      .addColumn('tier', 'text', (c) => c.notNull().check(sql`tier in ('ai', 'assisted', 'human')`))
      .addColumn('tier_reason', 'text', (c) => c.notNull())
      .addColumn('repeat_of', 'text', (c) => c.references('tickets.id'))
      .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('responded_at', 'timestamptz')
      .addColumn('visit_completed_at', 'timestamptz')
      .addColumn('closed_at', 'timestamptz')
      // SLA clock: paused time is added to the due times
      .addColumn('sla_paused_at', 'timestamptz')
      .addColumn('sla_paused_ms', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('sla_response_breached_at', 'timestamptz')
      .addColumn('sla_resolution_breached_at', 'timestamptz')
      .addCheckConstraint('tickets_closed_has_outcome', sql`(state = 'closed') = (outcome is not null)`)
      .execute();
    await db.schema.createIndex('tickets_tenant_state_idx').on('tickets').columns(['tenant', 'state']).execute();
    await db.schema.createIndex('tickets_device_mode_idx').on('tickets').columns(['device_id', 'mode', 'closed_at']).execute();

    await db.schema
      .createTable('ticket_audit')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id'))
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('from_state', 'text')
      .addColumn('to_state', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .execute();
    await db.schema.createIndex('ticket_audit_ticket_idx').on('ticket_audit').columns(['ticket_id', 'id']).execute();
    // Append-only: the database itself refuses to change or delete history.
    await sql`create function ticket_audit_append_only() returns trigger language plpgsql as $$
      begin raise exception 'ticket_audit is append-only'; end $$`.execute(db);
    await sql`create trigger ticket_audit_no_change before update or delete on ticket_audit
      for each row execute function ticket_audit_append_only()`.execute(db);

    await db.schema
      .createTable('ticket_close_outs')
      .addColumn('ticket_id', 'text', (c) => c.primaryKey().references('tickets.id'))
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull())
      // the mode the ticket was opened for
      .addColumn('predicted_mode', 'text', (c) => c.notNull())
      // the mode the technician found (null: no fault found)
      .addColumn('confirmed_mode', 'text')
      .addColumn('parts', 'jsonb', (c) => c.notNull())
      .addColumn('findings', 'text', (c) => c.notNull())
      .addColumn('technician_id', 'text', (c) => c.references('technicians.id'))
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull())
      .execute();
    // What the models side reads for retraining: one row per close-out, the predicted mode
    // confirmed or not, and any other mode the technician found.
    await db.schema
      .createView('retraining_labels')
      .as(
        db
          .selectFrom('ticket_close_outs')
          .select([
            'tenant',
            'device_id',
            'predicted_mode as mode',
            sql<boolean>`confirmed_mode is not distinct from predicted_mode`.as('confirmed'),
            'confirmed_mode',
            'at',
            'ticket_id',
          ]),
      )
      .execute();
  },
};
