import { randomUUID } from 'node:crypto';
import type { Selectable, Transaction } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Db } from '../platform/sql/database.ts';
import type { Database, TicketTable } from '../platform/sql/schema.ts';
import type { Tier, TierReason } from './service-tier.ts';
import { newBreaches, pause, resume, type Severity, type SlaBreach, type SlaFacts, type SlaStatus, slaStatus } from './sla-clock.ts';
import { type ActorKind, decideTransition, markRepeat, type Outcome, REPEAT_WINDOW_MS, type TicketAction, type TicketFacts, type TicketState } from './ticket-state.ts';

/**
 * Tickets in SQL. Every change happens in one transaction with the ticket row locked
 * (`for update`) and writes its audit row (who, what, why) in the same transaction, so the audit
 * trail is complete by construction. Authority is the use-cases' job (ticket-use-cases.ts).
 */

type Tx = Transaction<Database>;
type TicketRow = Selectable<TicketTable>;

export interface Ticket {
  id: string;
  tenant: string;
  deviceId: string;
  customerId: string;
  mode: string;
  episodeId: string | null;
  severity: Severity;
  risk: number;
  rulHours: number | null;
  state: TicketState;
  outcome: Outcome | null;
  tier: Tier;
  tierReason: string;
  repeatOf: string | null;
  openedAt: string;
  updatedAt: string;
  respondedAt: string | null;
  visitCompletedAt: string | null;
  closedAt: string | null;
  sla: SlaStatus;
}

export interface AuditEntry {
  id: string;
  ticketId: string;
  at: string;
  actor: string;
  action: string;
  fromState: string | null;
  toState: string | null;
  reason: string;
  detail: Record<string, unknown>;
}

/** Who did it: the caller's label for the trail and its kind for the rules. */
export interface Actor {
  label: string;
  kind: ActorKind;
}

const ms = (d: Date | string | null): number | null => (d === null ? null : new Date(d).getTime());
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function slaFacts(r: TicketRow): SlaFacts {
  return {
    severity: r.severity as Severity,
    openedAt: ms(r.opened_at)!,
    respondedAt: ms(r.responded_at),
    closedAt: ms(r.closed_at),
    pausedAt: ms(r.sla_paused_at),
    pausedMs: Number(r.sla_paused_ms),
    responseBreachedAt: ms(r.sla_response_breached_at),
    resolutionBreachedAt: ms(r.sla_resolution_breached_at),
  };
}

export function toTicket(r: TicketRow, now: number): Ticket {
  return {
    id: r.id,
    tenant: r.tenant,
    deviceId: r.device_id,
    customerId: r.customer_id,
    mode: r.mode,
    episodeId: r.episode_id,
    severity: r.severity as Severity,
    risk: r.risk,
    rulHours: r.rul_hours,
    state: r.state as TicketState,
    outcome: r.outcome as Outcome | null,
    tier: r.tier as Tier,
    tierReason: r.tier_reason,
    repeatOf: r.repeat_of,
    openedAt: iso(r.opened_at)!,
    updatedAt: iso(r.updated_at)!,
    respondedAt: iso(r.responded_at),
    visitCompletedAt: iso(r.visit_completed_at),
    closedAt: iso(r.closed_at),
    sla: slaStatus(slaFacts(r), now),
  };
}

function facts(r: TicketRow): TicketFacts {
  return { state: r.state as TicketState, outcome: r.outcome as Outcome | null, visitCompletedAt: ms(r.visit_completed_at) };
}

async function audit(
  tx: Tx,
  row: { id: string; tenant: string },
  at: Date,
  actor: string,
  action: string,
  from: string | null,
  to: string | null,
  reason: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await tx
    .insertInto('ticket_audit')
    .values({ ticket_id: row.id, tenant: row.tenant, at, actor, action, from_state: from, to_state: to, reason, detail: JSON.stringify(detail) })
    .execute();
}

/** Records each new SLA breach once: a flag on the ticket and an `sla_breach` audit event. */
async function recordBreaches(tx: Tx, row: TicketRow, now: Date, actor: string): Promise<SlaBreach[]> {
  const breaches = newBreaches(slaFacts(row), now.getTime());
  for (const b of breaches) {
    const status = slaStatus(slaFacts(row), now.getTime());
    await tx
      .updateTable('tickets')
      .set(b === 'response' ? { sla_response_breached_at: now } : { sla_resolution_breached_at: now })
      .where('id', '=', row.id)
      .execute();
    await audit(tx, row, now, actor, 'sla_breach', row.state, row.state, `${b} target missed`, {
      breach: b,
      severity: row.severity,
      dueAt: new Date(b === 'response' ? status.responseDueAt : status.resolutionDueAt).toISOString(),
    });
  }
  return breaches;
}

async function lockTicket(tx: Tx, id: string): Promise<TicketRow> {
  const row = await tx.selectFrom('tickets').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw new PrognosError('PRG_NOT_FOUND', `ticket ${id}`);
  return row;
}

