import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { latestPrediction } from '../models/prediction-writer.ts';
import { type Caller, callerLabel } from '../platform/caller.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import { PrognosError } from '../platform/errors.ts';
import { reminderJob, verifyJob, visitPlanJob, visitStartJob } from './job-definitions.ts';
import { writeJob } from './workflow-outbox.ts';
import { ensureWorkflowTicket, nextRound, updateWorkflowTicket } from './workflow-ticket-state.ts';
import { listTenant, readable } from '../maintenance/caller-scope.ts';
import type { Ticket } from '../maintenance/ticket-store.ts';
import { getTicket, recordCloseOut, transitionTicket, type CloseOutInput } from '../maintenance/ticket-use-cases.ts';
import { planVisit, type PlannerTechnician, type RankedSlot, type SlotReasonCode, type VisitPlannerOptions, type VisitPlanRequest, type Weekday } from '../maintenance/visit-planner.ts';
import { type Visit, VisitStore } from '../maintenance/visit-store.ts';

/**
 * Visit use-cases: propose slots for a ticket from the registry (who can repair it, where, when
 * the customer is available, how long until the conservative failure bound), book one
 * atomically, move, cancel (→ a new planning round), list the calendar, start and complete.
 * The API, the workflow processors and the assistant call them alike; authority comes from the
 * Caller: engineers and the system act within their tenant, a customer only on their own
 * ticket and only with a slot that was offered to them.
 *
 * Follow-up jobs (reminder, visit start, verification, re-plan) are written to the workflow
 * outbox (workflows/workflow-outbox.ts) and relayed to BullMQ by the engine, so a crash between
 * the booking and the queue loses none; every step is idempotent, so a retried call is safe.
 */

export interface VisitFlowOptions {
  /** Reminder this many hours before the visit (default 24; at once when the visit is sooner). */
  reminderLeadHours?: number;
  /** Post-maintenance verification this many hours after the visit is completed (default 6). */
  verifyAfterHours?: number;
  /** Time on site (default 120 minutes). */
  visitMinutes?: number;
  /** Operating hours per calendar day of the equipment (default 24). */
  dutyHoursPerDay?: number;
  planner?: VisitPlannerOptions;
}

export const VISIT_FLOW_DEFAULTS: Required<Omit<VisitFlowOptions, 'planner'>> = {
  reminderLeadHours: 24,
  verifyAfterHours: 6,
  visitMinutes: 120,
  dutyHoursPerDay: 24,
};

/**
 * The skill a repair of each failure mode needs. Technicians' `skills` hold failure mode ids
 * (fleet-schema.ts), so the skill is the mode itself; this is the one place to change that.
 */
export function skillForMode(mode: string): string {
  return mode;
}

export interface ProposedSlot {
  /** Stable per (ticket, technician, time): confirming the same slot twice books it once. */
  id: string;
  technicianId: string;
  technicianName: string;
  startsAt: number;
  endsAt: number;
  reason: string;
  reasonCodes: SlotReasonCode[];
  marginHours: number;
}

export interface SlotProposal {
  slots: ProposedSlot[];
  /** Epoch ms by which the visit must be over (null: no RUL known). */
  deadline: number | null;
  /** Why there are no slots (or what the plan rests on). */
  reason?: string;
  /** The conservative RUL the plan used, and where it came from. */
  rulLowerHours: number | null;
  rulSource: 'prediction' | 'ticket' | 'none';
}

export interface SlotInput {
  id?: string;
  technicianId: string;
  startsAt: number;
  endsAt: number;
}

const HOUR = 3_600_000;

export function slotId(ticketId: string, technicianId: string, startsAt: number, endsAt: number): string {
  return `vis_${createHash('sha256').update(`${ticketId}|${technicianId}|${startsAt}|${endsAt}`).digest('hex').slice(0, 24)}`;
}

