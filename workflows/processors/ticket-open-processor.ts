import { EpisodeStore } from '../../alerts/episode-store.ts';
import { openTicketForEpisode, transitionTicket } from '../../maintenance/ticket-use-cases.ts';
import { latestPrediction } from '../../models/prediction-writer.ts';
import { visitPlanJob } from '../job-definitions.ts';
import { type WorkflowContext, publish, systemCaller } from '../workflow-context.ts';
import { writeJob } from '../workflow-outbox.ts';
import { ensureWorkflowTicket } from '../workflow-ticket-state.ts';

/** The active model's threshold for the mode, from the device's newest prediction (undefined if unreachable). */
async function modelThreshold(ctx: WorkflowContext, tenant: string, device: string, mode: string): Promise<number | undefined> {
  try {
    const p = await latestPrediction(ctx.deps.influx, tenant, device);
    return p?.risks.find((r) => r.mode === mode)?.threshold;
  } catch (err) {
    ctx.deps.logger.warn({ err, device }, 'ticket.open: no prediction to read the model threshold from; judging confidence on risk alone');
    return undefined;
  }
}

/**
 * Episode raised → its ticket (one per episode: a unique constraint), the episode attached,
 * the tier decided, the ticket triaged, and planning queued (round 0). Every step finds its
 * work done on a retry.
 */
export async function processTicketOpen(ctx: WorkflowContext, p: { tenant: string; episodeId: string }): Promise<{ ticketId: string | null; created: boolean }> {
  const { deps } = ctx;
  const caller = systemCaller(p.tenant, 'alert-episode');
  const ep = await new EpisodeStore(deps.db).get(p.episodeId);
  if (!ep || ep.tenant !== p.tenant) {
    deps.logger.warn({ episode: p.episodeId }, 'ticket.open: the episode does not exist');
    return { ticketId: null, created: false };
  }
  if (ep.clearedAt !== null && ep.ticketId === null) {
    // The risk went away before anyone acted: no ticket for a cleared alert.
    deps.logger.info({ episode: ep.id }, 'ticket.open: the episode cleared before a ticket was opened');
    return { ticketId: null, created: false };
  }
  const { ticket, created } = await openTicketForEpisode(deps, caller, {
    episodeId: ep.id,
    device: ep.device,
    mode: ep.mode,
    severity: ep.severity,
    risk: Math.min(1, Math.max(0, ep.lastRisk)),
    threshold: await modelThreshold(ctx, ep.tenant, ep.device, ep.mode),
    rulHours: ep.rulLowerHours,
  });
  await ctx.episodes.attachTicket(caller, p.tenant, ep.id, ticket.id);
  let t = ticket;
  if (t.state === 'open') {
    t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'triage' }, reason: `tier ${t.tier} (${t.tierReason}) decided from the alert`, detail: { tier: t.tier, tierReason: t.tierReason } });
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const wt = await ensureWorkflowTicket(trx, t.tenant, t.id, now);
    if (wt.round === 0 && wt.phase === 'planning') await writeJob(trx, deps.clock, visitPlanJob, { tenant: t.tenant, ticketId: t.id, round: 0 });
  });
  ctx.kick();
  if (created) publish(ctx, 'ticket.created', t, { episodeId: ep.id, tier: t.tier, tierReason: t.tierReason, severity: t.severity, risk: t.risk });
  return { ticketId: t.id, created };
}
