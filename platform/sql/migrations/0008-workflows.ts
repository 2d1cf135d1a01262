import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The workflow's transactional outbox and per-ticket workflow state.
 *
 * `workflow_outbox`: a job is a row first, written in the same transaction as the change that
 * calls for it (an episode raised, a visit booked); a relay adds it to BullMQ under its
 * idempotent job id and marks it relayed. A crash between the SQL commit and the Redis add loses
 * nothing (the row is still unrelayed), a repeat adds nothing (same job id; the primary key).
 *
 * `workflow_tickets`: the planning round a ticket is in (stale plan/escalation jobs of an older
 * round do nothing), the slots offered in that round, and an engineer's pending proposal.
 */
export const workflowsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('workflow_outbox')
      .addColumn('job_id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('run_at', 'timestamptz')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('relayed_at', 'timestamptz')
      .execute();
    await sql`CREATE INDEX workflow_outbox_pending_idx ON workflow_outbox (created_at) WHERE relayed_at IS NULL`.execute(db);

    await db.schema
      .createTable('workflow_tickets')
      .addColumn('ticket_id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('round', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('offer', 'jsonb', (c) => c.notNull())
      .addColumn('handoff_reason', 'text')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
};
