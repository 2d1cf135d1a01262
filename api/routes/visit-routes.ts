import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getTechnician } from '../../maintenance/fleet-registry.ts';
import { CloseOutInputSchema } from '../../maintenance/ticket-use-cases.ts';
import type { Ticket } from '../../maintenance/ticket-store.ts';
import type { Visit } from '../../maintenance/visit-store.ts';
import { bookVisit, type CalendarEntry, cancelVisit, completeVisit, listVisits, proposeSlotsForTicket, rescheduleVisit, startVisit, type VisitFlowOptions } from '../../workflows/visit-use-cases.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { PrognosError } from '../../platform/errors.ts';
import { requireCaller } from '../caller-access.ts';
import { ErrorBody, errorResponses } from '../error-reply.ts';
import { TicketViewSchema, ticketView, ticketVisits, type VisitView, VisitViewSchema } from './ticket-routes.ts';

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
/** Also 409 (PRG_INVALID_TRANSITION): the ticket's state or the technician's calendar forbids it. */
const responses = { ...errorResponses, 409: ErrorBody } as const;
const TicketParams = z.object({ id: z.string().min(1).max(200) });
const VisitParams = z.object({ id: z.string().min(1).max(200) });

const SlotInput = z.object({
  id: z.string().min(1).max(200).optional().meta({ description: 'the proposed slot id (customers must give one that was offered)' }),
  technicianId: z.string().min(1).max(64),
  startsAt: z.number().int().meta({ description: 'epoch ms' }),
  endsAt: z.number().int().meta({ description: 'epoch ms' }),
});

const ProposedSlot = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    technicianName: z.string(),
    startsAt: z.number(),
    endsAt: z.number(),
    reason: z.string(),
    reasonCodes: z.array(z.string()),
    marginHours: z.number().meta({ description: 'hours between the visit end and the conservative failure deadline' }),
  })
  .meta({ id: 'ProposedSlot' });

const CalendarQuery = z.object({
  from: z.coerce.number().int().optional().meta({ description: 'epoch ms: visits ending after this' }),
  to: z.coerce.number().int().optional().meta({ description: 'epoch ms: visits starting before this' }),
  technician: z.string().max(64).optional(),
  status: z
    .string()
    .regex(/^(proposed|booked|cancelled|done)(,(proposed|booked|cancelled|done))*$/)
    .optional()
    .meta({ description: 'comma-separated statuses; default booked,done,proposed' }),
  tenant: z.string().max(64).optional().meta({ description: 'admins only' }),
});

const CalendarVisit = VisitViewSchema.extend({ customerId: z.string() });

const calendarView = (e: CalendarEntry): z.infer<typeof CalendarVisit> => ({
  id: e.id,
  ticketId: e.ticketId,
  device: e.deviceId,
  customerId: e.customerId,
  technicianId: e.technicianId,
  technicianName: e.technicianName,
  startsAt: e.startsAt,
  endsAt: e.endsAt,
  status: e.status,
});

const statuses = (s: string | undefined) => s?.split(',') as CalendarEntry['status'][] | undefined;

/**
 * Visits over workflows/visit-use-cases.ts: slots for a ticket (ending before the conservative
 * failure deadline), booking, moving and cancelling a ticket's visit, the technician on site and
 * done, the calendar, and one technician's calendar. The use-cases publish the `visit.*` events.
 */
