import { thresholdsFor } from '../../alerts/alert-policy.ts';
import type { Prediction } from '../../models/prediction.ts';
import { latestPrediction } from '../../models/prediction-writer.ts';
import { closeTicket, getTicket, transitionTicket } from '../../maintenance/ticket-use-cases.ts';
import { verifyJob } from '../job-definitions.ts';
import { publish, systemCaller, type WorkflowContext } from '../workflow-context.ts';
import { writeJob } from '../workflow-outbox.ts';
import { updateWorkflowTicket } from '../workflow-ticket-state.ts';

const HOUR = 3_600_000;

export type Verification =
  | { verdict: 'resolved'; postRisk: number; exitThreshold: number; measuredAt: number }
  | { verdict: 'still_high'; postRisk: number; exitThreshold: number; measuredAt: number }
  | { verdict: 'no_data'; reason: string };

/** What telemetry after the visit says: the ticket's mode risk in a prediction made after the visit, against the alert's exit threshold. */
export function judgeVerification(p: Prediction | null, mode: string, visitCompletedAt: number, ctx: Pick<WorkflowContext, 'options'>): Verification {
  if (!p) return { verdict: 'no_data', reason: 'no prediction for the device' };
  if (p.status !== 'ok') return { verdict: 'no_data', reason: `the newest prediction is ${p.status}` };
  if (p.at <= visitCompletedAt) return { verdict: 'no_data', reason: 'no prediction from after the visit yet' };
  const r = p.risks.find((x) => x.mode === mode);
  if (!r) return { verdict: 'no_data', reason: `the newest prediction has no risk for ${mode}` };
  const { exit } = thresholdsFor(r.threshold, ctx.options.alertPolicy);
  return { verdict: r.risk < exit ? 'resolved' : 'still_high', postRisk: r.risk, exitThreshold: exit, measuredAt: p.at };
}

/**
 * After the visit: resolved only on evidence. Risk for the ticket's mode under the exit
 * threshold in a prediction made after the visit → `resolved_verified` with that telemetry as
 * evidence, and the alert episode resolved. Otherwise retry a few times; then a person must look
 * (tier → human; the ticket stays in progress with the reason) — never a claimed resolution.
 * `prediction` lets a fresh prediction (WorkflowEngine.onPrediction) be judged without a query.
 */
export async function processVerify(ctx: WorkflowContext, p: { tenant: string; ticketId: string; visitId: string; attempt: number }, prediction?: Prediction): Promise<{ outcome: string }> {
  const { deps } = ctx;
  const caller = systemCaller(p.tenant, 'verification');
  let t = await getTicket(deps, caller, p.ticketId);
  if (t.state !== 'in_progress' || t.visitCompletedAt === null) return { outcome: `ticket ${t.state}` };
  const completedAt = new Date(t.visitCompletedAt).getTime();
  const latest = prediction ?? (await latestPrediction(deps.influx, t.tenant, t.deviceId));
  const v = judgeVerification(latest, t.mode, completedAt, ctx);
  const now = deps.clock.now();
  if (v.verdict === 'resolved') {
    const reason = `post-maintenance telemetry: ${t.mode} risk ${v.postRisk.toFixed(3)} < exit threshold ${v.exitThreshold.toFixed(3)} at ${new Date(v.measuredAt).toISOString()}`;
    t = await closeTicket(deps, caller, {
      ticketId: t.id,
      outcome: 'resolved_verified',
      evidence: { kind: 'telemetry', postRisk: v.postRisk, exitThreshold: v.exitThreshold, measuredAt: v.measuredAt },
      reason,
    });
    if (t.episodeId) await ctx.episodes.resolve(caller, t.tenant, t.episodeId, Math.max(now, v.measuredAt), `ticket ${t.id} resolved_verified`);
    await updateWorkflowTicket(deps.db, t.id, now, { phase: 'done' });
    publish(ctx, 'ticket.closed', t, { outcome: 'resolved_verified', postRisk: v.postRisk, exitThreshold: v.exitThreshold, measuredAt: v.measuredAt });
    return { outcome: 'resolved_verified' };
  }
  if (prediction) return { outcome: v.verdict };
  const why = v.verdict === 'no_data' ? v.reason : `${t.mode} risk ${v.postRisk.toFixed(3)} still ≥ exit threshold ${v.exitThreshold.toFixed(3)}`;
  if (p.attempt < ctx.options.verifyRetries) {
    await writeJob(deps.db, deps.clock, verifyJob, { ...p, attempt: p.attempt + 1 }, now + ctx.options.verifyRetryHours * HOUR);
    ctx.kick();
    return { outcome: `retry: ${why}` };
  }
  const reason = `verification after the visit failed ${p.attempt + 1} time(s): ${why}; a person decides (no_fault_found, another visit, or an engineer's confirmation)`;
  if (t.tier !== 'human') t = await transitionTicket(deps, caller, { ticketId: t.id, action: { kind: 'escalate' }, reason, detail: v.verdict === 'no_data' ? {} : { postRisk: v.postRisk, exitThreshold: v.exitThreshold } });
  await updateWorkflowTicket(deps.db, t.id, now, { phase: 'handed_off', handoffReason: reason });
  publish(ctx, 'ticket.handoff', t, { reason });
  return { outcome: 'needs_human' };
}
