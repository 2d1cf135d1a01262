import { getTicket } from '../../maintenance/ticket-use-cases.ts';
import { completeVisit, startVisit } from '../visit-use-cases.ts';
import { systemCaller, type WorkflowContext } from '../workflow-context.ts';

/**
 * The visit is due: the ticket goes in progress. With a visit executor (the simulator's
 * technician, or a field-service integration) the work is done and the visit completed here,
 * which queues the post-maintenance verification; without one an engineer completes it
 * (completeVisit) when the technician reports back.
 */
export async function processVisitStart(ctx: WorkflowContext, p: { tenant: string; ticketId: string; visitId: string }): Promise<{ outcome: string }> {
  const { deps } = ctx;
  const caller = systemCaller(p.tenant, 'visit');
  const t = await getTicket(deps, caller, p.ticketId);
  const v = await deps.db.selectFrom('visits').select(['status', 'ticket_id']).where('id', '=', p.visitId).where('tenant', '=', p.tenant).executeTakeFirst();
  if (!v || v.ticket_id !== t.id) return { outcome: 'no such visit' };
  if (v.status === 'cancelled' || v.status === 'proposed') return { outcome: `visit ${v.status}` };
  if (t.state !== 'scheduled' && t.state !== 'in_progress') return { outcome: `ticket ${t.state}` };
  if (t.visitCompletedAt !== null) return { outcome: 'already completed' };
  await startVisit(deps, caller, { visitId: p.visitId });
  if (!ctx.visitExecutor) return { outcome: 'in progress' };
  await ctx.visitExecutor({ tenant: t.tenant, device: t.deviceId, modes: [t.mode], visitId: p.visitId });
  await completeVisit(
    deps,
    caller,
    { visitId: p.visitId, closeOut: { confirmedMode: t.mode, parts: [`${t.mode} parts`], findings: `renewed the parts for ${t.mode} (automated visit executor)` } },
    ctx.options.visit,
  );
  ctx.kick();
  return { outcome: 'completed' };
}
