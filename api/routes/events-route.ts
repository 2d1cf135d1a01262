import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireCaller } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';
import type { LiveEvents } from '../live-events.ts';

export interface EventsRouteDeps {
  events: LiveEvents;
  /** Comment line sent this often so proxies keep the stream open. Default 15 000 ms. */
  heartbeatMs?: number;
}

/**
 * `GET /api/v1/events`: server-sent events of the caller's tenant (a customer: only events
 * bound to their customer id). Each event is `id: <n>`, `event: <type>`, `data: <JSON>`.
 */
export function eventsRoute(deps: EventsRouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const open = new Set<ServerResponse>();
    // Hijacked streams are not idle connections: end them, or closing the server waits forever.
    app.addHook('preClose', async () => {
      for (const res of open) res.end();
    });

    app.get(
      '/api/v1/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Live events (text/event-stream) of the caller’s tenant or customer: episodes, tickets, visits',
          security: [{ bearer: [] }, { cookie: [] }],
          response: {
            200: z.string().meta({ description: 'text/event-stream: `id`, `event` (the type) and `data` (JSON: type, tenant, customerId, data, at)' }),
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        const caller = requireCaller(req);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write(': connected\n\n');
        open.add(res);
        const unsubscribe = deps.events.subscribe(caller, (e) => {
          res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        });
        const heartbeat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs ?? 15_000);
        heartbeat.unref();
        res.once('close', () => {
          clearInterval(heartbeat);
          unsubscribe();
          open.delete(res);
        });
      },
    );
  };
}
