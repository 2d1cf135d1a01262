import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { telemetrySeries } from '../../ingest/telemetry-reader.ts';
import { SAFE_ID } from '../../ingest/topics.ts';
import { deviceStatus, visibleDevice } from '../../maintenance/fleet-overview.ts';
import { riskHistory } from '../../models/prediction-writer.ts';
import { PredictionSchema } from '../../models/prediction.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { PrognosError } from '../../platform/errors.ts';
import { requireCaller } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';
import { EpisodeSchema, FleetDeviceSchema } from './fleet-routes.ts';

const safeId = z.string().regex(SAFE_ID, 'must match [A-Za-z0-9._-]{1,64}');
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const DeviceParams = z.object({ device: safeId });

const DAY_MS = 86_400_000;
/** Longest window one request may ask for (the database downsamples, but not without limit). */
const MAX_SPAN_MS = 400 * DAY_MS;

const WindowQuery = z.object({
  from: z.coerce.number().int().optional().meta({ description: 'epoch ms, inclusive; default `to` − 7 days' }),
  to: z.coerce.number().int().optional().meta({ description: "epoch ms, exclusive; default just after the device's newest reading (or now)" }),
  points: z.coerce.number().int().min(1).max(2000).default(300).meta({ description: 'about how many buckets' }),
});

const DeviceDetail = z
  .object({
    device: FleetDeviceSchema.omit({ device: true }).extend({ id: z.string(), model: z.string(), installedAt: z.string(), siteAddress: z.string() }),
    prediction: PredictionSchema.nullable(),
    episodes: z.array(EpisodeSchema),
    tickets: z.array(z.object({ id: z.string(), mode: z.string(), state: z.string(), severity: z.string(), outcome: z.string().nullable(), openedAt: z.string() })),
  })
  .meta({ id: 'DeviceDetail' });

const Gap = z.object({ from: z.number(), to: z.number() });
const Series = z.array(z.number().nullable());

/**
 * One device: its registry facts with the newest prediction (attributions included), episodes
 * and tickets; its telemetry downsampled for charts with the silent stretches as gaps; its risk
 * history per failure mode. A device the caller may not see is 404, like one that does not exist.
 */
export function deviceRoutes(deps: DomainDeps): FastifyPluginAsyncZod {
  /** The window asked for, defaulting to the week before the device's newest reading. */
  const windowOf = async (tenant: string, device: string, q: { from?: number; to?: number }) => {
    let to = q.to;
    if (to === undefined) {
      // Device time can run ahead of (simulator) or behind (replay) the service clock: follow the data.
      const live = await deps.db.selectFrom('device_liveness').select('last_reading_ts').where('tenant', '=', tenant).where('device', '=', device).executeTakeFirst();
      to = live ? new Date(live.last_reading_ts).getTime() + 1 : deps.clock.now();
    }
    const from = q.from ?? to - 7 * DAY_MS;
    if (!(to > from)) throw new PrognosError('PRG_BAD_REQUEST', '`to` must be after `from`');
    if (to - from > MAX_SPAN_MS) throw new PrognosError('PRG_BAD_REQUEST', `a window spans at most ${MAX_SPAN_MS / DAY_MS} days`);
    return { from, to };
  };

  return async (app) => {
    app.get(
      '/api/v1/devices/:device',
      {
        schema: {
          tags: ['devices'],
          summary: 'One device: registry facts, newest prediction with attributions, episodes, tickets',
          security,
          params: DeviceParams,
          response: { 200: DeviceDetail, ...errorResponses },
        },
      },
      async (req) => deviceStatus(deps, requireCaller(req), req.params.device),
    );

    app.get(
      '/api/v1/devices/:device/telemetry',
      {
        schema: {
          tags: ['devices'],
          summary: 'Telemetry downsampled to about `points` buckets (bucket means; null and `gaps` where the device was silent)',
          security,
          params: DeviceParams,
          querystring: WindowQuery,
          response: {
            200: z.object({ bucketMs: z.number(), times: z.array(z.number()), values: z.record(z.string(), Series), gaps: z.array(Gap) }).meta({ id: 'TelemetrySeries' }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const d = await visibleDevice(deps, requireCaller(req), req.params.device);
        const w = await windowOf(d.tenant, d.id, req.query);
        return telemetrySeries(deps.influx, { tenant: d.tenant, device: d.id }, { ...w, points: req.query.points });
      },
    );

    app.get(
      '/api/v1/devices/:device/predictions',
      {
        schema: {
          tags: ['devices'],
          summary: 'Risk history: per failure mode the highest risk in each bucket, and the lowest RUL lower bound',
          security,
          params: DeviceParams,
          querystring: WindowQuery,
          response: {
            200: z
              .object({
                bucketMs: z.number(),
                times: z.array(z.number()),
                risks: z.record(z.string(), Series).meta({ description: 'per mode, aligned with `times`; null where no ok prediction' }),
                rul: Series.meta({ description: 'lowest RUL lower bound (hours) per bucket' }),
              })
              .meta({ id: 'RiskHistory' }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const d = await visibleDevice(deps, requireCaller(req), req.params.device);
        const w = await windowOf(d.tenant, d.id, req.query);
        const h = await riskHistory(deps.influx, d.tenant, d.id, { ...w, points: req.query.points });
        return { bucketMs: h.bucketMs, times: h.times, risks: h.risk, rul: h.rulLowerHours };
      },
    );
  };
}
