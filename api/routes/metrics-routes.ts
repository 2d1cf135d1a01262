import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TIERS } from '../../maintenance/service-tier.ts';
import { tierMetrics } from '../../maintenance/ticket-use-cases.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { requireCaller } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const Counts = z.record(z.string(), z.number().int());

/**
 * Outcomes and per-tier metrics: how many tickets each service tier (ai, assisted, human) has,
 * by state and by outcome, and the outcomes over all tiers. Engineers: their tenant; admins: all
 * or `?tenant=`; customers: 403.
 */
export function metricsRoutes(deps: DomainDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/metrics/tiers',
      {
        schema: {
          tags: ['metrics'],
          summary: 'Ticket counts per service tier by state and outcome, and outcomes over all tiers',
          security,
          querystring: z.object({
            tenant: z.string().max(64).optional(),
            since: z.coerce.number().int().optional().meta({ description: 'only tickets opened at or after this epoch ms' }),
          }),
          response: {
            200: z.object({
              tiers: z.array(z.object({ tier: z.enum(TIERS), total: z.number().int(), byState: Counts, byOutcome: Counts })),
              outcomes: Counts,
              total: z.number().int(),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const tiers = await tierMetrics(deps, requireCaller(req), { tenant: req.query.tenant, sinceMs: req.query.since });
        const outcomes: Record<string, number> = {};
        for (const t of tiers) for (const [o, n] of Object.entries(t.byOutcome)) outcomes[o] = (outcomes[o] ?? 0) + (n ?? 0);
        return { tiers: tiers.map((t) => ({ ...t, byState: t.byState as Record<string, number>, byOutcome: t.byOutcome as Record<string, number> })), outcomes, total: tiers.reduce((s, t) => s + t.total, 0) };
      },
    );
  };
}
