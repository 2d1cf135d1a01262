import type { ComposedMessage } from '../../alerts/messages/proactive-message.ts';
import { notificationFor } from '../../alerts/notify/proactive-notification.ts';
import { closeTicket, getTicket, transitionTicket } from '../../maintenance/ticket-use-cases.ts';
import { escalateJob } from '../job-definitions.ts';
import { channelsFor, customerView, publish, systemCaller, type WorkflowContext } from '../workflow-context.ts';
import { composeEscalation } from '../workflow-messages.ts';
import { writeJob } from '../workflow-outbox.ts';
import { getWorkflowTicket, updateWorkflowTicket } from '../workflow-ticket-state.ts';

const HOUR = 3_600_000;

/**
 * No answer to a proactive message. Step 1: the message again on the next channel the customer
 * has (or the same one if there is no other). Step 2: a person takes over (tier → human, live
 * event); the customer can still answer. Step 3: the ticket closes `customer_unreachable` —
 * never resolved on silence. A job of an older round, or for a ticket that moved on (booked,
 * closed, handed off), does nothing.
 */
export async function processEscalate(ctx: WorkflowContext, p: { tenant: string; ticketId: string; round: number; step: number }): Promise<{ outcome: string }> {
  const { deps } = ctx;
  const caller = systemCaller(p.tenant, 'escalation');
  const wt = await getWorkflowTicket(deps.db, p.ticketId);
  if (!wt || wt.round !== p.round || wt.phase !== 'offered') return { outcome: 'stale' };
  let t = await getTicket(deps, caller, p.ticketId);
  if (t.state !== 'visit_proposed') return { outcome: `ticket ${t.state}` };
  const done = wt.offer.escalationStep ?? 0;
  if (done >= p.step) return { outcome: 'already done' };
  const now = deps.clock.now();
  const hours = ctx.options.escalationHours;

  if (p.step === 1) {
    const view = await customerView(ctx, t);
    const r = view.recipient;
    const channels = channelsFor(ctx, r);
    const next = channels.find((c) => c !== r.preferredChannel) ?? channels[0] ?? r.preferredChannel;
    const original = wt.offer.message;
    if (original) {
      const base: ComposedMessage = {
        language: r.language === 'zh-CN' ? 'zh-CN' : 'en',
        plain: r.plainLanguage,
        subject: original.subject,
        blocks: original.blocks ?? [{ kind: 'paragraph', text: original.body }],
        text: original.body,
        html: '',
        offeredSlotIds: wt.offer.slots.map((s) => s.id),
      };
      const message = composeEscalation(base);
      await ctx.notify.outbox.enqueue(
        notificationFor({ recipient: { ...r, preferredChannel: next }, ticketId: t.id, kind: 'escalation', dedupeKey: `escalation:${t.id}:${p.round}:1`, message, deviceId: t.deviceId }),
      );
    }
    await deps.db.transaction().execute(async (trx) => {
      await updateWorkflowTicket(trx, t.id, now, { offer: { ...wt.offer, escalationStep: 1 }, onlyRound: p.round });
      await writeJob(trx, deps.clock, escalateJob, { tenant: t.tenant, ticketId: t.id, round: p.round, step: 2 }, now + hours[1] * HOUR);
    });
    ctx.kick();
    publish(ctx, 'ticket.escalation', t, { step: 1, channel: next, reason: `no answer within ${hours[0]} h` });
    return { outcome: `resent on ${next}` };
  }

  if (p.step === 2) {
    const reason = `customer has not answered within ${hours[0] + hours[1]} h: a person calls them`;
    if (t.tier !== 'human') t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'escalate' }, reason, detail: { round: p.round, step: 2 } });
    await deps.db.transaction().execute(async (trx) => {
      await updateWorkflowTicket(trx, t.id, now, { offer: { ...wt.offer, escalationStep: 2 }, handoffReason: reason, onlyRound: p.round });
      await writeJob(trx, deps.clock, escalateJob, { tenant: t.tenant, ticketId: t.id, round: p.round, step: 3 }, now + hours[2] * HOUR);
    });
    ctx.kick();
    publish(ctx, 'ticket.handoff', t, { step: 2, reason });
    return { outcome: 'handed to a person' };
  }

  const reason = `customer unreachable: no answer within ${hours[0] + hours[1] + hours[2]} h of the proposal and the escalations`;
  t = await closeTicket(deps, caller, { ticketId: t.id, outcome: 'customer_unreachable', reason });
  await deps.db.updateTable('visits').set({ status: 'cancelled' }).where('tenant', '=', t.tenant).where('ticket_id', '=', t.id).where('status', '=', 'proposed').execute();
  await updateWorkflowTicket(deps.db, t.id, now, { phase: 'done', offer: { ...wt.offer, escalationStep: 3 }, onlyRound: p.round });
  publish(ctx, 'ticket.closed', t, { outcome: t.outcome, reason });
  return { outcome: 'customer_unreachable' };
}
