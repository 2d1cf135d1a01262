import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TIERS } from '../../maintenance/service-tier.ts';
import { TICKET_STATES } from '../../maintenance/ticket-state.ts';
import type { Ticket } from '../../maintenance/ticket-store.ts';
import {
  CloseInputSchema,
  CloseOutInputSchema,
  closeTicket,
  getTicket,
  getTicketAudit,
  listTickets,
  recordCloseOut,
  TransitionInputSchema,
  transitionTicket,
} from '../../maintenance/ticket-use-cases.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import type { Db } from '../../platform/sql/database.ts';
import { requireCaller } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const TicketParams = z.object({ id: z.string().min(1).max(200) });

export const VisitViewSchema = z
  .object({
    id: z.string(),
    ticketId: z.string().nullable(),
    device: z.string(),
    technicianId: z.string(),
    technicianName: z.string().nullable(),
    startsAt: z.number().meta({ description: 'epoch ms' }),
    endsAt: z.number().meta({ description: 'epoch ms' }),
    status: z.string().meta({ description: 'proposed | booked | cancelled | done' }),
  })
  .meta({ id: 'Visit' });
export type VisitView = z.infer<typeof VisitViewSchema>;

export const TicketViewSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    device: z.string(),
    customerId: z.string(),
    mode: z.string(),
    episodeId: z.string().nullable(),
    severity: z.string(),
    risk: z.number(),
    rulHours: z.number().nullable(),
    state: z.enum(TICKET_STATES),
    outcome: z.string().nullable(),
    tier: z.enum(TIERS),
    tierReason: z.string(),
    repeatOf: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    respondedAt: z.string().nullable(),
    visitCompletedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    sla: z.object({ paused: z.boolean(), responseDueAt: z.number(), resolutionDueAt: z.number(), responseBreached: z.boolean(), resolutionBreached: z.boolean() }),
    visit: VisitViewSchema.nullable().meta({ description: 'the booked (or done, or newest proposed) visit' }),
  })
  .meta({ id: 'Ticket' });

const AuditSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  fromState: z.string().nullable(),
  toState: z.string().nullable(),
  reason: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