export function visitRoutes(deps: DomainDeps, flow: VisitFlowOptions = {}): FastifyPluginAsyncZod {
  const TicketAndVisit = z.object({ ticket: TicketViewSchema, visit: VisitViewSchema });
  /** The ticket as the board shows it, and the visit the use-case acted on. */
  const answer = async (t: Ticket, v: Visit) => {
    const tech = await deps.db.selectFrom('technicians').select('name').where('tenant', '=', v.tenant).where('id', '=', v.technicianId).executeTakeFirst();
    const visit: VisitView = { id: v.id, ticketId: v.ticketId, device: v.device, technicianId: v.technicianId, technicianName: tech?.name ?? null, startsAt: v.startsAt, endsAt: v.endsAt, status: v.status };
    return { ticket: ticketView(t, (await ticketVisits(deps.db, [t])).get(t.id)), visit };
  };

  return async (app) => {
    app.get(
      '/api/v1/tickets/:id/slots',
      {
        schema: {
          tags: ['visits'],
          summary: 'Ranked visit slots that end before the conservative failure deadline (reads only; nothing is held)',
          security,
          params: TicketParams,
          response: {
            200: z.object({
              slots: z.array(ProposedSlot),
              deadline: z.number().nullable(),
              reason: z.string().optional().meta({ description: 'why there are no slots' }),
              rulLowerHours: z.number().nullable(),
              rulSource: z.enum(['prediction', 'ticket', 'none']),
            }),
            ...responses,
          },
        },
      },
      async (req) => proposeSlotsForTicket(deps, requireCaller(req), req.params.id, flow),
    );

    app.post(
      '/api/v1/tickets/:id/visit',
      {
        schema: {
          tags: ['visits'],
          summary: 'Books a slot for the ticket (no double booking); the ticket becomes scheduled',
          security,
          params: TicketParams,
          body: z.object({ slot: SlotInput }),
          response: { 200: TicketAndVisit, ...responses },
        },
      },
      async (req) => {
        const r = await bookVisit(deps, requireCaller(req), { ticketId: req.params.id, slot: req.body.slot }, flow);
        return answer(r.ticket, r.visit);
      },
    );

    app.post(
      '/api/v1/tickets/:id/visit/reschedule',
      {
        schema: {
          tags: ['visits'],
          summary: "Moves the ticket's booked visit to another slot (the new one is booked first)",
          security,
          params: TicketParams,
          body: z.object({ visitId: z.string().min(1).max(200), slot: SlotInput }),
          response: { 200: TicketAndVisit, ...responses },
        },
      },
      async (req) => {
        const r = await rescheduleVisit(deps, requireCaller(req), { ticketId: req.params.id, visitId: req.body.visitId, slot: req.body.slot }, flow);
        return answer(r.ticket, r.visit);
      },
    );

    app.post(
      '/api/v1/tickets/:id/visit/cancel',
      {
        schema: {
          tags: ['visits'],
          summary: 'Cancels the visit; the ticket goes back to proposing and a new planning round is queued',
          security,
          params: TicketParams,
          body: z.object({ visitId: z.string().min(1).max(200), reason: z.string().trim().min(1).max(2000) }),
          response: { 200: TicketAndVisit.extend({ round: z.number().int() }), ...responses },
        },
      },
      async (req) => {
        const r = await cancelVisit(deps, requireCaller(req), { ticketId: req.params.id, visitId: req.body.visitId, reason: req.body.reason });
        if (!r.visit) throw new PrognosError('PRG_INVALID_TRANSITION', `visit ${req.body.visitId} was not open`);
        return { ...(await answer(r.ticket, r.visit)), round: r.round };
      },
    );

    app.post(
      '/api/v1/visits/:id/start',
      {
        schema: { tags: ['visits'], summary: 'The technician is on site: the ticket goes in progress', security, params: VisitParams, response: { 200: TicketAndVisit, ...responses } },
      },
      async (req) => {
        const r = await startVisit(deps, requireCaller(req), { visitId: req.params.id });
        return answer(r.ticket, r.visit);
      },
    );

    app.post(
      '/api/v1/visits/:id/complete',
      {
        schema: {
          tags: ['visits'],
          summary: "The technician finished (with the optional close-out); verification from telemetry is queued",
          security,
          params: VisitParams,
          body: z.object({ closeOut: CloseOutInputSchema.omit({ ticketId: true }).optional() }),
          response: { 200: TicketAndVisit.extend({ verifyAt: z.number() }), ...responses },
        },
      },
      async (req) => {
        const r = await completeVisit(deps, requireCaller(req), { visitId: req.params.id, closeOut: req.body.closeOut }, flow);
        return { ...(await answer(r.ticket, r.visit)), verifyAt: r.verifyAt };
      },
    );

    app.get(
      '/api/v1/visits',
      {
        schema: {
          tags: ['visits'],
          summary: 'The visit calendar, soonest first (engineers: their tenant; customers: visits at their devices)',
          security,
          querystring: CalendarQuery,
          response: { 200: z.object({ visits: z.array(CalendarVisit) }), ...responses },
        },
      },
      async (req) => {
        const q = req.query;
        const visits = await listVisits(deps, requireCaller(req), { from: q.from, to: q.to, technicianId: q.technician, tenant: q.tenant, status: statuses(q.status) });
        return { visits: visits.map(calendarView) };
      },
    );

    app.get(
      '/api/v1/technicians/:id/calendar',
      {
        schema: {
          tags: ['visits'],
          summary: "One technician's visits and working hours (engineers of the tenant and admins)",
          security,
          params: z.object({ id: z.string().min(1).max(64) }),
          querystring: CalendarQuery.omit({ technician: true, tenant: true }),
          response: {
            200: z.object({
              technician: z.object({ id: z.string(), name: z.string(), skills: z.array(z.string()), timezone: z.string(), workingHours: z.record(z.string(), z.array(z.object({ start: z.string(), end: z.string() }))) }),
              visits: z.array(CalendarVisit),
            }),
            ...responses,
          },
        },
      },
      async (req) => {
        const caller = requireCaller(req);
        // Customers are refused, another tenant's technician is 404 (the registry use-case decides).
        const tech = await getTechnician(deps, caller, req.params.id);
        const visits = await listVisits(deps, caller, { technicianId: tech.id, tenant: caller.kind === 'admin' ? tech.tenant : undefined, from: req.query.from, to: req.query.to, status: statuses(req.query.status) });
        return {
          technician: { id: tech.id, name: tech.name, skills: tech.skills, timezone: tech.timezone, workingHours: tech.workingHours as Record<string, { start: string; end: string }[]> },
          visits: visits.map(calendarView),
        };
      },
    );
  };
}
