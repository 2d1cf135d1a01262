import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Attribution } from '../models/prediction.ts';
import type { AlertEpisodeTable, AlertEventTable, Database } from '../platform/sql/schema.ts';
import type { AlertSeverity } from './alert-policy.ts';

/** Open: `open`, `flapping`, `ticketed` (cleared_at null). Closed: `cleared` (the policy), `resolved` (the ticket flow). */
export type EpisodeState = 'open' | 'flapping' | 'ticketed' | 'cleared' | 'resolved';

export interface AlertEpisode {
  id: string;
  tenant: string;
  device: string;
  mode: string;
  state: EpisodeState;
  severity: AlertSeverity;
  openedAt: number;
  clearedAt: number | null;
  peakRisk: number;
  lastRisk: number;
  rulLowerHours: number | null;
  lastPredictionAt: number;
  evidence: Attribution[];
  ticketId: string | null;
}

export interface AlertEventRecord {
  id: number;
  episodeId: string | null;
  tenant: string;
  device: string;
  mode: string;
  kind: string;
  at: number;
  severity: string | null;
  risk: number | null;
  reason: string;
  detail: Record<string, unknown>;
}

export interface OpenEpisodeInput {
  tenant: string;
  device: string;
  mode: string;
  severity: AlertSeverity;
  at: number;
  risk: number;
  rulLowerHours: number | null;
  evidence: Attribution[];
}

