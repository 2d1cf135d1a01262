import { EpisodeStore } from '../alerts/episode-store.ts';
import type { Ticket } from '../maintenance/ticket-store.ts';
import type { Prediction } from '../models/prediction.ts';
import { latestPrediction } from '../models/prediction-writer.ts';
import type { WorkflowContext } from './workflow-context.ts';

/**
 * The prediction a message about a ticket is written from: the device's newest one when it
 * has a risk for the ticket's mode, else the one the episode was raised on (its risk, RUL and
 * attributions), so a message can be written even while InfluxDB is unreachable.
 */
export async function predictionForTicket(ctx: WorkflowContext, t: Ticket, equipmentType: string): Promise<Prediction> {
  try {
    const p = await latestPrediction(ctx.deps.influx, t.tenant, t.deviceId);
    if (p && p.status === 'ok' && p.risks.some((r) => r.mode === t.mode)) return p;
  } catch (err) {
    ctx.deps.logger.warn({ err, ticket: t.id }, 'latest prediction unavailable; writing from the alert episode');
  }
  const ep = t.episodeId ? await new EpisodeStore(ctx.deps.db).get(t.episodeId) : undefined;
  return {
    tenant: t.tenant,
    device: t.deviceId,
    equipmentType,
    at: ep?.lastPredictionAt ?? ctx.deps.clock.now(),
    modelVersion: 'alert-episode',
    status: 'ok',
    risks: [{ mode: t.mode, risk: ep?.lastRisk ?? t.risk, horizonHours: 72, threshold: 0.5, attributions: ep?.evidence ?? [] }],
    rulHours: ep?.rulLowerHours ?? t.rulHours,
    rulLowerHours: ep?.rulLowerHours ?? t.rulHours,
  };
}