/** The product acting for someone within the tenant (the audit trail names who). */
function systemFor(tenant: string, caller: Caller): Caller {
  return { kind: 'system', tenant, reason: caller.kind === 'system' ? caller.reason : callerLabel(caller) };
}

/** Engineers, admins and the system act as themselves; a customer's action is done by the system on their behalf. */
function actingCaller(caller: Caller, tenant: string): Caller {
  return caller.kind === 'customer' ? systemFor(tenant, caller) : caller;
}

function publish(deps: DomainDeps, type: string, t: Ticket, data: Record<string, unknown>): void {
  try {
    deps.events.publish({ type, tenant: t.tenant, customerId: t.customerId, data: { ticketId: t.id, deviceId: t.deviceId, mode: t.mode, ...data } });
  } catch (err) {
    deps.logger.warn({ err, type }, 'live event not published');
  }
}

/** Builds the planner's request from the registry, the calendar and the newest prediction. */
export async function buildPlanRequest(deps: DomainDeps, ticket: Ticket, opts: VisitFlowOptions = {}): Promise<{ request: VisitPlanRequest | null; rulLowerHours: number | null; rulSource: SlotProposal['rulSource'] }> {
  const o = { ...VISIT_FLOW_DEFAULTS, ...opts };
  const now = deps.clock.now();
  const row = await deps.db
    .selectFrom('devices')
    .innerJoin('sites', 'sites.id', 'devices.site_id')
    .innerJoin('customers', 'customers.id', 'devices.customer_id')
    .select([
      'sites.lat',
      'sites.lon',
      'customers.timezone',
      'customers.availability',
      'customers.quiet_start',
      'customers.quiet_end',
    ])
    .where('devices.id', '=', ticket.deviceId)
    .where('devices.tenant', '=', ticket.tenant)
    .executeTakeFirst();
  if (!row) throw new PrognosError('PRG_NOT_FOUND', `device ${ticket.deviceId} (or its site or customer) is not in the fleet registry`);

  let rulLowerHours: number | null = null;
  let rulSource: SlotProposal['rulSource'] = 'none';
  try {
    const p = await latestPrediction(deps.influx, ticket.tenant, ticket.deviceId);
    if (p && p.status === 'ok' && p.rulLowerHours !== null) {
      rulLowerHours = p.rulLowerHours;
      rulSource = 'prediction';
    }
  } catch (err) {
    deps.logger.warn({ err, ticket: ticket.id }, 'latest prediction unavailable; planning from the ticket RUL');
  }
  if (rulLowerHours === null && ticket.rulHours !== null) {
    rulLowerHours = ticket.rulHours;
    rulSource = 'ticket';
  }
  if (rulLowerHours === null) return { request: null, rulLowerHours, rulSource };

  const skill = skillForMode(ticket.mode);
  const techs = await deps.db.selectFrom('technicians').selectAll().where('tenant', '=', ticket.tenant).where(sql<boolean>`skills ? ${skill}`).orderBy('id').execute();
  const horizonEnd = now + (opts.planner?.horizonDays ?? 14) * 24 * HOUR + 2 * HOUR;
  const booked = techs.length
    ? await deps.db
        .selectFrom('visits')
        .innerJoin('devices', 'devices.id', 'visits.device')
        .innerJoin('sites', 'sites.id', 'devices.site_id')
        .select(['visits.id', 'visits.technician_id', 'visits.starts_at', 'visits.ends_at', 'sites.lat', 'sites.lon'])
        .where('visits.tenant', '=', ticket.tenant)
        .where('visits.status', '=', 'booked')
        .where(
          'visits.technician_id',
          'in',
          techs.map((t) => t.id),
        )
        .where('visits.ends_at', '>', new Date(now - 24 * HOUR))
        .where('visits.starts_at', '<', new Date(horizonEnd))
        .execute()
    : [];
  const technicians: PlannerTechnician[] = techs.map((t) => ({
    id: t.id,
    name: t.name,
    skills: t.skills,
    home: { lat: t.home_lat, lon: t.home_lon },
    timezone: t.timezone,
    workingHours: t.working_hours as Partial<Record<Weekday, { start: string; end: string }[]>>,
    appointments: booked
      .filter((b) => b.technician_id === t.id)
      .map((b) => ({ startsAt: new Date(b.starts_at).getTime(), endsAt: new Date(b.ends_at).getTime(), location: { lat: b.lat, lon: b.lon }, label: b.id })),
  }));
  const request: VisitPlanRequest = {
    now,
    device: ticket.deviceId,
    mode: ticket.mode,
    rulLowerHours,
    dutyHoursPerDay: o.dutyHoursPerDay,
    requiredSkill: skill,
    site: { lat: row.lat, lon: row.lon },
    visitMinutes: o.visitMinutes,
    customer: {
      timezone: row.timezone,
      availability: row.availability,
      quietHours: row.quiet_start && row.quiet_end ? { start: row.quiet_start, end: row.quiet_end } : null,
    },
    technicians,
  };
  return { request, rulLowerHours, rulSource };
}

