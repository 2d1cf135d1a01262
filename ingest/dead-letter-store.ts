import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/sql/database.ts';
import { BatchedInserter } from './batched-inserter.ts';
import type { RejectReason } from './payload-schema.ts';

/** Raw payload kept per rejection, at most this many bytes. */
export const PAYLOAD_EXCERPT_BYTES = 2048;

/** PostgreSQL text cannot hold NUL; the excerpt is for people, and payload_bytes says what was cut. */
function storableText(s: string): string {
  return s.replaceAll('\u0000', '\uFFFD');
}

export interface DeadLetter {
  topic: string;
  tenant: string | null;
  device: string | null;
  reason: RejectReason;
  detail: string;
  payload: Buffer | string;
}

export interface StoredDeadLetter {
  id: number;
  receivedAt: string;
  topic: string;
  tenant: string | null;
  device: string | null;
  reason: string;
  detail: string;
  payloadExcerpt: string;
  payloadBytes: number;
}

export interface DeadLetterQuery {
  reason?: string;
  device?: string;
  /** Newest first, at most this many. Default 100. */
  limit?: number;
}

/** The dead-letter table: every rejected payload with its reason, topic and time. */
export class DeadLetterStore {
  private readonly inserter: BatchedInserter<DeadLetter & { at: Date }>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.inserter = new BatchedInserter(async (rows) => {
      await db
        .insertInto('dead_letters')
        .values(
          rows.map((r) => {
            const bytes = typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload;
            return {
              received_at: r.at,
              topic: storableText(r.topic.slice(0, 512)),
              tenant: r.tenant,
              device: r.device,
              reason: r.reason,
              // Parser messages quote the bad input, so the detail is as untrusted as the payload.
              detail: storableText(r.detail.slice(0, 1000)),
              payload_excerpt: storableText(bytes.subarray(0, PAYLOAD_EXCERPT_BYTES).toString('utf8')),
              payload_bytes: bytes.length,
            };
          }),
        )
        .execute();
    }, clock);
  }

  record(letter: DeadLetter): Promise<void> {
    return this.inserter.add({ ...letter, at: new Date(this.clock.now()) });
  }

  flush(): Promise<void> {
    return this.inserter.flush();
  }

  async list(q: DeadLetterQuery = {}): Promise<StoredDeadLetter[]> {
    let query = this.db.selectFrom('dead_letters').selectAll().orderBy('id', 'desc').limit(Math.min(q.limit ?? 100, 10_000));
    if (q.reason) query = query.where('reason', '=', q.reason);
    if (q.device) query = query.where('device', '=', q.device);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: Number(r.id),
      receivedAt: new Date(r.received_at).toISOString(),
      topic: r.topic,
      tenant: r.tenant,
      device: r.device,
      reason: r.reason,
      detail: r.detail,
      payloadExcerpt: r.payload_excerpt,
      payloadBytes: Number(r.payload_bytes),
    }));
  }

  async countByReason(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('dead_letters')
      .select(['reason', (eb) => eb.fn.countAll().as('n')])
      .groupBy('reason')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]));
  }
}
