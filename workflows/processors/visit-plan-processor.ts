import { sensorText } from '../../alerts/messages/message-catalogue.ts';
import { catalogueFor } from '../../alerts/messages/message-catalogues.ts';
import { composeProactiveMessage, MAX_SLOTS } from '../../alerts/messages/proactive-message.ts';
import { notificationFor } from '../../alerts/notify/proactive-notification.ts';
import type { Prediction } from '../../models/prediction.ts';
import { getTicket, transitionTicket } from '../../maintenance/ticket-use-cases.ts';
import type { Ticket } from '../../maintenance/ticket-store.ts';
import { proposeSlotsForTicket } from '../visit-use-cases.ts';
import { VisitStore } from '../../maintenance/visit-store.ts';
import { escalateJob } from '../job-definitions.ts';
import { predictionForTicket } from '../ticket-prediction.ts';
import { customerView, publish, systemCaller, type WorkflowContext } from '../workflow-context.ts';
import { writeJob } from '../workflow-outbox.ts';
import { getWorkflowTicket, type Offer, type OfferedSlot, updateWorkflowTicket } from '../workflow-ticket-state.ts';

const HOUR = 3_600_000;

/** The sensors behind the risk, in the customer's words (standard or plain), strongest first. */
export function evidenceLines(p: Prediction, mode: string, language: string, plain: boolean): string[] {
  const c = catalogueFor(language);
  const risk = p.risks.find((r) => r.mode === mode);
  if (!risk) return [];
  const lines = risk.attributions
    .filter((a) => a.contribution > 0)
    .sort((a, b) => b.share - a.share)
    .slice(0, 3)
    .map((a) => (plain ? sensorText(c, a.sensor).plain : c.standard.evidenceItem(sensorText(c, a.sensor).evidence, Math.round(a.share * 100))));
  return [...new Set(lines)];
}

/**
 * Plans a visit for a ticket, by its tier:
 *  - `ai`: real slots from the scheduler, the proactive message in the customer's language (plain
 *    if they asked) with signed links into the notification outbox, ticket → visit_proposed,
 *    the first escalation step scheduled;
 *  - `assisted`: the slots are stored for an engineer to approve (ticket stays triaged);
 *  - `human`: a person takes it, with the reason; no automatic message.
 * No slot before the deadline (or no RUL) also hands the ticket to a person. A job of an older
 * round (the ticket was re-planned since) does nothing.
 */