function toProposed(ticketId: string, s: RankedSlot): ProposedSlot {
  return {
    id: slotId(ticketId, s.technicianId, s.startsAt, s.endsAt),
    technicianId: s.technicianId,
    technicianName: s.technicianName,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    reason: s.reason,
    reasonCodes: s.reasonCodes,
    marginHours: s.marginHours,
  };
}

/**
 * Ranked visit slots for a ticket that end before the conservative failure deadline. Reads
 * only; nothing is held (the workflow records the slots it offers as `proposed` visits).
 */
export async function proposeSlotsForTicket(deps: DomainDeps, caller: Caller, ticketId: string, opts: VisitFlowOptions = {}): Promise<SlotProposal> {
  const ticket = await getTicket(deps, caller, ticketId);
  if (ticket.state === 'closed') throw new PrognosError('PRG_INVALID_TRANSITION', `ticket ${ticketId} is closed`);
  const { request, rulLowerHours, rulSource } = await buildPlanRequest(deps, ticket, opts);
  if (!request) return { slots: [], deadline: null, reason: 'no remaining-useful-life estimate for this device: a person must plan the visit', rulLowerHours, rulSource };
  const plan = planVisit(request, opts.planner);
  if (!plan.ok) return { slots: [], deadline: plan.deadline, reason: plan.reason, rulLowerHours, rulSource };
  return { slots: plan.slots.map((s) => toProposed(ticket.id, s)), deadline: plan.deadline, rulLowerHours, rulSource };
}

/** The booked visit of a ticket, if any. */
async function bookedVisitOf(deps: DomainDeps, t: Ticket): Promise<Visit | undefined> {
  const visits = await new VisitStore(deps.db, deps.clock).forTicket(systemFor(t.tenant, { kind: 'system', tenant: t.tenant, reason: 'read' }), t.tenant, t.id);
  return visits.find((v) => v.status === 'booked');
}

/** A customer may only take a slot the workflow offered them for this ticket. */
async function assertCustomerSlot(deps: DomainDeps, caller: Caller, t: Ticket, slot: SlotInput): Promise<SlotInput> {
  if (caller.kind !== 'customer') return slot;
  if (!slot.id) throw new PrognosError('PRG_BAD_REQUEST', 'choose one of the offered slots');
  const offered = await deps.db.selectFrom('visits').selectAll().where('id', '=', slot.id).where('tenant', '=', t.tenant).where('ticket_id', '=', t.id).executeTakeFirst();
  if (!offered || (offered.status !== 'proposed' && offered.status !== 'booked')) throw new PrognosError('PRG_BAD_REQUEST', 'this slot is no longer offered; ask for another time');
  return { id: offered.id, technicianId: offered.technician_id, startsAt: new Date(offered.starts_at).getTime(), endsAt: new Date(offered.ends_at).getTime() };
}

