import { sql } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/sql/database.ts';
import type { NotificationKind } from './notification-channel.ts';
import type { ChannelName } from './recipient.ts';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';

export interface NewNotification {
  readonly tenant: string;
  readonly customerId: string;
  readonly ticketId: string | null;
  readonly channel: ChannelName;
  readonly kind: NotificationKind;
  /** Same key, same message: a retried job that enqueues again changes nothing. */
  readonly dedupeKey: string;
  readonly payload: Record<string, unknown>;
  /** Not before this instant (epoch ms), e.g. a reminder 24 h before the visit. Default now. */
  readonly notBefore?: number;
}

export interface OutboxMessage {
  readonly id: string;
  readonly tenant: string;
  readonly customerId: string;
  readonly ticketId: string | null;
  readonly channel: ChannelName;
  readonly kind: NotificationKind;
  readonly dedupeKey: string;
  readonly payload: Record<string, unknown>;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly sentAt: number | null;
  readonly error: string | null;
  readonly reason: string | null;
  readonly createdAt: number;
}

type Row = {
  id: string;
  tenant: string;
  customer_id: string;
  ticket_id: string | null;
  channel: string;
  kind: string;
  dedupe_key: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  sent_at: Date | null;
  error: string | null;
  reason: string | null;
  created_at: Date;
};

function toMessage(r: Row): OutboxMessage {
  return {
    id: String(r.id),
    tenant: r.tenant,
    customerId: r.customer_id,
    ticketId: r.ticket_id,
    channel: r.channel as ChannelName,
    kind: r.kind as NotificationKind,
    dedupeKey: r.dedupe_key,
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    status: r.status as OutboxStatus,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at).getTime(),
    sentAt: r.sent_at ? new Date(r.sent_at).getTime() : null,
    error: r.error,
    reason: r.reason,
    createdAt: new Date(r.created_at).getTime(),
  };
}

const COLUMNS = [
  'id', 'tenant', 'customer_id', 'ticket_id', 'channel', 'kind', 'dedupe_key', 'payload', 'status',
  'attempts', 'next_attempt_at', 'sent_at', 'error', 'reason', 'created_at',
] as const;

/**
 * The `notification_outbox` table. Every state change of a claimed row is guarded by
 * `status = 'sending' AND claimed_by = <worker>`, so a dispatcher whose lease was taken over
 * (it stalled past `claimed_until`) cannot overwrite the new owner's outcome.
 */
export class NotificationOutbox {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Idempotent by dedupe key: `created` is false when the message was already there. */
  async enqueue(n: NewNotification): Promise<{ id: string; created: boolean }> {
    const now = this.clock.now();
    const inserted = await this.db
      .insertInto('notification_outbox')
      .values({
        tenant: n.tenant,
        customer_id: n.customerId,
        ticket_id: n.ticketId,
        channel: n.channel,
        kind: n.kind,
        dedupe_key: n.dedupeKey,
        payload: JSON.stringify(n.payload),
        next_attempt_at: new Date(n.notBefore ?? now),
        created_at: new Date(now),
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: String(inserted.id), created: true };
    const existing = await this.db.selectFrom('notification_outbox').select('id').where('dedupe_key', '=', n.dedupeKey).executeTakeFirstOrThrow();
    return { id: String(existing.id), created: false };
  }

  /**
   * Takes up to `limit` due rows for `workerId`: pending ones whose time has come, and
   * `sending` ones whose claimer's lease ran out (it crashed). The inner SELECT locks with
   * SKIP LOCKED and the UPDATE re-checks the status, so two dispatchers never get the same row.
   */
  async claimDue(o: { workerId: string; limit: number; leaseMs: number }): Promise<OutboxMessage[]> {
    const now = new Date(this.clock.now());
    const due = sql<boolean>`(status = 'pending' and next_attempt_at <= ${now}) or (status = 'sending' and claimed_until < ${now})`;
    const rows = await this.db
      .updateTable('notification_outbox')
      .set({
        status: 'sending',
        attempts: sql`attempts + 1`,
        claimed_by: o.workerId,
        claimed_until: new Date(now.getTime() + o.leaseMs),
      })
      .where('id', 'in', (qb) =>
        qb.selectFrom('notification_outbox').select('id').where(due).orderBy('next_attempt_at').orderBy('id').limit(o.limit).forUpdate().skipLocked(),
      )
      .where(due)
      .returning(COLUMNS)
      .execute();
    return (rows as Row[]).map(toMessage).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || Number(a.id) - Number(b.id));
  }

  private async finish(id: string, workerId: string, set: Record<string, unknown>): Promise<boolean> {
    const res = await this.db
      .updateTable('notification_outbox')
      .set({ ...set, claimed_by: null, claimed_until: null })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .where('claimed_by', '=', workerId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** False when the claim was lost (another dispatcher took the row over). */
  markSent(id: string, workerId: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'sent', sent_at: new Date(this.clock.now()), error: null });
  }

  /** A transient failure: back to pending at `at`. */
  retryAt(id: string, workerId: string, at: number, error: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'pending', next_attempt_at: new Date(at), error: error.slice(0, 2000) });
  }

  markFailed(id: string, workerId: string, error: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'failed', error: error.slice(0, 2000) });
  }

  /** Policy said "not now": back to pending at `until`; the claim does not count as an attempt. */
  defer(id: string, workerId: string, until: number, reason: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'pending', next_attempt_at: new Date(until), reason, attempts: sql`greatest(attempts - 1, 0)` });
  }

  suppress(id: string, workerId: string, reason: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'suppressed', reason, attempts: sql`greatest(attempts - 1, 0)` });
  }

  /**
   * When proactive messages to a customer went out since `since`, plus those being sent right
   * now by claims older than `beforeId` (counted as now), for the rate limit.
   */
  async recentProactive(tenant: string, customerId: string, since: number, beforeId: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('notification_outbox')
      .select(['status', 'sent_at'])
      .where('tenant', '=', tenant)
      .where('customer_id', '=', customerId)
      .where('kind', '=', 'proactive')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'sent'), eb('sent_at', '>', new Date(since))]),
          eb.and([eb('status', '=', 'sending'), eb('id', '<', beforeId)]),
        ]),
      )
      .execute();
    const now = this.clock.now();
    return rows.map((r) => (r.status === 'sent' && r.sent_at ? new Date(r.sent_at).getTime() : now));
  }

  async get(id: string): Promise<OutboxMessage | null> {
    const r = await this.db.selectFrom('notification_outbox').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r ? toMessage(r as Row) : null;
  }

  async list(q: { tenant: string; customerId?: string; ticketId?: string; status?: OutboxStatus; limit?: number }): Promise<OutboxMessage[]> {
    let query = this.db.selectFrom('notification_outbox').select(COLUMNS).where('tenant', '=', q.tenant);
    if (q.customerId) query = query.where('customer_id', '=', q.customerId);
    if (q.ticketId) query = query.where('ticket_id', '=', q.ticketId);
    if (q.status) query = query.where('status', '=', q.status);
    const rows = await query.orderBy('id').limit(q.limit ?? 100).execute();
    return (rows as Row[]).map(toMessage);
  }
}