const ListQuery = z.object({
  state: z.enum(TICKET_STATES).optional(),
  tier: z.enum(TIERS).optional(),
  device: z.string().max(64).optional(),
  active: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .meta({ description: 'only tickets not closed' }),
  tenant: z.string().max(64).optional().meta({ description: 'admins only (default all)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const VISIT_PREFERENCE: Record<string, number> = { booked: 3, done: 2, proposed: 1, cancelled: 0 };

/**
 * The visit shown on each ticket. Called only for tickets the caller was allowed to read (the
 * use-case checked), so it reads the visits table directly: customers see their visit's time
 * and status too, which VisitStore (engineers only) would refuse.
 */
export async function ticketVisits(db: Db, tickets: readonly Pick<Ticket, 'id' | 'tenant'>[]): Promise<Map<string, VisitView>> {
  const out = new Map<string, VisitView>();
  if (tickets.length === 0) return out;
  const rows = await db
    .selectFrom('visits')
    .leftJoin('technicians', (j) => j.onRef('technicians.id', '=', 'visits.technician_id').onRef('technicians.tenant', '=', 'visits.tenant'))
    .select(['visits.id', 'visits.tenant', 'visits.ticket_id', 'visits.device', 'visits.technician_id', 'visits.starts_at', 'visits.ends_at', 'visits.status', 'visits.created_at', 'technicians.name as technician_name'])
    .where('visits.ticket_id', 'in', tickets.map((t) => t.id))
    .where('visits.status', '!=', 'cancelled')
    .orderBy('visits.created_at')
    .execute();
  const tenantOf = new Map(tickets.map((t) => [t.id, t.tenant]));
  for (const r of rows) {
    if (r.ticket_id === null || tenantOf.get(r.ticket_id) !== r.tenant) continue;
    const prev = out.get(r.ticket_id);
    // Later rows win at equal preference: the newest proposal, the newest booking.
    if (prev && (VISIT_PREFERENCE[prev.status] ?? 0) > (VISIT_PREFERENCE[r.status] ?? 0)) continue;
    out.set(r.ticket_id, {
      id: r.id,
      ticketId: r.ticket_id,
      device: r.device,
      technicianId: r.technician_id,
      technicianName: r.technician_name,
      startsAt: new Date(r.starts_at).getTime(),
      endsAt: new Date(r.ends_at).getTime(),
      status: r.status,
    });
  }
  return out;
}

export function ticketView(t: Ticket, visit: VisitView | undefined): z.infer<typeof TicketViewSchema> {
  const { deviceId, openedAt, ...rest } = t;
  return { ...rest, device: deviceId, createdAt: openedAt, visit: visit ?? null };
}

/**
 * Tickets: the board (newest first, filtered), one ticket with its audit trail and visit, and
 * the changes engineers make (transition, close with an honest outcome, the technician's
 * close-out). Customers read their own tickets only; every change announces `ticket.updated`.
 */
export function ticketRoutes(deps: DomainDeps): FastifyPluginAsyncZod {
  const announce = (t: Ticket, action: string) =>
    deps.events.publish({ type: 'ticket.updated', tenant: t.tenant, customerId: t.customerId, data: { id: t.id, device: t.deviceId, mode: t.mode, state: t.state, outcome: t.outcome, action } });

  const oneTicket = async (t: Ticket) => ticketView(t, (await ticketVisits(deps.db, [t])).get(t.id));

  return async (app) => {
    app.get(
      '/api/v1/tickets',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Tickets, newest first (engineers: their tenant; customers: their own)',
          security,
          querystring: ListQuery,
          response: { 200: z.object({ tickets: z.array(TicketViewSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        const q = req.query;
        const tickets = await listTickets(deps, requireCaller(req), { state: q.state, tier: q.tier, deviceId: q.device, active: q.active, tenant: q.tenant, limit: q.limit });
        const visits = await ticketVisits(deps.db, tickets);
        return { tickets: tickets.map((t) => ticketView(t, visits.get(t.id))) };
      },
    );

    app.get(
      '/api/v1/tickets/:id',
      {
        schema: {
          tags: ['tickets'],
          summary: 'One ticket with its audit trail (oldest first) and visit',
          security,
          params: TicketParams,
          response: { 200: TicketViewSchema.extend({ audit: z.array(AuditSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        const caller = requireCaller(req);
        const t = await getTicket(deps, caller, req.params.id);
        const audit = await getTicketAudit(deps, caller, t.id);
        return { ...(await oneTicket(t)), audit: audit.map(({ at, actor, action, fromState, toState, reason, detail }) => ({ at, actor, action, fromState, toState, reason, detail })) };
      },
    );

    app.post(
      '/api/v1/tickets/:id/transition',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Moves a ticket (triage, propose_visit, decline, schedule, reschedule, start_visit, complete_visit, escalate); closing is /close',
          security,
          params: TicketParams,
          body: TransitionInputSchema.omit({ ticketId: true }),
          response: { 200: TicketViewSchema, ...errorResponses },
        },
      },
      async (req) => {
        const t = await transitionTicket(deps, requireCaller(req), { ...req.body, ticketId: req.params.id });
        announce(t, req.body.action.kind);
        return oneTicket(t);
      },
    );

    app.post(
      '/api/v1/tickets/:id/close',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Closes with an honest outcome (resolved_verified needs the visit done and evidence)',
          security,
          params: TicketParams,
          body: CloseInputSchema.omit({ ticketId: true }),
          response: { 200: TicketViewSchema, ...errorResponses },
        },
      },
      async (req) => {
        const t = await closeTicket(deps, requireCaller(req), { ...req.body, ticketId: req.params.id });
        announce(t, 'close');
        return oneTicket(t);
      },
    );

    app.post(
      '/api/v1/tickets/:id/close-out',
      {
        schema: {
          tags: ['tickets'],
          summary: "The technician's structured close-out (confirmed mode, parts, findings): the retraining label",
          security,
          params: TicketParams,
          body: CloseOutInputSchema.omit({ ticketId: true }),
          response: { 200: TicketViewSchema, ...errorResponses },
        },
      },
      async (req) => {
        const caller = requireCaller(req);
        await recordCloseOut(deps, caller, { ...req.body, ticketId: req.params.id });
        const t = await getTicket(deps, caller, req.params.id);
        announce(t, 'close_out');
        return oneTicket(t);
      },
    );
  };
}
