import { z } from 'zod';
import { type Caller, callerLabel } from '../platform/caller.ts';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Db } from '../platform/sql/database.ts';
import { assertCanWrite, listCustomer, listTenant, readable } from './caller-scope.ts';
import type { Criticality } from './fleet-schema.ts';
import { decideTier, SECURITY_SENSITIVE_ACTIONS, type Tier, TIERS } from './service-tier.ts';
import { SEVERITIES, type SlaBreach } from './sla-clock.ts';
import { type Actor, type AuditEntry, type Ticket, TicketStore, toTicket } from './ticket-store.ts';
import { type CloseOutcome, OUTCOMES, type Outcome, type ResolutionEvidence, type TicketAction, TICKET_STATES, type TicketState } from './ticket-state.ts';

/**
 * The ticket use-cases the API, the BullMQ workers and the assistant call alike: plain async
 * functions taking (deps, caller, input). Inputs are validated by the zod schemas below (the
 * assistant's tool parameters can come from the same schemas).
 */

export interface TicketDeps {
  db: Db;
  clock: Clock;
}

const store = (deps: TicketDeps) => new TicketStore(deps.db, deps.clock);

function actorOf(caller: Caller, tenant: string): Actor {
  assertCanWrite(caller, tenant);
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers cannot change tickets');
  return { label: callerLabel(caller), kind: caller.kind };
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new PrognosError('PRG_BAD_REQUEST', r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; '));
}

/** A ticket the caller may read, or PRG_NOT_FOUND (another tenant's or customer's ticket does not exist for them). */
async function readableTicket(deps: TicketDeps, caller: Caller, id: string): Promise<Ticket> {
  return readable(caller, await store(deps).get(id), `ticket ${id}`);
}

export const OpenTicketInputSchema = z.object({
  episodeId: z.string().min(1).max(200),
  device: z.string().min(1).max(64),
  mode: z.string().min(1).max(64),
  severity: z.enum(SEVERITIES),
  risk: z.number().min(0).max(1),
  /** The model's decision threshold for the mode, when known (confidence is judged against it). */
  threshold: z.number().min(0).max(1).optional(),
  rulHours: z.number().nonnegative().nullable(),
  /** A security-sensitive action the remedy involves (forces the human tier). */
  securitySensitiveAction: z.enum(SECURITY_SENSITIVE_ACTIONS).optional(),
});
export type OpenTicketInput = z.input<typeof OpenTicketInputSchema>;

/**
 * Opens the ticket for an alert episode, idempotently (one per episode, enforced by a unique
 * constraint). The service tier is decided from the failure mode, the device's criticality, the
 * customer's flag and the prediction's confidence.
 */
export async function openTicketForEpisode(deps: TicketDeps, caller: Caller, input: OpenTicketInput): Promise<{ ticket: Ticket; created: boolean }> {
  const i = parse(OpenTicketInputSchema, input);
  const device = await deps.db
    .selectFrom('devices')
    .innerJoin('customers', 'customers.id', 'devices.customer_id')
    .select(['devices.tenant', 'devices.customer_id', 'devices.criticality', 'customers.needs_human'])
    .where('devices.id', '=', i.device)
    .executeTakeFirst();
  if (!device || (caller.kind !== 'admin' && caller.tenant !== device.tenant)) throw new PrognosError('PRG_NOT_FOUND', `device ${i.device} is not in the fleet registry`);
  const actor = actorOf(caller, device.tenant);
  const existing = await store(deps).getByEpisode(i.episodeId);
  if (existing) {
    if (existing.tenant !== device.tenant || existing.deviceId !== i.device || existing.mode !== i.mode) {
      throw new PrognosError('PRG_BAD_REQUEST', `episode ${i.episodeId} already has a ticket for another device or mode`);
    }
    return { ticket: existing, created: false };
  }
  const tier = decideTier({
    mode: i.mode,
    deviceCriticality: device.criticality as Criticality,
    customerNeedsHuman: device.needs_human,
    risk: i.risk,
    threshold: i.threshold,
    securitySensitiveAction: i.securitySensitiveAction,
  });
  return store(deps).openForEpisode(
    {
      tenant: device.tenant,
      deviceId: i.device,
      customerId: device.customer_id,
      mode: i.mode,
      episodeId: i.episodeId,
      severity: i.severity,
      risk: i.risk,
      rulHours: i.rulHours,
      tier: tier.tier,
      tierReason: tier.reason,
    },
    actor.label,
    `alert episode ${i.episodeId}: ${i.mode} risk ${i.risk.toFixed(2)}`,
  );
}

export async function getTicket(deps: TicketDeps, caller: Caller, id: string): Promise<Ticket> {
  return readableTicket(deps, caller, id);
}

/** The ticket's audit trail, oldest first (same visibility as the ticket). */
export async function getTicketAudit(deps: TicketDeps, caller: Caller, id: string): Promise<AuditEntry[]> {
  await readableTicket(deps, caller, id);
  return store(deps).auditTrail(id);
}

export const TicketFilterSchema = z.object({
  tenant: z.string().optional(),
  customerId: z.string().optional(),
  deviceId: z.string().optional(),
  state: z.enum(TICKET_STATES).optional(),
  /** Only tickets not closed. */
  active: z.boolean().optional(),
  tier: z.enum(TIERS).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type TicketFilter = z.input<typeof TicketFilterSchema>;

/** Newest first. Engineers see their tenant, customers their own tickets, admins everything. */
export async function listTickets(deps: TicketDeps, caller: Caller, filter: TicketFilter = {}): Promise<Ticket[]> {
  const f = parse(TicketFilterSchema, filter);
  const tenant = listTenant(caller, f.tenant);
  const customer = listCustomer(caller, f.customerId);
  let q = deps.db.selectFrom('tickets').selectAll();
  if (tenant !== undefined) q = q.where('tenant', '=', tenant);
  if (customer !== undefined) q = q.where('customer_id', '=', customer);
  if (f.deviceId !== undefined) q = q.where('device_id', '=', f.deviceId);
  if (f.state !== undefined) q = q.where('state', '=', f.state);
  if (f.active) q = q.where('state', '!=', 'closed');
  if (f.tier !== undefined) q = q.where('tier', '=', f.tier);
  const rows = await q.orderBy('opened_at', 'desc').orderBy('id').limit(f.limit).execute();
  const now = deps.clock.now();
  return rows.map((r) => toTicket(r, now));
}

const MoveSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('triage') }),
  z.object({ kind: z.literal('propose_visit') }),
  z.object({ kind: z.literal('decline') }),
  z.object({ kind: z.literal('schedule'), visitId: z.string().min(1) }),
  z.object({ kind: z.literal('reschedule') }),
  z.object({ kind: z.literal('start_visit') }),
  z.object({ kind: z.literal('complete_visit') }),
  z.object({ kind: z.literal('escalate') }),
]);