export interface NewTicket {
  tenant: string;
  deviceId: string;
  customerId: string;
  mode: string;
  episodeId: string;
  severity: Severity;
  risk: number;
  rulHours: number | null;
  tier: Tier;
  tierReason: TierReason;
}

export class TicketStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<Ticket | undefined> {
    const r = await this.db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toTicket(r, this.clock.now());
  }

  async getByEpisode(episodeId: string): Promise<Ticket | undefined> {
    const r = await this.db.selectFrom('tickets').selectAll().where('episode_id', '=', episodeId).executeTakeFirst();
    return r && toTicket(r, this.clock.now());
  }

  /**
   * Opens the ticket of an alert episode, once: a second call (or a concurrent worker) gets the
   * existing ticket. A closed ticket of the same device and mode closed within 14 days becomes
   * `repeat_within_14d` and the new ticket points at it.
   */
  async openForEpisode(t: NewTicket, actor: string, reason: string): Promise<{ ticket: Ticket; created: boolean }> {
    const now = new Date(this.clock.now());
    const created = await this.db.transaction().execute(async (tx) => {
      const id = `T-${randomUUID()}`;
      const inserted = await tx
        .insertInto('tickets')
        .values({
          id,
          tenant: t.tenant,
          device_id: t.deviceId,
          customer_id: t.customerId,
          mode: t.mode,
          episode_id: t.episodeId,
          severity: t.severity,
          risk: t.risk,
          rul_hours: t.rulHours,
          state: 'open',
          outcome: null,
          tier: t.tier,
          tier_reason: t.tierReason,
          repeat_of: null,
          opened_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('episode_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return false;
      const row = { id, tenant: t.tenant };
      await audit(tx, row, now, actor, 'opened', null, 'open', reason, {
        episodeId: t.episodeId,
        severity: t.severity,
        risk: t.risk,
        rulHours: t.rulHours,
        tier: t.tier,
        tierReason: t.tierReason,
      });
      const previous = await tx
        .selectFrom('tickets')
        .selectAll()
        .where('device_id', '=', t.deviceId)
        .where('mode', '=', t.mode)
        .where('state', '=', 'closed')
        .where('closed_at', '>=', new Date(now.getTime() - REPEAT_WINDOW_MS))
        .where('id', '!=', id)
        .orderBy('closed_at', 'desc')
        .forUpdate()
        .executeTakeFirst();
      const repeat = previous && markRepeat({ ...facts(previous), closedAt: ms(previous.closed_at) }, now.getTime());
      if (previous && repeat) {
        await tx.updateTable('tickets').set({ outcome: repeat.outcome, updated_at: now }).where('id', '=', previous.id).execute();
        await audit(tx, previous, now, actor, 'marked_repeat', 'closed', 'closed', `device ${t.deviceId} alerted again for ${t.mode} within 14 days of closing`, {
          previousOutcome: previous.outcome,
          outcome: repeat.outcome,
          newTicket: id,
        });
        await tx.updateTable('tickets').set({ repeat_of: previous.id }).where('id', '=', id).execute();
      }
      return true;
    });
    const ticket = await this.getByEpisode(t.episodeId);
    if (!ticket) throw new PrognosError('PRG_SQL_FAILED', `ticket of episode ${t.episodeId} vanished`);
    return { ticket, created };
  }

  /**
   * Applies one transition (checked by ticket-state.ts) with its audit row. `reason` is the why;
   * `detail` anything the trail should keep (the visit id, the evidence).
   */
  async apply(id: string, action: TicketAction, actor: Actor, reason: string, detail: Record<string, unknown> = {}): Promise<Ticket> {
    if (!reason.trim()) throw new PrognosError('PRG_BAD_REQUEST', 'every ticket change needs a reason');
    const now = new Date(this.clock.now());
    await this.db.transaction().execute(async (tx) => {
      const row = await lockTicket(tx, id);
      const result = decideTransition(facts(row), action, actor.kind, now.getTime());
      const patch: Partial<Record<keyof TicketTable, unknown>> = { state: result.to, outcome: result.outcome, updated_at: now };
      // breaches that happened before this moment are recorded against the state they happened in
      await recordBreaches(tx, row, now, actor.label);
      if (row.state === 'open' && result.to !== 'open' && row.responded_at === null) patch.responded_at = now;
      if (result.visitCompletedAt !== undefined) patch.visit_completed_at = new Date(result.visitCompletedAt);
      if (result.escalate) {
        patch.tier = 'human';
        patch.tier_reason = `escalated:${reason}`.slice(0, 200);
      }
      if (result.to === 'closed') {
        patch.closed_at = now;
        // the clock stops at close; a running pause ends there
        if (row.sla_paused_at !== null) {
          patch.sla_paused_ms = Number(row.sla_paused_ms) + (now.getTime() - ms(row.sla_paused_at)!);
          patch.sla_paused_at = null;
        }
      }
      await tx.updateTable('tickets').set(patch as never).where('id', '=', id).execute();
      const extra: Record<string, unknown> = { ...detail };
      if (action.kind === 'schedule') extra.visitId = action.visitId;
      if (action.kind === 'close') {
        extra.outcome = action.outcome;
        if (action.evidence) extra.evidence = action.evidence;
      }
      if (result.escalate) extra.tier = { from: row.tier, to: 'human', fromReason: row.tier_reason };
      await audit(tx, row, now, actor.label, action.kind, row.state, result.to, reason, extra);
    });
    return (await this.get(id))!;
  }

  async pauseSla(id: string, actor: Actor, reason: string): Promise<Ticket> {
    return this.changeSla(id, actor, reason, 'sla_paused');
  }

  async resumeSla(id: string, actor: Actor, reason: string): Promise<Ticket> {
    return this.changeSla(id, actor, reason, 'sla_resumed');
  }

  private async changeSla(id: string, actor: Actor, reason: string, action: 'sla_paused' | 'sla_resumed'): Promise<Ticket> {
    if (!reason.trim()) throw new PrognosError('PRG_BAD_REQUEST', 'an SLA pause or resume needs a reason');
    const now = new Date(this.clock.now());
    await this.db.transaction().execute(async (tx) => {
      const row = await lockTicket(tx, id);
      await recordBreaches(tx, row, now, actor.label);
      const f = slaFacts(row);
      if (action === 'sla_paused') {
        pause(f, now.getTime());
        await tx.updateTable('tickets').set({ sla_paused_at: now, updated_at: now }).where('id', '=', id).execute();
        await audit(tx, row, now, actor.label, action, row.state, row.state, reason);
      } else {
        const next = resume(f, now.getTime());
        await tx.updateTable('tickets').set({ sla_paused_at: null, sla_paused_ms: next.pausedMs, updated_at: now }).where('id', '=', id).execute();
        await audit(tx, row, now, actor.label, action, row.state, row.state, reason, { pausedForMs: next.pausedMs - f.pausedMs });
      }
    });
    return (await this.get(id))!;
  }

  /** Records the SLA breaches that have happened by now on the tenant's open tickets. */
  async checkBreaches(tenant: string | undefined, actor: string): Promise<{ ticketId: string; breach: SlaBreach }[]> {
    const now = new Date(this.clock.now());
    let q = this.db.selectFrom('tickets').select('id').where('state', '!=', 'closed');
    if (tenant !== undefined) q = q.where('tenant', '=', tenant);
    const ids = await q.orderBy('id').execute();
    const events: { ticketId: string; breach: SlaBreach }[] = [];
    for (const { id } of ids) {
      const found = await this.db.transaction().execute(async (tx) => recordBreaches(tx, await lockTicket(tx, id), now, actor));
      for (const breach of found) events.push({ ticketId: id, breach });
    }
    return events;
  }

  async auditTrail(id: string): Promise<AuditEntry[]> {
    const rows = await this.db.selectFrom('ticket_audit').selectAll().where('ticket_id', '=', id).orderBy('id').execute();
    return rows.map((r) => ({
      id: String(r.id),
      ticketId: r.ticket_id,
      at: iso(r.at)!,
      actor: r.actor,
      action: r.action,
      fromState: r.from_state,
      toState: r.to_state,
      reason: r.reason,
      detail: r.detail,
    }));
  }

  /** The technician's structured close-out, one per ticket (a later one replaces it, audited). */
  async recordCloseOut(
    id: string,
    input: { confirmedMode: string | null; parts: string[]; findings: string; technicianId: string | null },
    actor: Actor,
  ): Promise<void> {
    const now = new Date(this.clock.now());
    await this.db.transaction().execute(async (tx) => {
      const row = await lockTicket(tx, id);
      if (row.visit_completed_at === null) throw new PrognosError('PRG_INVALID_TRANSITION', 'a close-out needs the visit done');
      if (input.technicianId !== null) {
        const tech = await tx.selectFrom('technicians').select('tenant').where('id', '=', input.technicianId).executeTakeFirst();
        if (!tech || tech.tenant !== row.tenant) throw new PrognosError('PRG_BAD_REQUEST', `technician ${input.technicianId} is not in tenant ${row.tenant}`);
      }
      const values = {
        tenant: row.tenant,
        device_id: row.device_id,
        predicted_mode: row.mode,
        confirmed_mode: input.confirmedMode,
        parts: JSON.stringify(input.parts),
        findings: input.findings,
        technician_id: input.technicianId,
        recorded_by: actor.label,
        at: now,
      };
      await tx
        .insertInto('ticket_close_outs')
        .values({ ticket_id: id, ...values })
        .onConflict((oc) => oc.column('ticket_id').doUpdateSet(values))
        .execute();
      await audit(tx, row, now, actor.label, 'close_out_recorded', row.state, row.state, input.findings.slice(0, 500) || 'close-out', {
        confirmedMode: input.confirmedMode,
        parts: input.parts,
        technicianId: input.technicianId,
      });
    });
  }
}