export interface NewAlertEvent {
  episodeId: string | null;
  tenant: string;
  device: string;
  mode: string;
  kind: string;
  at: number;
  severity?: string | null;
  risk?: number | null;
  reason: string;
  detail?: Record<string, unknown>;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function toEpisode(r: Selectable<AlertEpisodeTable>): AlertEpisode {
  return {
    id: r.id,
    tenant: r.tenant,
    device: r.device,
    mode: r.mode,
    state: r.state as EpisodeState,
    severity: r.severity as AlertSeverity,
    openedAt: new Date(r.opened_at).getTime(),
    clearedAt: r.cleared_at === null ? null : new Date(r.cleared_at).getTime(),
    peakRisk: r.peak_risk,
    lastRisk: r.last_risk,
    rulLowerHours: r.rul_lower_hours,
    lastPredictionAt: new Date(r.last_prediction_at).getTime(),
    evidence: json<Attribution[]>(r.evidence),
    ticketId: r.ticket_id,
  };
}

function toEvent(r: Selectable<AlertEventTable>): AlertEventRecord {
  return {
    id: Number(r.id),
    episodeId: r.episode_id,
    tenant: r.tenant,
    device: r.device,
    mode: r.mode,
    kind: r.kind,
    at: new Date(r.at).getTime(),
    severity: r.severity,
    risk: r.risk,
    reason: r.reason,
    detail: json<Record<string, unknown>>(r.detail),
  };
}

/**
 * Alert episodes and their append-only history in the SQL store. Hand it a transaction
 * (`new EpisodeStore(trx)`) to make several calls atomic. No authority checks here: the
 * episode service (the use-case) does them.
 */
export class EpisodeStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Opens an episode unless one is already open for the key. Safe under concurrency: the
   * partial unique index lets exactly one insert win; the others get the winner back.
   */
  async open(input: OpenEpisodeInput): Promise<{ episode: AlertEpisode; created: boolean }> {
    const inserted = await this.db
      .insertInto('alert_episodes')
      .values({
        id: `ep_${randomUUID()}`,
        tenant: input.tenant,
        device: input.device,
        mode: input.mode,
        state: 'open',
        severity: input.severity,
        opened_at: new Date(input.at),
        cleared_at: null,
        peak_risk: input.risk,
        last_risk: input.risk,
        rul_lower_hours: input.rulLowerHours,
        last_prediction_at: new Date(input.at),
        evidence: JSON.stringify(input.evidence),
        ticket_id: null,
      })
      .onConflict((oc) => oc.columns(['tenant', 'device', 'mode']).where('cleared_at', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { episode: toEpisode(inserted), created: true };
    const existing = await this.findOpen(input.tenant, input.device, input.mode);
    if (!existing) throw new Error(`episode for ${input.tenant}/${input.device}/${input.mode} conflicted but is not open`);
    return { episode: existing, created: false };
  }

  async findOpen(tenant: string, device: string, mode: string): Promise<AlertEpisode | undefined> {
    const r = await this.db
      .selectFrom('alert_episodes')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('device', '=', device)
      .where('mode', '=', mode)
      .where('cleared_at', 'is', null)
      .executeTakeFirst();
    return r && toEpisode(r);
  }

  async get(id: string): Promise<AlertEpisode | undefined> {
    const r = await this.db.selectFrom('alert_episodes').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toEpisode(r);
  }

  async list(q: { tenant: string; device?: string; openOnly?: boolean; limit?: number }): Promise<AlertEpisode[]> {
    let query = this.db.selectFrom('alert_episodes').selectAll().where('tenant', '=', q.tenant).orderBy('opened_at', 'desc').orderBy('id').limit(Math.min(q.limit ?? 100, 10_000));
    if (q.device) query = query.where('device', '=', q.device);
    if (q.openOnly) query = query.where('cleared_at', 'is', null);
    return (await query.execute()).map(toEpisode);
  }

  /** Records the latest prediction on an open episode (risk, peak, RUL). */
  async touch(id: string, p: { at: number; risk: number; rulLowerHours: number | null; severity?: AlertSeverity; state?: 'open' | 'flapping' }): Promise<void> {
    const current = await this.get(id);
    if (!current) return;
    await this.db
      .updateTable('alert_episodes')
      .set({
        last_prediction_at: new Date(p.at),
        last_risk: p.risk,
        peak_risk: Math.max(current.peakRisk, p.risk),
        rul_lower_hours: p.rulLowerHours,
        ...(p.severity ? { severity: p.severity } : {}),
        // A ticketed episode stays ticketed: the ticket owns it now.
        ...(p.state && current.state !== 'ticketed' ? { state: p.state } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Closes an open episode; closing a closed one changes nothing. */
  async close(id: string, at: number, state: 'cleared' | 'resolved'): Promise<boolean> {
    const r = await this.db.updateTable('alert_episodes').set({ state, cleared_at: new Date(at) }).where('id', '=', id).where('cleared_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Hands an open episode to a ticket (idempotent for the same ticket). */
  async attachTicket(id: string, ticketId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('alert_episodes')
      .set({ state: 'ticketed', ticket_id: ticketId })
      .where('id', '=', id)
      .where('cleared_at', 'is', null)
      .where((eb) => eb.or([eb('ticket_id', 'is', null), eb('ticket_id', '=', ticketId)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Appends to the history; the same (key, time, kind) twice is stored once. Returns whether it was new. */
  async appendEvent(e: NewAlertEvent): Promise<boolean> {
    const r = await this.db
      .insertInto('alert_events')
      .values({
        episode_id: e.episodeId,
        tenant: e.tenant,
        device: e.device,
        mode: e.mode,
        kind: e.kind,
        at: new Date(e.at),
        severity: e.severity ?? null,
        risk: e.risk ?? null,
        reason: e.reason,
        detail: JSON.stringify(e.detail ?? {}),
        dedupe_key: `${e.tenant}/${e.device}/${e.mode}/${e.at}/${e.kind}`,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async events(q: { tenant: string; episodeId?: string; device?: string; mode?: string }): Promise<AlertEventRecord[]> {
    let query = this.db.selectFrom('alert_events').selectAll().where('tenant', '=', q.tenant).orderBy('id');
    if (q.episodeId) query = query.where('episode_id', '=', q.episodeId);
    if (q.device) query = query.where('device', '=', q.device);
    if (q.mode) query = query.where('mode', '=', q.mode);
    return (await query.execute()).map(toEvent);
  }
}
