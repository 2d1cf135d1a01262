import type { CustomerLinks, LinkAction } from '../alerts/notify/customer-links.ts';
import { parseReply, type ReplyDecision } from '../alerts/messages/reply-parser.ts';
import { updateCustomerPreferences } from '../maintenance/fleet-registry.ts';
import type { Ticket } from '../maintenance/ticket-store.ts';
import { closeTicket, getTicket, transitionTicket } from '../maintenance/ticket-use-cases.ts';
import { bookVisit, cancelVisit, type VisitFlowOptions } from './visit-use-cases.ts';
import type { Visit } from '../maintenance/visit-store.ts';
import type { Caller } from '../platform/caller.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import { PrognosError } from '../platform/errors.ts';
import { visitPlanJob } from './job-definitions.ts';
import { writeJob } from './workflow-outbox.ts';
import { getWorkflowTicket, nextRound, updateWorkflowTicket } from './workflow-ticket-state.ts';

/**
 * A customer's answer to a proactive message, by signed link or as free text (e-mail reply,
 * webhook, chat), turned into the workflow's next step:
 *   confirm → the slot is booked (bookVisit: atomic, no double booking);
 *   reschedule → a new planning round (new slots, a new message), a booked visit cancelled;
 *   decline → the ticket closes `abandoned` with the customer's refusal as the reason (honest:
 *             never "resolved");
 *   opt_out → no more messages; a person takes the ticket;
 *   safety words, anger, repeated dissatisfaction, anything unrecognised → a person, with the reason.
 */

export interface CustomerReplyDeps {
  deps: DomainDeps;
  /** Verifies link tokens. */
  links: CustomerLinks;
  visit?: VisitFlowOptions;
}

export type CustomerReplyInput = { token: string } | { tenant: string; customerId: string; text: string; ticketId?: string };

/** An explicit action from the portal page (the link only proves who and which ticket). */
export type PortalAction = { action: 'confirm'; slotId: string } | { action: 'reschedule' } | { action: 'decline' } | { action: 'opt_out' };

export interface CustomerReplyResult {
  ticketId: string;
  decision: ReplyDecision;
  /** What happened: booked, replanning, closed, opted_out, handed_off, clarify, nothing (ticket already moved on). */
  outcome: 'booked' | 'replanning' | 'closed' | 'opted_out' | 'handed_off' | 'clarify' | 'nothing';
  ticket: Ticket;
  visit?: Visit;
  detail?: string;
}

/** Verifies a link token; PRG_NOT_FOUND for a bad or expired one (a link names nothing a stranger may learn). */
export function verifyLinkToken(links: CustomerLinks, token: string) {
  const v = links.verify(token);
  if (!v.ok) throw new PrognosError('PRG_NOT_FOUND', `link ${v.reason}`);
  return v.claims;
}

function customerCaller(tenant: string, customerId: string): Caller {
  return { kind: 'customer', userId: `reply:${customerId}`, tenant, customerId };
}

