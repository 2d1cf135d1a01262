import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Assistant } from '../../assistant/assistant.ts';
import type { Caller } from '../../platform/caller.ts';
import { PrognosError } from '../../platform/errors.ts';
import { requireCaller } from '../caller-access.ts';

export interface AssistantRoutesDeps {
  assistant: Assistant;
  /**
   * Resolves `engineer:<userId>` / `customer:<userId>` to that user's caller (tenant, customer).
   * Only an admin may ask as someone else (the CLI's `--as`); unset: nobody may.
   */
  resolveAs?: (kind: 'engineer' | 'customer', userId: string) => Promise<Caller | undefined>;
}

export const AskBody = z.object({
  message: z.string().trim().min(1).max(4000),
  conversationId: z.uuid().optional(),
  /** `engineer:<userId>` or `customer:<userId>`: ask as that user (admins only, or yourself). */
  as: z
    .string()
    .regex(/^(engineer|customer):[A-Za-z0-9._@-]{1,128}$/, 'must be engineer:<id> or customer:<id>')
    .optional(),
  /** Answer as server-sent events: `delta` (text), `reset`, then `result` (the JSON answer). */
  stream: z.boolean().default(false),
});

async function effectiveCaller(deps: AssistantRoutesDeps, requester: Caller, as: string | undefined): Promise<Caller> {
  if (!as) return requester;
  const i = as.indexOf(':');
  const kind = as.slice(0, i) as 'engineer' | 'customer';
  const userId = as.slice(i + 1);
  if (requester.kind === kind && requester.userId === userId) return requester;
  if (requester.kind !== 'admin') throw new PrognosError('PRG_FORBIDDEN', 'only an admin may ask as another user');
  const c = deps.resolveAs ? await deps.resolveAs(kind, userId) : undefined;
  if (!c || c.kind !== kind) throw new PrognosError('PRG_NOT_FOUND', `user ${as}`);
  return c;
}

/**
 * POST /api/v1/assistant/ask — one question to the assistant as the authenticated caller (or,
 * for an admin, as the user named in `as`). Continue a conversation with its id; confirm a
 * proposal by answering "yes" / "确认" in the same conversation.
 */
export async function assistantRoutes(app: FastifyInstance, deps: AssistantRoutesDeps): Promise<void> {
  app.post('/api/v1/assistant/ask', { schema: { tags: ['assistant'], summary: 'Ask the assistant (answer, sources, tool calls, proposals)' } }, async (req, reply) => {
    const requester = requireCaller(req);
    const body = AskBody.parse(req.body);
    const caller = await effectiveCaller(deps, requester, body.as);
    if (!body.stream) return deps.assistant.ask({ caller, message: body.message, conversationId: body.conversationId });
    const abort = new AbortController();
    req.raw.on('close', () => abort.abort());
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    try {
      const r = await deps.assistant.ask({
        caller,
        message: body.message,
        conversationId: body.conversationId,
        signal: abort.signal,
        onStream: (e) => (e.type === 'delta' ? send('delta', { text: e.text }) : send('reset', {})),
      });
      send('result', r);
    } catch (err) {
      send('error', err instanceof PrognosError ? { code: err.code, message: err.message } : { code: 'PRG_INTERNAL', message: 'Internal error' });
    }
    reply.raw.end();
  });
}
