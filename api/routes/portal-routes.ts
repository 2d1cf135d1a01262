import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CustomerLinks } from '../../alerts/notify/customer-links.ts';
import type { VisitFlowOptions } from '../../workflows/visit-use-cases.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { type CustomerReplyInput, type CustomerReplyResult, handleCustomerReply, type PortalAction } from '../../workflows/customer-reply.ts';
import { portalView } from '../../workflows/portal-view.ts';
import { errorResponses } from '../error-reply.ts';

export interface PortalRoutesDeps {
  /** Verifies the signed links (same secret as the messages were signed with). */
  links: CustomerLinks;
  visit?: VisitFlowOptions;
  /** The running WorkflowEngine (its handleReply also wakes the job relay); default: the use-case directly. */
  engine?: { handleReply(input: CustomerReplyInput, action?: PortalAction): Promise<CustomerReplyResult> };
}

// A wildcard, not `:token`: a signed link is longer than Fastify's 100-character limit on a path parameter.
const TokenParams = z.object({ '*': z.string().min(10).max(4096).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'not a link token') });

const Slot = z.object({ id: z.string(), startsAt: z.number(), endsAt: z.number(), technicianName: z.string() });
const View = z
  .object({
    ticket: z.object({ id: z.string(), state: z.string(), outcome: z.string().nullable(), mode: z.string() }),
    device: z.object({ id: z.string(), model: z.string().nullable(), site: z.string().nullable() }),
    language: z.string(),
    plainLanguage: z.boolean(),
    timezone: z.string(),
    message: z.object({ subject: z.string(), body: z.string() }),
    evidence: z.array(z.string()),
    slots: z.array(Slot),
    visit: Slot.extend({ status: z.string() }).nullable(),
  })
  .meta({ id: 'PortalView' });

const Action = z.discriminatedUnion('action', [
  z.object({ action: z.literal('confirm'), slotId: z.string().min(1).max(200) }),
  z.object({ action: z.literal('reschedule') }),
  z.object({ action: z.literal('decline') }),
  z.object({ action: z.literal('opt_out') }),
]);

const Answer = z.object({
  outcome: z.enum(['booked', 'replanning', 'closed', 'opted_out', 'handed_off', 'clarify', 'nothing']),
  decision: z.string(),
  detail: z.string().optional(),
  ticket: z.object({ id: z.string(), state: z.string(), outcome: z.string().nullable() }),
  visit: z.object({ id: z.string(), startsAt: z.number(), endsAt: z.number() }).nullable(),
});

/**
 * The customer's side of a proactive message, without a login: the signed link is the key
 * (it names tenant, customer and ticket and expires). GET shows the message, the evidence and
 * the slots still on offer (or the booked visit); POST answers it. A bad, expired or foreign
 * link is 404.
 */
export function portalRoutes(deps: DomainDeps, w: PortalRoutesDeps): FastifyPluginAsyncZod {
  const rd = { deps, links: w.links, visit: w.visit };
  const reply = (input: CustomerReplyInput, action?: PortalAction) => (w.engine ? w.engine.handleReply(input, action) : handleCustomerReply(rd, input, action));
  return async (app) => {
    app.get(
      '/api/v1/portal/*',
      { schema: { tags: ['portal'], summary: 'The message behind a signed customer link, its evidence and slots', params: TokenParams, response: { 200: View, ...errorResponses } } },
      async (req) => portalView(rd, req.params['*']),
    );

    app.post(
      '/api/v1/portal/*',
      {
        schema: {
          tags: ['portal'],
          summary: 'Answers the message: confirm a slot, ask for another time, decline, or opt out',
          params: TokenParams,
          body: Action,
          response: { 200: Answer, 409: errorResponses[400], ...errorResponses },
        },
      },
      async (req) => {
        const r = await reply({ token: req.params['*'] }, req.body);
        return {
          outcome: r.outcome,
          decision: r.decision.kind,
          detail: r.detail,
          ticket: { id: r.ticket.id, state: r.ticket.state, outcome: r.ticket.outcome },
          visit: r.visit ? { id: r.visit.id, startsAt: r.visit.startsAt, endsAt: r.visit.endsAt } : null,
        };
      },
    );
  };
}
