import { randomUUID } from 'node:crypto';
import { type Caller, callerLabel } from '../platform/caller.ts';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Db } from '../platform/sql/database.ts';
import type { Language } from './assistant-ports.ts';

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls: ModelToolCall[] | null;
  toolCallId: string | null;
  sources: string[] | null;
  at: number;
}

/** A tool call as the model made it (OpenAI wire shape, kept for replaying the history). */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ToolCallRecord {
  id: string;
  modelCallId: string | null;
  actor: string;
  name: string;
  arguments: unknown;
  ok: boolean;
  result: unknown;
  durationMs: number;
  at: number;
}

export interface Proposal {
  id: string;
  toolCallId: string;
  action: string;
  arguments: Record<string, unknown>;
  summary: string;
  status: 'pending' | 'executed' | 'declined' | 'superseded' | 'failed';
  result: unknown;
}

export interface Conversation {
  id: string;
  tenant: string;
  owner: string;
  language: Language;
}

const tenantOf = (c: Caller): string => (c.kind === 'admin' ? '*' : c.tenant);

/**
 * The assistant's SQL memory and audit trail (migration 0007). A conversation belongs to the
 * caller who started it: anyone else asking for it gets PRG_NOT_FOUND.
 */
export class ConversationStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async open(caller: Caller, id: string | undefined, language: Language): Promise<Conversation> {
    const owner = callerLabel(caller);
    if (id) {
      const row = await this.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.owner !== owner) throw new PrognosError('PRG_NOT_FOUND', `conversation ${id}`);
      return { id: row.id, tenant: row.tenant, owner: row.owner, language: row.language as Language };
    }
    const now = new Date(this.clock.now());
    const conv: Conversation = { id: randomUUID(), tenant: tenantOf(caller), owner, language };
    await this.db
      .insertInto('conversations')
      .values({ id: conv.id, tenant: conv.tenant, owner, caller: JSON.stringify(caller), language, created_at: now, updated_at: now })
      .execute();
    return conv;
  }

  async setLanguage(conversationId: string, language: Language): Promise<void> {
    await this.db.updateTable('conversations').set({ language, updated_at: new Date(this.clock.now()) }).where('id', '=', conversationId).execute();
  }

  async appendMessage(conversationId: string, m: Omit<StoredMessage, 'id' | 'at'>): Promise<void> {
    await this.db
      .insertInto('conversation_messages')
      .values({
        conversation_id: conversationId,
        role: m.role,
        content: m.content,
        tool_calls: m.toolCalls ? JSON.stringify(m.toolCalls) : null,
        tool_call_id: m.toolCallId,
        sources: m.sources ? JSON.stringify(m.sources) : null,
        created_at: new Date(this.clock.now()),
      })
      .execute();
  }

  async messages(conversationId: string): Promise<StoredMessage[]> {
    const rows = await this.db.selectFrom('conversation_messages').selectAll().where('conversation_id', '=', conversationId).orderBy('id').execute();
    return rows.map((r) => ({
      id: String(r.id),
      role: r.role as StoredMessage['role'],
      content: r.content,
      toolCalls: (r.tool_calls as ModelToolCall[] | null) ?? null,
      toolCallId: r.tool_call_id,
      sources: r.sources ?? null,
      at: new Date(r.created_at).getTime(),
    }));
  }

  async recordToolCall(conversationId: string, rec: Omit<ToolCallRecord, 'at'>): Promise<void> {
    await this.db
      .insertInto('assistant_tool_calls')
      .values({
        id: rec.id,
        conversation_id: conversationId,
        model_call_id: rec.modelCallId,
        actor: rec.actor,
        name: rec.name,
        arguments: JSON.stringify(rec.arguments ?? null),
        ok: rec.ok,
        result: JSON.stringify(rec.result ?? null),
        duration_ms: Math.round(rec.durationMs),
        created_at: new Date(this.clock.now()),
      })
      .execute();
  }

  async toolCalls(conversationId: string): Promise<ToolCallRecord[]> {
    const rows = await this.db.selectFrom('assistant_tool_calls').selectAll().where('conversation_id', '=', conversationId).orderBy('seq').execute();
    return rows.map((r) => ({
      id: r.id,
      modelCallId: r.model_call_id,
      actor: r.actor,
      name: r.name,
      arguments: r.arguments,
      ok: r.ok,
      result: r.result,
      durationMs: r.duration_ms,
      at: new Date(r.created_at).getTime(),
    }));
  }

  async createProposal(conversationId: string, p: Omit<Proposal, 'id' | 'status' | 'result'>): Promise<Proposal> {
    const proposal: Proposal = { ...p, id: randomUUID(), status: 'pending', result: null };
    await this.db
      .insertInto('assistant_proposals')
      .values({
        id: proposal.id,
        conversation_id: conversationId,
        tool_call_id: p.toolCallId,
        action: p.action,
        arguments: JSON.stringify(p.arguments),
        summary: p.summary,
        status: 'pending',
        result: null,
        created_at: new Date(this.clock.now()),
      })
      .execute();
    return proposal;
  }

  async pendingProposals(conversationId: string): Promise<Proposal[]> {
    const rows = await this.db
      .selectFrom('assistant_proposals')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('status', '=', 'pending')
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      toolCallId: r.tool_call_id,
      action: r.action,
      arguments: r.arguments,
      summary: r.summary,
      status: 'pending',
      result: r.result,
    }));
  }

  async decideProposal(id: string, status: Exclude<Proposal['status'], 'pending'>, result: unknown = null): Promise<void> {
    await this.db
      .updateTable('assistant_proposals')
      .set({ status, result: result === null ? null : JSON.stringify(result), decided_at: new Date(this.clock.now()) })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }
}
