import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The assistant's memory and audit trail: conversations, their messages, every tool call (its
 * arguments and result) and every proposal of a change waiting for the user's confirmation.
 */
export const assistantMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('conversations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('caller', 'jsonb', (c) => c.notNull())
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('conversations_owner_idx').on('conversations').columns(['owner', 'updated_at']).execute();
    await db.schema
      .createTable('conversation_messages')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('tool_calls', 'jsonb')
      .addColumn('tool_call_id', 'text')
      .addColumn('sources', 'jsonb')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('conversation_messages_conv_idx').on('conversation_messages').columns(['conversation_id', 'id']).execute();
    await db.schema
      .createTable('assistant_tool_calls')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // Call order within a conversation (several calls can share a timestamp).
      .addColumn('seq', 'bigserial', (c) => c.notNull())
      .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
      .addColumn('model_call_id', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('arguments', 'jsonb', (c) => c.notNull())
      .addColumn('ok', 'boolean', (c) => c.notNull())
      .addColumn('result', 'jsonb', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('assistant_tool_calls_conv_idx').on('assistant_tool_calls').columns(['conversation_id', 'seq']).execute();
    await db.schema
      .createTable('assistant_proposals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigserial', (c) => c.notNull())
      .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
      .addColumn('tool_call_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('arguments', 'jsonb', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('result', 'jsonb')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('decided_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('assistant_proposals_conv_idx').on('assistant_proposals').columns(['conversation_id', 'status']).execute();
  },
};
