import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERRORS, PrognosError } from '../platform/errors.ts';
import type { IngestService } from '../ingest/ingest-service.ts';

export interface ApiDeps {
  ingest: IngestService;
  /** Extra fields for /api/v1/status (e.g. the simulator's counts). */
  status?: () => Record<string, unknown>;
}

const RejectsQuery = z.object({
  reason: z.string().max(64).optional(),
  device: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

const DataQualityQuery = z.object({
  device: z.string().max(64).optional(),
  kind: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

/**
 * The HTTP face of the running service. Built without listening, so tests use `inject()`.
 * Errors leave as `{ code, message }` with the catalogue's status.
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof PrognosError) return reply.status(err.status).send({ code: err.code, message: err.message });
    if (err instanceof z.ZodError) {
      return reply.status(400).send({ code: 'PRG_BAD_REQUEST', message: `${ERRORS.PRG_BAD_REQUEST.message}: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
    }
    return reply.status(500).send({ code: 'PRG_INTERNAL', message: 'Internal error' });
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return deps.ingest.metrics.renderPrometheus();
  });

  app.get('/api/v1/status', async () => ({
    brokerUrl: deps.ingest.brokerUrl,
    ingest: deps.ingest.metrics.snapshot(),
    ...deps.status?.(),
  }));

  app.get('/api/v1/rejects', async (req) => {
    const q = RejectsQuery.parse(req.query);
    return { items: await deps.ingest.deadLetters.list(q), countsByReason: await deps.ingest.deadLetters.countByReason() };
  });

  app.get('/api/v1/devices', async () => ({
    items: deps.ingest.liveness
      .all()
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
  }));

  app.get('/api/v1/data-quality', async (req) => {
    const q = DataQualityQuery.parse(req.query);
    return { items: await deps.ingest.dataQuality.list(q) };
  });

  return app;
}
