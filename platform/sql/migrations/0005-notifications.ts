import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The notification outbox: every customer message is a row first and is sent from the row, so
 * a crash between "decide to notify" and "sent" neither loses nor doubles it. `dedupe_key`
 * is unique: enqueueing the same message again (a retried job) is a no-op.
 */
export const notificationsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('notification_outbox')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('ticket_id', 'text')
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_until', 'timestamptz')
      .addColumn('sent_at', 'timestamptz')
      .addColumn('error', 'text')
      .addColumn('reason', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addCheckConstraint('notification_outbox_status_ck', sql`status in ('pending', 'sending', 'sent', 'failed', 'suppressed')`)
      .addCheckConstraint('notification_outbox_kind_ck', sql`kind in ('proactive', 'reminder', 'escalation', 'confirmation')`)
      .execute();
    await db.schema.createIndex('notification_outbox_due_idx').on('notification_outbox').columns(['status', 'next_attempt_at']).execute();
    await db.schema
      .createIndex('notification_outbox_customer_idx')
      .on('notification_outbox')
      .columns(['tenant', 'customer_id', 'kind', 'sent_at'])
      .execute();
  },
};
