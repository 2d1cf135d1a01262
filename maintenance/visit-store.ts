import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { type Caller, callerLabel } from '../platform/caller.ts';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Database, VisitTable } from '../platform/sql/schema.ts';

export type VisitStatus = 'proposed' | 'booked' | 'cancelled' | 'done';

export interface Visit {
  id: string;
  tenant: string;
  ticketId: string | null;
  device: string;
  technicianId: string;
  startsAt: number;
  endsAt: number;
  status: VisitStatus;
  createdAt: number;
}

export interface VisitInput {
  /** Give an id to make booking idempotent (a retried job books the same visit once). */
  id?: string;
  tenant: string;
  ticketId: string | null;
  device: string;
  technicianId: string;
  startsAt: number;
  endsAt: number;
}

export type BookResult = { ok: true; visit: Visit; created: boolean } | { ok: false; code: 'technician_busy'; conflict: Visit; reason: string };

function toVisit(r: Selectable<VisitTable>): Visit {
  return {
    id: r.id,
    tenant: r.tenant,
    ticketId: r.ticket_id,
    device: r.device,
    technicianId: r.technician_id,
    startsAt: new Date(r.starts_at).getTime(),
    endsAt: new Date(r.ends_at).getTime(),
    status: r.status as VisitStatus,
    createdAt: new Date(r.created_at).getTime(),
  };
}

/** Engineers and admins plan visits; the system books on a customer's confirmed reply. */
function assertMayPlan(caller: Caller, tenant: string): void {
  if (caller.kind === 'admin') return;
  if ((caller.kind === 'engineer' || caller.kind === 'system') && caller.tenant === tenant) return;
  throw new PrognosError('PRG_FORBIDDEN', `${callerLabel(caller)} may not plan visits for tenant ${tenant}`);
}

/**
 * Visits in the SQL store. Booking is atomic with no double booking under concurrency: each
 * booking locks its technician's row in `visit_booking_locks` (SELECT … FOR UPDATE) and only then
 * checks for an overlapping booked visit, so two bookings for one technician run one after the
 * other. (An exclusion constraint would need btree_gist, which PGlite lacks.)
 */
export class VisitStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Records a proposal (offered to the customer); proposals never block a technician. */
  async propose(caller: Caller, input: VisitInput): Promise<Visit> {
    assertMayPlan(caller, input.tenant);
    validSpan(input);
    const row = await this.db
      .insertInto('visits')
      .values({ ...columns(input), id: input.id ?? `vis_${randomUUID()}`, status: 'proposed', created_at: new Date(this.clock.now()) })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return toVisit(row);
    const existing = await this.get(caller, input.tenant, input.id!);
    if (!existing) throw new PrognosError('PRG_NOT_FOUND', `visit ${input.id}`);
    return existing;
  }

  /**
   * Books a visit (or turns the proposal with `input.id` into a booking). Exactly one of several
   * concurrent overlapping bookings for one technician wins; the others get `technician_busy`.
   */
  async book(caller: Caller, input: VisitInput): Promise<BookResult> {
    assertMayPlan(caller, input.tenant);
    validSpan(input);
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto('visit_booking_locks').values({ tenant: input.tenant, technician_id: input.technicianId }).onConflict((oc) => oc.columns(['tenant', 'technician_id']).doNothing()).execute();
      await trx.selectFrom('visit_booking_locks').select('technician_id').where('tenant', '=', input.tenant).where('technician_id', '=', input.technicianId).forUpdate().execute();

      if (input.id) {
        const same = await trx.selectFrom('visits').selectAll().where('id', '=', input.id).executeTakeFirst();
        if (same && same.tenant !== input.tenant) throw new PrognosError('PRG_NOT_FOUND', `visit ${input.id}`);
        if (same?.status === 'booked') return { ok: true as const, visit: toVisit(same), created: false };
        if (same && same.status !== 'proposed') throw new PrognosError('PRG_BAD_REQUEST', `visit ${input.id} is ${same.status}`);
      }
      const clash = await trx
        .selectFrom('visits')
        .selectAll()
        .where('tenant', '=', input.tenant)
        .where('technician_id', '=', input.technicianId)
        .where('status', '=', 'booked')
        .where('starts_at', '<', new Date(input.endsAt))
        .where('ends_at', '>', new Date(input.startsAt))
        .orderBy('starts_at')
        .executeTakeFirst();
      if (clash) {
        const conflict = toVisit(clash);
        return { ok: false as const, code: 'technician_busy' as const, conflict, reason: `technician ${input.technicianId} is booked ${new Date(conflict.startsAt).toISOString()}–${new Date(conflict.endsAt).toISOString()} (visit ${conflict.id})` };
      }
      const id = input.id ?? `vis_${randomUUID()}`;
      const row = await trx
        .insertInto('visits')
        .values({ ...columns(input), id, status: 'booked', created_at: new Date(this.clock.now()) })
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...columns(input), status: 'booked' }))
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ok: true as const, visit: toVisit(row), created: true };
    });
  }

  /** Cancels a proposed or booked visit; returns the visit, or undefined when there was nothing to cancel. */
  async cancel(caller: Caller, tenant: string, id: string): Promise<Visit | undefined> {
    return this.transition(caller, tenant, id, ['proposed', 'booked'], 'cancelled');
  }

  async markDone(caller: Caller, tenant: string, id: string): Promise<Visit | undefined> {
    return this.transition(caller, tenant, id, ['booked'], 'done');
  }

  private async transition(caller: Caller, tenant: string, id: string, from: VisitStatus[], to: VisitStatus): Promise<Visit | undefined> {
    assertMayPlan(caller, tenant);
    const row = await this.db.updateTable('visits').set({ status: to }).where('tenant', '=', tenant).where('id', '=', id).where('status', 'in', from).returningAll().executeTakeFirst();
    return row && toVisit(row);
  }

  async get(caller: Caller, tenant: string, id: string): Promise<Visit | undefined> {
    assertMayPlan(caller, tenant);
    const r = await this.db.selectFrom('visits').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
    return r && toVisit(r);
  }

  /** A technician's booked visits overlapping [from, to): the planner's `appointments`. */
  async bookedForTechnician(caller: Caller, tenant: string, technicianId: string, from: number, to: number): Promise<Visit[]> {
    assertMayPlan(caller, tenant);
    const rows = await this.db
      .selectFrom('visits')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('technician_id', '=', technicianId)
      .where('status', '=', 'booked')
      .where('starts_at', '<', new Date(to))
      .where('ends_at', '>', new Date(from))
      .orderBy('starts_at')
      .execute();
    return rows.map(toVisit);
  }

  async forTicket(caller: Caller, tenant: string, ticketId: string): Promise<Visit[]> {
    assertMayPlan(caller, tenant);
    const rows = await this.db.selectFrom('visits').selectAll().where('tenant', '=', tenant).where('ticket_id', '=', ticketId).orderBy('created_at').orderBy('id').execute();
    return rows.map(toVisit);
  }
}

function validSpan(v: VisitInput): void {
  if (!(Number.isFinite(v.startsAt) && Number.isFinite(v.endsAt) && v.endsAt > v.startsAt)) throw new PrognosError('PRG_BAD_REQUEST', 'a visit must end after it starts');
}

function columns(v: VisitInput) {
  return { tenant: v.tenant, ticket_id: v.ticketId, device: v.device, technician_id: v.technicianId, starts_at: new Date(v.startsAt), ends_at: new Date(v.endsAt) };
}