export const TransitionInputSchema = z.object({
  ticketId: z.string().min(1),
  action: MoveSchema,
  /** Why (kept in the audit trail). */
  reason: z.string().trim().min(1).max(2000),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type TransitionInput = z.input<typeof TransitionInputSchema>;

/** Any transition but closing (see {@link closeTicket}). */
export async function transitionTicket(deps: TicketDeps, caller: Caller, input: TransitionInput): Promise<Ticket> {
  const i = parse(TransitionInputSchema, input);
  const t = await readableTicket(deps, caller, i.ticketId);
  return store(deps).apply(t.id, i.action as TicketAction, actorOf(caller, t.tenant), i.reason, i.detail);
}

const EvidenceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('telemetry'), postRisk: z.number().min(0).max(1), exitThreshold: z.number().min(0).max(1), measuredAt: z.number().int() }),
  z.object({ kind: z.literal('engineer_confirmed'), reason: z.string().trim().min(1).max(2000) }),
]);

export const CloseInputSchema = z.object({
  ticketId: z.string().min(1),
  outcome: z.enum(OUTCOMES.filter((o): o is CloseOutcome => o !== 'repeat_within_14d') as [CloseOutcome, ...CloseOutcome[]]),
  evidence: EvidenceSchema.optional(),
  reason: z.string().trim().min(1).max(2000),
});
export type CloseInput = z.input<typeof CloseInputSchema>;

/**
 * Closes with an honest outcome: `resolved_verified` needs the visit done and either telemetry
 * after it with the risk under the exit threshold, or an engineer's confirmation with a reason.
 */
