import { notificationFor } from '../../alerts/notify/proactive-notification.ts';
import { getTicket } from '../../maintenance/ticket-use-cases.ts';
import { customerView, publish, systemCaller, type WorkflowContext } from '../workflow-context.ts';
import { composeReminder } from '../workflow-messages.ts';

/**
 * The reminder before a booked visit (one per visit: the outbox's dedupe key). A visit that was
 * moved or cancelled since, or a ticket that moved on, gets none.
 */
export async function processReminder(ctx: WorkflowContext, p: { tenant: string; ticketId: string; visitId: string }): Promise<{ outcome: string }> {
  const { deps } = ctx;
  const caller = systemCaller(p.tenant, 'reminder');
  const t = await getTicket(deps, caller, p.ticketId);
  const v = await deps.db
    .selectFrom('visits')
    .leftJoin('technicians', (j) => j.onRef('technicians.id', '=', 'visits.technician_id').onRef('technicians.tenant', '=', 'visits.tenant'))
    .select(['visits.id', 'visits.status', 'visits.starts_at', 'visits.ends_at', 'visits.technician_id', 'technicians.name'])
    .where('visits.id', '=', p.visitId)
    .where('visits.tenant', '=', p.tenant)
    .executeTakeFirst();
  if (!v || v.status !== 'booked' || t.state !== 'scheduled') return { outcome: 'not booked any more' };
  const startsAt = new Date(v.starts_at).getTime();
  if (startsAt <= deps.clock.now()) return { outcome: 'visit already due' };
  const view = await customerView(ctx, t);
  const r = view.recipient;
  const message = composeReminder({
    language: r.language === 'zh-CN' ? 'zh-CN' : 'en',
    plain: r.plainLanguage,
    timezone: r.timezone,
    customerName: r.name,
    deviceLabel: view.deviceLabel,
    technicianName: v.name ?? v.technician_id,
    startsAt,
    endsAt: new Date(v.ends_at).getTime(),
    supportPhone: ctx.options.supportPhone,
    rescheduleUrl: ctx.notify.links.url({ tenant: t.tenant, ticketId: t.id, customerId: t.customerId, action: 'reschedule' }),
  });
  const { created } = await ctx.notify.outbox.enqueue(notificationFor({ recipient: r, ticketId: t.id, kind: 'reminder', dedupeKey: `reminder:${v.id}`, message, deviceId: t.deviceId }));
  if (created) publish(ctx, 'visit.reminder', t, { visitId: v.id, startsAt });
  return { outcome: 'reminder queued' };
}