async function latestOfferedTicket(deps: DomainDeps, tenant: string, customerId: string): Promise<string | null> {
  const r = await deps.db
    .selectFrom('tickets')
    .innerJoin('workflow_tickets', 'workflow_tickets.ticket_id', 'tickets.id')
    .select('tickets.id')
    .where('tickets.tenant', '=', tenant)
    .where('tickets.customer_id', '=', customerId)
    .where('tickets.state', 'in', ['visit_proposed', 'scheduled'])
    .orderBy('workflow_tickets.updated_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r?.id ?? null;
}

export async function handleCustomerReply(rd: CustomerReplyDeps, input: CustomerReplyInput, action?: PortalAction): Promise<CustomerReplyResult> {
  const { deps } = rd;
  let tenant: string;
  let customerId: string;
  let ticketId: string | null;
  let linkAction: LinkAction | undefined;
  let linkSlot: string | undefined;
  if ('token' in input) {
    const c = verifyLinkToken(rd.links, input.token);
    tenant = c.tenant;
    customerId = c.customerId;
    ticketId = c.ticketId;
    linkAction = action?.action ?? c.action;
    linkSlot = action?.action === 'confirm' ? action.slotId : action ? undefined : c.slotId;
  } else {
    tenant = input.tenant;
    customerId = input.customerId;
    ticketId = input.ticketId ?? (await latestOfferedTicket(deps, tenant, customerId));
  }
  if (!ticketId) throw new PrognosError('PRG_NOT_FOUND', 'no open proposal for this customer');
  const caller = customerCaller(tenant, customerId);
  // Customers see only their own tickets: a token or text for another customer's ticket is "not found".
  let t = await getTicket(deps, caller, ticketId);
  const system: Caller = { kind: 'system', tenant, reason: `customer-reply:${customerId}` };
  const wt = await getWorkflowTicket(deps.db, t.id);
  const offeredSlotIds = wt?.offer.slots.map((s) => s.id) ?? [];
  const previous = wt?.offer.replies ?? [];
  const decision = parseReply(linkAction ? { via: 'link', action: linkAction, slotId: linkSlot } : { via: 'text', text: (input as { text: string }).text }, { offeredSlotIds, previous });
  const now = deps.clock.now();
  if (wt) await updateWorkflowTicket(deps.db, t.id, now, { offer: { ...wt.offer, replies: [...previous, decision.kind] } });
  deps.events.publish({ type: 'customer.reply', tenant, customerId, data: { ticketId: t.id, decision: decision.kind, via: linkAction ? 'link' : 'text' } });

  if (t.state === 'closed') return { ticketId: t.id, decision, outcome: 'nothing', ticket: t, detail: `ticket is closed (${t.outcome})` };

  const handOff = async (reason: string): Promise<CustomerReplyResult> => {
    if (t.tier !== 'human') t = await transitionTicket(deps, system, { ticketId: t.id, action: { kind: 'escalate' }, reason, detail: { decision } });
    await updateWorkflowTicket(deps.db, t.id, now, { phase: 'handed_off', handoffReason: reason });
    deps.events.publish({ type: 'ticket.handoff', tenant, customerId, data: { ticketId: t.id, deviceId: t.deviceId, mode: t.mode, reason } });
    return { ticketId: t.id, decision, outcome: 'handed_off', ticket: t, detail: reason };
  };

  switch (decision.kind) {
    case 'confirm': {
      if (decision.slotNumber === null && !(await isBookedSlot(deps, t, decision.slotId))) {
        return { ticketId: t.id, decision, outcome: 'clarify', ticket: t, detail: 'this slot is no longer offered; choose one of the current slots or ask for another time' };
      }
      const booked = await bookVisit(deps, caller, { ticketId: t.id, slot: { id: decision.slotId, technicianId: '', startsAt: 0, endsAt: 0 } }, rd.visit);
      return { ticketId: t.id, decision, outcome: 'booked', ticket: booked.ticket, visit: booked.visit };
    }
    case 'reschedule': {
      if (t.state === 'in_progress') return { ticketId: t.id, decision, outcome: 'nothing', ticket: t, detail: 'the visit is under way' };
      const booked = await deps.db.selectFrom('visits').select('id').where('tenant', '=', tenant).where('ticket_id', '=', t.id).where('status', '=', 'booked').executeTakeFirst();
      if (booked) {
        const r = await cancelVisit(deps, system, { ticketId: t.id, visitId: booked.id, reason: 'the customer asked for another time' });
        return { ticketId: t.id, decision, outcome: 'replanning', ticket: r.ticket, detail: `round ${r.round}` };
      }
      const round = await deps.db.transaction().execute(async (trx) => {
        const r = await nextRound(trx, tenant, t.id, now);
        await writeJob(trx, deps.clock, visitPlanJob, { tenant, ticketId: t.id, round: r });
        return r;
      });
      return { ticketId: t.id, decision, outcome: 'replanning', ticket: t, detail: `round ${round}` };
    }
    case 'decline': {
      if (t.state === 'in_progress') return handOff('the customer declined while the visit is under way');
      await deps.db.updateTable('visits').set({ status: 'cancelled' }).where('tenant', '=', tenant).where('ticket_id', '=', t.id).where('status', 'in', ['proposed', 'booked']).execute();
      const reason = 'the customer declined the visit; the predicted failure was not prevented by us';
      t = await closeTicket(deps, system, { ticketId: t.id, outcome: 'abandoned', reason });
      await updateWorkflowTicket(deps.db, t.id, now, { phase: 'done' });
      deps.events.publish({ type: 'ticket.closed', tenant, customerId, data: { ticketId: t.id, deviceId: t.deviceId, mode: t.mode, outcome: t.outcome, reason } });
      return { ticketId: t.id, decision, outcome: 'closed', ticket: t, detail: reason };
    }
    case 'opt_out': {
      await updateCustomerPreferences(deps, caller, customerId, { optedOut: true });
      const r = await handOff('the customer opted out of messages: a person follows up by phone');
      return { ...r, outcome: 'opted_out' };
    }
    case 'clarify':
      return { ticketId: t.id, decision, outcome: 'clarify', ticket: t, detail: decision.reason };
    case 'handoff':
      return handOff(`customer reply: ${decision.reason}${decision.matched ? ` ("${decision.matched}")` : ''}`);
  }
}

async function isBookedSlot(deps: DomainDeps, t: Ticket, slotId: string): Promise<boolean> {
  const v = await deps.db.selectFrom('visits').select('status').where('id', '=', slotId).where('ticket_id', '=', t.id).executeTakeFirst();
  return v?.status === 'booked' || v?.status === 'proposed';
}
