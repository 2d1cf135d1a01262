import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SAFE_ID } from '../../ingest/topics.ts';
import { fleetOverview, listEpisodes } from '../../maintenance/fleet-overview.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { requireCaller } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';

const safeId = z.string().regex(SAFE_ID, 'must match [A-Za-z0-9._-]{1,64}');
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

export const FleetDeviceSchema = z
  .object({
    device: z.string(),
    tenant: z.string(),
    name: z.string().meta({ description: "the device's model" }),
    equipmentType: z.string(),
    customerId: z.string(),
    customerName: z.string(),
    siteId: z.string(),
    siteName: z.string(),
    criticality: z.string(),
    status: z.enum(['no_prediction', 'insufficient_data', 'ok', 'at_risk']).meta({ description: '`at_risk`: some mode is at or over its threshold' }),
    topRisk: z.object({ mode: z.string(), risk: z.number(), threshold: z.number() }).nullable().meta({ description: 'the highest-risk mode of the newest ok prediction' }),
    rulHours: z.number().nullable(),
    rulLowerHours: z.number().nullable(),
    predictedAt: z.number().nullable().meta({ description: "epoch ms of the newest prediction's reading" }),
    episode: z.object({ id: z.string(), mode: z.string(), severity: z.string(), state: z.string() }).nullable().meta({ description: 'the most severe open alert episode' }),
    lastSeen: z.number().nullable().meta({ description: 'epoch ms ingest last heard from the device' }),
    inGap: z.boolean().meta({ description: 'the device has gone silent' }),
  })
  .meta({ id: 'FleetDevice' });

const AttributionView = z.object({ sensor: z.string(), feature: z.string(), contribution: z.number(), share: z.number(), value: z.number().nullable() });

export const EpisodeSchema = z
  .object({
    id: z.string(),
    device: z.string(),
    mode: z.string(),
    state: z.string().meta({ description: 'open | flapping | ticketed | cleared | resolved' }),
    severity: z.string(),
    openedAt: z.number(),
    clearedAt: z.number().nullable(),
    peakRisk: z.number(),
    lastRisk: z.number(),
    rulLowerHours: z.number().nullable(),
    ticketId: z.string().nullable(),
    evidence: z.array(AttributionView),
  })
  .meta({ id: 'AlertEpisode' });

const EpisodesQuery = z.object({
  tenant: safeId.optional().meta({ description: 'admins: one tenant (default all); others: their own only' }),
  device: safeId.optional(),
  open: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .meta({ description: 'only episodes not cleared' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * The fleet overview (engineers: their tenant's devices; customers: their own; admins: all or
 * `?tenant=`) and the alert episodes list. Both read through maintenance/fleet-overview.ts, which
 * the assistant calls as well.
 */
export function fleetRoutes(deps: DomainDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/fleet/overview',
      {
        schema: {
          tags: ['fleet'],
          summary: 'Every device the caller may see with its top risk, RUL, open episode and liveness; riskiest first',
          security,
          querystring: z.object({ tenant: safeId.optional() }),
          response: { 200: z.object({ devices: z.array(FleetDeviceSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ devices: await fleetOverview(deps, requireCaller(req), { tenant: req.query.tenant }) }),
    );

    app.get(
      '/api/v1/episodes',
      {
        schema: {
          tags: ['fleet'],
          summary: 'Alert episodes, newest first (customers: those of their own equipment)',
          security,
          querystring: EpisodesQuery,
          response: { 200: z.object({ episodes: z.array(EpisodeSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ episodes: await listEpisodes(deps, requireCaller(req), { tenant: req.query.tenant, device: req.query.device, openOnly: req.query.open, limit: req.query.limit }) }),
    );
  };
}