async function assertTechnician(deps: DomainDeps, tenant: string, technicianId: string): Promise<void> {
  const t = await deps.db.selectFrom('technicians').select('id').where('id', '=', technicianId).where('tenant', '=', tenant).executeTakeFirst();
  if (!t) throw new PrognosError('PRG_NOT_FOUND', `technician ${technicianId}`);
}

/** Writes the reminder and the visit-start job of a booked visit (idempotent). */
async function writeVisitJobs(deps: DomainDeps, t: Ticket, v: Visit, opts: VisitFlowOptions): Promise<void> {
  const o = { ...VISIT_FLOW_DEFAULTS, ...opts };
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (v.startsAt > now) await writeJob(trx, deps.clock, reminderJob, { tenant: t.tenant, ticketId: t.id, visitId: v.id }, Math.max(now, v.startsAt - o.reminderLeadHours * HOUR));
    await writeJob(trx, deps.clock, visitStartJob, { tenant: t.tenant, ticketId: t.id, visitId: v.id }, v.startsAt);
    await ensureWorkflowTicket(trx, t.tenant, t.id, now);
    await updateWorkflowTicket(trx, t.id, now, { phase: 'booked' });
  });
}

/** Cancels the ticket's other proposed visits (the offer is over once one is booked). */
async function retireProposals(deps: DomainDeps, t: Ticket, keep: string): Promise<void> {
  await deps.db.updateTable('visits').set({ status: 'cancelled' }).where('tenant', '=', t.tenant).where('ticket_id', '=', t.id).where('status', '=', 'proposed').where('id', '!=', keep).execute();
}

async function bookSlot(deps: DomainDeps, acting: Caller, t: Ticket, slot: SlotInput): Promise<Visit> {
  const store = new VisitStore(deps.db, deps.clock);
  let id = slot.id;
  if (id) {
    const prior = await deps.db.selectFrom('visits').select(['status', 'ticket_id']).where('id', '=', id).executeTakeFirst();
    // A slot id from an older, cancelled round: book the same time under a fresh id.
    if (prior && (prior.status === 'cancelled' || prior.status === 'done' || prior.ticket_id !== t.id)) id = undefined;
  }
  const r = await store.book(acting, { id, tenant: t.tenant, ticketId: t.id, device: t.deviceId, technicianId: slot.technicianId, startsAt: slot.startsAt, endsAt: slot.endsAt });
  if (!r.ok) throw new PrognosError('PRG_INVALID_TRANSITION', `the slot is no longer free: ${r.reason}`);
  return r.visit;
}

export interface BookVisitInput {
  ticketId: string;
  slot: SlotInput;
}

/**
 * Books a slot for a ticket: the visit atomically (no double booking), then the ticket →
 * scheduled, the reminder and visit-start jobs, and a `visit.booked` live event. Booking the
 * visit the ticket already has is a no-op that returns it.
 */