export async function processVisitPlan(ctx: WorkflowContext, p: { tenant: string; ticketId: string; round: number }): Promise<{ outcome: string }> {
  const { deps } = ctx;
  const caller = systemCaller(p.tenant, 'visit-planning');
  const wt = await getWorkflowTicket(deps.db, p.ticketId);
  if (!wt || wt.round !== p.round) return { outcome: 'stale' };
  let t = await getTicket(deps, caller, p.ticketId);
  if (t.state === 'closed' || t.state === 'scheduled' || t.state === 'in_progress') return { outcome: `ticket ${t.state}` };
  if (wt.phase !== 'planning') return { outcome: `already ${wt.phase}` };
  const now = deps.clock.now();

  if (t.tier === 'human') {
    const reason = `service tier human (${t.tierReason}): a person plans this visit`;
    const proposal = await proposeSlotsForTicket(deps, caller, t.id, ctx.options.visit).catch(() => null);
    await updateWorkflowTicket(deps.db, t.id, now, { phase: 'handed_off', handoffReason: reason, onlyRound: p.round, offer: offerFrom(proposal, t) });
    publish(ctx, 'ticket.handoff', t, { reason, tierReason: t.tierReason });
    return { outcome: 'handed_off' };
  }

  const proposal = await proposeSlotsForTicket(deps, caller, t.id, ctx.options.visit);
  if (proposal.slots.length === 0) {
    const reason = `no visit slot found: ${proposal.reason ?? 'unknown'}`;
    await updateWorkflowTicket(deps.db, t.id, now, { phase: 'handed_off', handoffReason: reason, onlyRound: p.round, offer: offerFrom(proposal, t) });
    t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'escalate' }, reason });
    publish(ctx, 'ticket.handoff', t, { reason });
    return { outcome: 'no_slots' };
  }
  // The offered slots become `proposed` visits: a link names one by id, and a confirm books exactly it.
  const offered = proposal.slots.slice(0, MAX_SLOTS);
  const store = new VisitStore(deps.db, deps.clock);
  for (const s of offered) await store.propose(caller, { id: s.id, tenant: t.tenant, ticketId: t.id, device: t.deviceId, technicianId: s.technicianId, startsAt: s.startsAt, endsAt: s.endsAt });
  await deps.db
    .updateTable('visits')
    .set({ status: 'cancelled' })
    .where('tenant', '=', t.tenant)
    .where('ticket_id', '=', t.id)
    .where('status', '=', 'proposed')
    .where(
      'id',
      'not in',
      offered.map((s) => s.id),
    )
    .execute();
  const slots: OfferedSlot[] = offered.map((s) => ({ id: s.id, technicianId: s.technicianId, technicianName: s.technicianName, startsAt: s.startsAt, endsAt: s.endsAt, reason: s.reason }));

  if (t.tier === 'assisted') {
    const offer: Offer = { slots, deadline: proposal.deadline, replies: wt.offer.replies ?? [] };
    await updateWorkflowTicket(deps.db, t.id, now, { phase: 'awaiting_engineer', onlyRound: p.round, offer });
    publish(ctx, 'visit.proposed', t, { round: p.round, needsApproval: true, tierReason: t.tierReason, slots, deadline: proposal.deadline });
    return { outcome: 'awaiting_engineer' };
  }

  const view = await customerView(ctx, t);
  const prediction = await predictionForTicket(ctx, t, view.equipmentType);
  const r = view.recipient;
  const language = r.language === 'zh-CN' ? 'zh-CN' : 'en';
  const links = ctx.notify.links.forMessage({ tenant: t.tenant, ticketId: t.id, customerId: t.customerId });
  const message = composeProactiveMessage(
    {
      language,
      timezone: r.timezone,
      customerName: r.name,
      deviceLabel: view.deviceLabel,
      prediction,
      failureMode: t.mode,
      slots,
      links,
      supportPhone: ctx.options.supportPhone,
    },
    { plain: r.plainLanguage },
  );
  const channel = r.preferredChannel;
  await ctx.notify.outbox.enqueue(
    notificationFor({ recipient: r, ticketId: t.id, kind: 'proactive', dedupeKey: `proactive:${t.id}:${p.round}`, message, optOutUrl: links.optOut, deviceId: t.deviceId }),
  );
  const offer: Offer = {
    slots,
    deadline: proposal.deadline,
    message: { subject: message.subject, body: message.text, blocks: [...message.blocks] },
    evidence: evidenceLines(prediction, t.mode, language, r.plainLanguage),
    escalationStep: 0,
    replies: wt.offer.replies ?? [],
  };
  if (t.state === 'open') t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'triage' }, reason: 'planning a visit' });
  if (t.state === 'triaged') {
    t = await transitionTicket(deps, caller, {
      ticketId: t.id,
      action: { kind: 'propose_visit' },
      reason: `${slots.length} slot(s) offered to the customer by ${channel}`,
      detail: { round: p.round, slots: slots.map((s) => s.id), deadline: proposal.deadline },
    });
  }
  await deps.db.transaction().execute(async (trx) => {
    await updateWorkflowTicket(trx, t.id, now, { phase: 'offered', onlyRound: p.round, offer });
    await writeJob(trx, deps.clock, escalateJob, { tenant: t.tenant, ticketId: t.id, round: p.round, step: 1 }, now + ctx.options.escalationHours[0] * HOUR);
  });
  ctx.kick();
  publish(ctx, 'visit.proposed', t, { round: p.round, channel, slots, deadline: proposal.deadline });
  return { outcome: 'offered' };
}

function offerFrom(proposal: { slots: { id: string; technicianId: string; technicianName: string; startsAt: number; endsAt: number; reason: string }[]; deadline: number | null; reason?: string } | null, _t: Ticket): Offer {
  if (!proposal) return { slots: [], deadline: null };
  return {
    slots: proposal.slots.map((s) => ({ id: s.id, technicianId: s.technicianId, technicianName: s.technicianName, startsAt: s.startsAt, endsAt: s.endsAt, reason: s.reason })),
    deadline: proposal.deadline,
    reason: proposal.reason,
  };
}