export async function closeTicket(deps: TicketDeps, caller: Caller, input: CloseInput): Promise<Ticket> {
  const i = parse(CloseInputSchema, input);
  const t = await readableTicket(deps, caller, i.ticketId);
  const evidence = i.evidence as ResolutionEvidence | undefined;
  return store(deps).apply(t.id, { kind: 'close', outcome: i.outcome, evidence }, actorOf(caller, t.tenant), i.reason);
}

export const SlaChangeInputSchema = z.object({ ticketId: z.string().min(1), reason: z.string().trim().min(1).max(2000) });

/** Stops the SLA clock, e.g. while waiting for the customer's answer. */
export async function pauseSla(deps: TicketDeps, caller: Caller, input: z.input<typeof SlaChangeInputSchema>): Promise<Ticket> {
  const i = parse(SlaChangeInputSchema, input);
  const t = await readableTicket(deps, caller, i.ticketId);
  return store(deps).pauseSla(t.id, actorOf(caller, t.tenant), i.reason);
}

export async function resumeSla(deps: TicketDeps, caller: Caller, input: z.input<typeof SlaChangeInputSchema>): Promise<Ticket> {
  const i = parse(SlaChangeInputSchema, input);
  const t = await readableTicket(deps, caller, i.ticketId);
  return store(deps).resumeSla(t.id, actorOf(caller, t.tenant), i.reason);
}

/**
 * Records SLA breaches that have happened by the clock's now on the open tickets of the
 * caller's tenant (an admin: of `tenant`, or all). Each breach becomes one `sla_breach` audit event.
 */
export async function checkSlaBreaches(deps: TicketDeps, caller: Caller, input: { tenant?: string } = {}): Promise<{ ticketId: string; breach: SlaBreach }[]> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers cannot run SLA checks');
  const tenant = listTenant(caller, input.tenant);
  return store(deps).checkBreaches(tenant, callerLabel(caller));
}

export const CloseOutInputSchema = z.object({
  ticketId: z.string().min(1),
  /** The failure mode the technician found; null when nothing was wrong. */
  confirmedMode: z.string().min(1).max(64).nullable(),
  parts: z.array(z.string().min(1).max(200)).max(100).default([]),
  findings: z.string().max(10_000).default(''),
  technicianId: z.string().min(1).nullable().default(null),
});
export type CloseOutInput = z.input<typeof CloseOutInputSchema>;

/** Stores the technician's structured close-out: the label the models retrain on (view `retraining_labels`). */
export async function recordCloseOut(deps: TicketDeps, caller: Caller, input: CloseOutInput): Promise<void> {
  const i = parse(CloseOutInputSchema, input);
  const t = await readableTicket(deps, caller, i.ticketId);
  await store(deps).recordCloseOut(t.id, { confirmedMode: i.confirmedMode, parts: i.parts, findings: i.findings, technicianId: i.technicianId }, actorOf(caller, t.tenant));
}

export interface TierMetrics {
  tier: Tier;
  total: number;
  byState: Partial<Record<TicketState, number>>;
  byOutcome: Partial<Record<Outcome, number>>;
}

/** Ticket counts per service tier, by state and by outcome (engineers: their tenant; admins: any or all). */
export async function tierMetrics(deps: TicketDeps, caller: Caller, input: { tenant?: string; sinceMs?: number } = {}): Promise<TierMetrics[]> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers do not read tier metrics');
  const tenant = listTenant(caller, input.tenant);
  let q = deps.db
    .selectFrom('tickets')
    .select((eb) => ['tier', 'state', 'outcome', eb.fn.countAll<string>().as('n')])
    .groupBy(['tier', 'state', 'outcome']);
  if (tenant !== undefined) q = q.where('tenant', '=', tenant);
  if (input.sinceMs !== undefined) q = q.where('opened_at', '>=', new Date(input.sinceMs));
  const rows = await q.execute();
  return TIERS.map((tier) => {
    const m: TierMetrics = { tier, total: 0, byState: {}, byOutcome: {} };
    for (const r of rows.filter((r) => r.tier === tier)) {
      const n = Number(r.n);
      m.total += n;
      const s = r.state as TicketState;
      m.byState[s] = (m.byState[s] ?? 0) + n;
      if (r.outcome !== null) m.byOutcome[r.outcome as Outcome] = (m.byOutcome[r.outcome as Outcome] ?? 0) + n;
    }
    return m;
  });
}