export async function bookVisit(deps: DomainDeps, caller: Caller, input: BookVisitInput, opts: VisitFlowOptions = {}): Promise<{ ticket: Ticket; visit: Visit }> {
  let t = await getTicket(deps, caller, input.ticketId);
  const acting = actingCaller(caller, t.tenant);
  const slot = await assertCustomerSlot(deps, caller, t, input.slot);
  if (caller.kind !== 'customer') await assertTechnician(deps, t.tenant, slot.technicianId);
  if (t.state === 'closed') throw new PrognosError('PRG_INVALID_TRANSITION', `ticket ${t.id} is closed (${t.outcome})`);
  if (t.state === 'scheduled' || t.state === 'in_progress') {
    const current = await bookedVisitOf(deps, t);
    const same = current && (current.id === slot.id || (current.technicianId === slot.technicianId && current.startsAt === slot.startsAt && current.endsAt === slot.endsAt));
    if (!same || !current) throw new PrognosError('PRG_INVALID_TRANSITION', `ticket ${t.id} already has a visit; reschedule it instead`);
    await writeVisitJobs(deps, t, current, opts);
    return { ticket: t, visit: current };
  }
  if (slot.startsAt <= deps.clock.now()) throw new PrognosError('PRG_INVALID_TRANSITION', 'this slot has already begun; choose a later one or ask for another time');
  const visit = await bookSlot(deps, acting, t, slot);
  await writeVisitJobs(deps, t, visit, opts);
  await retireProposals(deps, t, visit.id);
  const who = callerLabel(caller);
  if (t.state === 'open') t = await transitionTicket(deps, acting, { ticketId: t.id, action: { kind: 'triage' }, reason: `visit booked by ${who}` });
  if (t.state === 'triaged') t = await transitionTicket(deps, acting, { ticketId: t.id, action: { kind: 'propose_visit' }, reason: `visit booked by ${who}` });
  t = await transitionTicket(deps, acting, {
    ticketId: t.id,
    action: { kind: 'schedule', visitId: visit.id },
    reason: `visit ${visit.id} booked by ${who}`,
    detail: { visitId: visit.id, technicianId: visit.technicianId, startsAt: new Date(visit.startsAt).toISOString() },
  });
  publish(deps, 'visit.booked', t, { visitId: visit.id, technicianId: visit.technicianId, startsAt: visit.startsAt, endsAt: visit.endsAt, by: who });
  return { ticket: t, visit };
}

/** Moves a booked visit to another slot: the new one is booked first, then the old one cancelled. */
export async function rescheduleVisit(deps: DomainDeps, caller: Caller, input: { ticketId: string; visitId: string; slot: SlotInput }, opts: VisitFlowOptions = {}): Promise<{ ticket: Ticket; visit: Visit; cancelled: Visit | undefined }> {
  let t = await getTicket(deps, caller, input.ticketId);
  const acting = actingCaller(caller, t.tenant);
  const slot = await assertCustomerSlot(deps, caller, t, input.slot);
  if (caller.kind !== 'customer') await assertTechnician(deps, t.tenant, slot.technicianId);
  const store = new VisitStore(deps.db, deps.clock);
  const old = await store.get(acting, t.tenant, input.visitId);
  if (!old || old.ticketId !== t.id) throw new PrognosError('PRG_NOT_FOUND', `visit ${input.visitId}`);
  if (t.state !== 'scheduled') throw new PrognosError('PRG_INVALID_TRANSITION', `ticket ${t.id} is ${t.state}; only a scheduled visit can be moved`);
  if (old.status !== 'booked') throw new PrognosError('PRG_INVALID_TRANSITION', `visit ${old.id} is ${old.status}`);
  if (slot.startsAt <= deps.clock.now()) throw new PrognosError('PRG_INVALID_TRANSITION', 'this slot has already begun; choose a later one');
  const visit = await bookSlot(deps, acting, t, slot);
  await writeVisitJobs(deps, t, visit, opts);
  const cancelled = await store.cancel(acting, t.tenant, old.id);
  const who = callerLabel(caller);
  t = await transitionTicket(deps, acting, { ticketId: t.id, action: { kind: 'reschedule' }, reason: `visit ${old.id} moved by ${who}`, detail: { from: old.id } });
  t = await transitionTicket(deps, acting, {
    ticketId: t.id,
    action: { kind: 'schedule', visitId: visit.id },
    reason: `visit moved to ${new Date(visit.startsAt).toISOString()} by ${who}`,
    detail: { visitId: visit.id, from: old.id },
  });
  publish(deps, 'visit.rescheduled', t, { visitId: visit.id, from: old.id, startsAt: visit.startsAt, endsAt: visit.endsAt, by: who });
  return { ticket: t, visit, cancelled };
}

