import { sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/sql/database.ts';
import { BatchedInserter } from './batched-inserter.ts';
import type { DataQualityEvent } from './data-quality.ts';
import type { DeviceLiveness } from './liveness-monitor.ts';

/** Stores data-quality events and each device's liveness/seq state in the SQL store. */
export class DataQualityStore {
  private readonly events: BatchedInserter<DataQualityEvent>;

  constructor(
    private readonly db: Db,
    clock: Clock,
  ) {
    this.events = new BatchedInserter(async (rows) => {
      await db
        .insertInto('data_quality_events')
        .values(rows.map((e) => ({ at: new Date(e.at), tenant: e.tenant, device: e.device, kind: e.kind, detail: JSON.stringify(e.detail) })))
        .execute();
    }, clock);
  }

  record(event: DataQualityEvent): Promise<void> {
    return this.events.add(event);
  }

  flush(): Promise<void> {
    return this.events.flush();
  }

  async list(q: { device?: string; kind?: string; limit?: number } = {}) {
    let query = this.db.selectFrom('data_quality_events').selectAll().orderBy('id', 'desc').limit(Math.min(q.limit ?? 100, 10_000));
    if (q.device) query = query.where('device', '=', q.device);
    if (q.kind) query = query.where('kind', '=', q.kind);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      tenant: r.tenant,
      device: r.device,
      kind: r.kind,
      detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail,
    }));
  }

  async saveDeviceStates(states: (DeviceLiveness & { lastSeq: number | undefined })[]): Promise<void> {
    if (states.length === 0) return;
    await this.db
      .insertInto('device_liveness')
      .values(
        states.map((s) => ({
          tenant: s.tenant,
          device: s.device,
          last_seen: new Date(s.lastSeen),
          last_reading_ts: new Date(s.lastReadingTs),
          interval_ms: s.intervalMs,
          last_seq: s.lastSeq === undefined ? null : String(s.lastSeq),
          in_gap: s.inGap,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['tenant', 'device']).doUpdateSet({
          last_seen: sql`excluded.last_seen`,
          last_reading_ts: sql`excluded.last_reading_ts`,
          interval_ms: sql`excluded.interval_ms`,
          last_seq: sql`excluded.last_seq`,
          in_gap: sql`excluded.in_gap`,
        }),
      )
      .execute();
  }

  async loadDeviceStates(): Promise<(DeviceLiveness & { lastSeq: number | undefined })[]> {
    const rows = await this.db.selectFrom('device_liveness').selectAll().execute();
    return rows.map((r) => ({
      tenant: r.tenant,
      device: r.device,
      lastSeen: new Date(r.last_seen).getTime(),
      lastReadingTs: new Date(r.last_reading_ts).getTime(),
      intervalMs: r.interval_ms === null ? null : Number(r.interval_ms),
      inGap: r.in_gap,
      lastSeq: r.last_seq === null ? undefined : Number(r.last_seq),
    }));
  }
}
