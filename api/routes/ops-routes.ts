import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IngestService } from '../../ingest/ingest-service.ts';
import { canSee, requireCaller, requireKind } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';

export interface OpsRoutesDeps {
  ingest: IngestService;
  /** Extra fields for /api/v1/status (e.g. the simulator's counts). */
  status?: () => Record<string, unknown>;
}

const RejectsQuery = z.object({
  reason: z.string().max(64).optional(),
  device: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

const DeadLetter = z.object({
  id: z.number().int(),
  receivedAt: z.string(),
  topic: z.string(),
  tenant: z.string().nullable(),
  device: z.string().nullable(),
  reason: z.string(),
  detail: z.string(),
  payloadExcerpt: z.string(),
  payloadBytes: z.number().int(),
});

const DataQualityQuery = z.object({
  device: z.string().max(64).optional(),
  kind: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

const DataQualityEvent = z.object({
  id: z.number().int(),
  at: z.string(),
  tenant: z.string(),
  device: z.string(),
  kind: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

const DeviceLiveness = z.object({
  tenant: z.string(),
  device: z.string(),
  lastSeen: z.string(),
  lastReadingAt: z.string(),
  usualIntervalMs: z.number().nullable(),
  silent: z.boolean(),
  lastSeq: z.number().nullable(),
});

/**
 * Operations: health and metrics (public: counters only, no tenant data), the status summary
 * (public for the same reason: the CLI and readiness probes read it), the dead-letter and
 * data-quality logs (admin: they span tenants, and rejected topics may name no tenant), device
 * liveness (an engineer sees the devices of their tenant).
 */
export function opsRoutes(deps: OpsRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness probe', response: { 200: z.object({ ok: z.literal(true) }) } } }, async () => ({ ok: true as const }));

    app.get(
      '/metrics',
      { schema: { tags: ['ops'], summary: 'Prometheus metrics (text exposition format 0.0.4)', response: { 200: z.string() } } },
      async (_req, reply) => {
        reply.type('text/plain; version=0.0.4');
        return deps.ingest.metrics.renderPrometheus();
      },
    );

    app.get(
      '/api/v1/status',
      {
        schema: {
          tags: ['ops'],
          summary: 'Service status: broker, ingest counters, and extra role counters',
          response: { 200: z.looseObject({ brokerUrl: z.string(), ingest: z.record(z.string(), z.unknown()) }) },
        },
      },
      async () => ({ brokerUrl: deps.ingest.brokerUrl, ingest: deps.ingest.metrics.snapshot(), ...deps.status?.() }),
    );

    app.get(
      '/api/v1/rejects',
      {
        schema: {
          tags: ['ops'],
          summary: 'Rejected payloads (dead letters), newest first; admin only',
          security: [{ bearer: [] }, { cookie: [] }],
          querystring: RejectsQuery,
          response: { 200: z.object({ items: z.array(DeadLetter), countsByReason: z.record(z.string(), z.number()) }), ...errorResponses },
        },
      },
      async (req) => {
        requireKind(req, 'admin');
        return { items: await deps.ingest.deadLetters.list(req.query), countsByReason: await deps.ingest.deadLetters.countByReason() };
      },
    );

    app.get(
      '/api/v1/data-quality',
      {
        schema: {
          tags: ['ops'],
          summary: 'Data-quality events (seq gaps and resets, data gaps), newest first; admin only',
          security: [{ bearer: [] }, { cookie: [] }],
          querystring: DataQualityQuery,
          response: { 200: z.object({ items: z.array(DataQualityEvent) }), ...errorResponses },
        },
      },
      async (req) => {
        requireKind(req, 'admin');
        return { items: await deps.ingest.dataQuality.list(req.query) };
      },
    );

    app.get(
      '/api/v1/devices',
      {
        schema: {
          tags: ['devices'],
          summary: "Device liveness (last seen, usual interval, silent, last seq): an engineer's tenant, or all for an admin",
          security: [{ bearer: [] }, { cookie: [] }],
          response: { 200: z.object({ items: z.array(DeviceLiveness) }), ...errorResponses },
        },
      },
      async (req) => {
        // Customers are bound to their equipment, which this list does not know yet.
        requireKind(req, 'admin', 'engineer');
        const caller = requireCaller(req);
        return {
          items: deps.ingest.liveness
            .all()
            .filter((d) => canSee(caller, d.tenant))
            .map((d) => ({
              tenant: d.tenant,
              device: d.device,
              lastSeen: new Date(d.lastSeen).toISOString(),
              lastReadingAt: new Date(d.lastReadingTs).toISOString(),
              usualIntervalMs: d.intervalMs === null ? null : Math.round(d.intervalMs),
              silent: d.inGap,
              lastSeq: deps.ingest.seq.lastSeq(d.tenant, d.device) ?? null,
            }))
            .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.device.localeCompare(b.device)),
        };
      },
    );
  };
}