/**
 * Cancels a visit; the ticket goes back to proposing and a new planning round is queued
 * (new slots, a new message to the customer).
 */
export async function cancelVisit(deps: DomainDeps, caller: Caller, input: { ticketId: string; visitId: string; reason: string }): Promise<{ ticket: Ticket; visit: Visit | undefined; round: number }> {
  let t = await getTicket(deps, caller, input.ticketId);
  const acting = actingCaller(caller, t.tenant);
  if (!input.reason?.trim()) throw new PrognosError('PRG_BAD_REQUEST', 'a cancellation needs a reason');
  const store = new VisitStore(deps.db, deps.clock);
  const v = await store.get(acting, t.tenant, input.visitId);
  if (!v || v.ticketId !== t.id) throw new PrognosError('PRG_NOT_FOUND', `visit ${input.visitId}`);
  if (t.state === 'closed' || t.state === 'in_progress') throw new PrognosError('PRG_INVALID_TRANSITION', `ticket ${t.id} is ${t.state}; the visit cannot be cancelled`);
  const visit = await store.cancel(acting, t.tenant, v.id);
  const who = callerLabel(caller);
  if (t.state === 'scheduled') t = await transitionTicket(deps, acting, { ticketId: t.id, action: { kind: 'reschedule' }, reason: `visit ${v.id} cancelled by ${who}: ${input.reason}`, detail: { visitId: v.id } });
  const now = deps.clock.now();
  const round = await deps.db.transaction().execute(async (trx) => {
    const r = await nextRound(trx, t.tenant, t.id, now);
    await writeJob(trx, deps.clock, visitPlanJob, { tenant: t.tenant, ticketId: t.id, round: r });
    return r;
  });
  publish(deps, 'visit.cancelled', t, { visitId: v.id, reason: input.reason, by: who, replanRound: round });
  return { ticket: t, visit, round };
}

export interface CalendarEntry {
  id: string;
  ticketId: string | null;
  deviceId: string;
  customerId: string;
  technicianId: string;
  technicianName: string;
  startsAt: number;
  endsAt: number;
  status: Visit['status'];
}

/**
 * The visit calendar (booked and done visits, and open proposals), oldest first. Engineers see
 * their tenant, customers the visits at their own devices, admins any tenant.
 */
export async function listVisits(deps: DomainDeps, caller: Caller, input: { from?: number; to?: number; technicianId?: string; tenant?: string; status?: Visit['status'][] } = {}): Promise<CalendarEntry[]> {
  const tenant = listTenant(caller, input.tenant);
  let q = deps.db
    .selectFrom('visits')
    .innerJoin('devices', 'devices.id', 'visits.device')
    .leftJoin('technicians', (j) => j.onRef('technicians.id', '=', 'visits.technician_id').onRef('technicians.tenant', '=', 'visits.tenant'))
    .select(['visits.id', 'visits.ticket_id', 'visits.device', 'devices.customer_id', 'visits.technician_id', 'technicians.name', 'visits.starts_at', 'visits.ends_at', 'visits.status'])
    .where('visits.status', 'in', input.status?.length ? input.status : ['booked', 'done', 'proposed']);
  if (tenant !== undefined) q = q.where('visits.tenant', '=', tenant);
  if (caller.kind === 'customer') q = q.where('devices.customer_id', '=', caller.customerId);
  if (input.technicianId !== undefined) q = q.where('visits.technician_id', '=', input.technicianId);
  if (input.from !== undefined) q = q.where('visits.ends_at', '>', new Date(input.from));
  if (input.to !== undefined) q = q.where('visits.starts_at', '<', new Date(input.to));
  const rows = await q.orderBy('visits.starts_at').orderBy('visits.id').limit(1000).execute();
  return rows.map((r) => ({
    id: r.id,
    ticketId: r.ticket_id,
    deviceId: r.device,
    customerId: r.customer_id,
    technicianId: r.technician_id,
    technicianName: r.name ?? r.technician_id,
    startsAt: new Date(r.starts_at).getTime(),
    endsAt: new Date(r.ends_at).getTime(),
    status: r.status as Visit['status'],
  }));
}

async function visitForCaller(deps: DomainDeps, caller: Caller, visitId: string): Promise<{ visit: Visit; ticket: Ticket }> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers do not start or complete visits');
  const row = await deps.db.selectFrom('visits').selectAll().where('id', '=', visitId).executeTakeFirst();
  const v = readable(caller, row && { ...row, customerId: null }, `visit ${visitId}`);
  if (!v.ticket_id) throw new PrognosError('PRG_BAD_REQUEST', `visit ${visitId} belongs to no ticket`);
  const visit = (await new VisitStore(deps.db, deps.clock).get(caller, v.tenant, v.id))!;
  return { visit, ticket: await getTicket(deps, caller, v.ticket_id) };
}

/** The technician is on site: the ticket goes in progress (idempotent). */
export async function startVisit(deps: DomainDeps, caller: Caller, input: { visitId: string }): Promise<{ ticket: Ticket; visit: Visit }> {
  const { visit, ticket } = await visitForCaller(deps, caller, input.visitId);
  let t = ticket;
  if (visit.status !== 'booked' && visit.status !== 'done') throw new PrognosError('PRG_INVALID_TRANSITION', `visit ${visit.id} is ${visit.status}`);
  if (t.state === 'scheduled') {
    t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'start_visit' }, reason: `technician ${visit.technicianId} on site (visit ${visit.id})`, detail: { visitId: visit.id } });
    publish(deps, 'visit.started', t, { visitId: visit.id, technicianId: visit.technicianId });
  } else if (t.state !== 'in_progress') {
    throw new PrognosError('PRG_INVALID_TRANSITION', `ticket ${t.id} is ${t.state}; visit ${visit.id} cannot start`);
  }
  return { ticket: t, visit };
}

/**
 * The technician finished: the visit is done, the ticket records it (and the close-out, the
 * label the models retrain on), and a verification job is queued: the ticket closes
 * `resolved_verified` only when telemetry after the visit shows the risk down.
 */
export async function completeVisit(
  deps: DomainDeps,
  caller: Caller,
  input: { visitId: string; closeOut?: Omit<CloseOutInput, 'ticketId'> },
  opts: VisitFlowOptions = {},
): Promise<{ ticket: Ticket; visit: Visit; verifyAt: number }> {
  const o = { ...VISIT_FLOW_DEFAULTS, ...opts };
  let { visit, ticket: t } = await startVisit(deps, caller, { visitId: input.visitId });
  if (visit.status === 'booked') visit = (await new VisitStore(deps.db, deps.clock).markDone(caller, t.tenant, visit.id)) ?? visit;
  if (t.visitCompletedAt === null) {
    t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'complete_visit' }, reason: `visit ${visit.id} completed by ${callerLabel(caller)}`, detail: { visitId: visit.id } });
  }
  if (input.closeOut) await recordCloseOut(deps, caller, { ...input.closeOut, ticketId: t.id, technicianId: input.closeOut.technicianId ?? visit.technicianId });
  const now = deps.clock.now();
  const verifyAt = Math.max(now, new Date(t.visitCompletedAt ?? now).getTime()) + o.verifyAfterHours * HOUR;
  await deps.db.transaction().execute(async (trx) => {
    await writeJob(trx, deps.clock, verifyJob, { tenant: t.tenant, ticketId: t.id, visitId: visit.id, attempt: 0 }, verifyAt);
    await ensureWorkflowTicket(trx, t.tenant, t.id, now);
    await updateWorkflowTicket(trx, t.id, now, { phase: 'done' });
  });
  publish(deps, 'visit.completed', t, { visitId: visit.id, verifyAt });
  return { ticket: t, visit, verifyAt };
}
