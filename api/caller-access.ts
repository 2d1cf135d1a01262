import type { FastifyRequest } from 'fastify';
import type { Caller } from '../platform/caller.ts';
import { PrognosError } from '../platform/errors.ts';

/**
 * Tenant isolation at the HTTP edge. Routes take the caller from the request and hand it to the
 * use-case, which enforces authority itself; these helpers cover the checks the routes of this
 * folder make before reaching a store that has no caller of its own yet.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking, set by the auth hook from the bearer token or session cookie; null when anonymous. */
    caller: Caller | null;
  }
}

/** The authenticated caller; PRG_UNAUTHENTICATED (401) when there is none. */
export function requireCaller(req: FastifyRequest): Caller {
  if (!req.caller) throw new PrognosError('PRG_UNAUTHENTICATED');
  return req.caller;
}

/** The caller when it is one of `kinds`; 401 without a caller, 403 for another kind. */
export function requireKind<K extends Caller['kind']>(req: FastifyRequest, ...kinds: K[]): Extract<Caller, { kind: K }> {
  const c = requireCaller(req);
  if (!(kinds as string[]).includes(c.kind)) throw new PrognosError('PRG_FORBIDDEN', `${c.kind} may not do this`);
  return c as Extract<Caller, { kind: K }>;
}

/**
 * The tenant an engineering request acts on: an engineer's own (asking for another is 403), the
 * one an admin names (400 when none is named). Customers are refused.
 */
export function engineeringTenant(req: FastifyRequest, requested: string | undefined): string {
  const c = requireKind(req, 'admin', 'engineer', 'system');
  if (c.kind === 'admin') {
    if (!requested) throw new PrognosError('PRG_BAD_REQUEST', 'an admin must name the tenant');
    return requested;
  }
  if (requested !== undefined && requested !== c.tenant) throw new PrognosError('PRG_FORBIDDEN', `not a member of tenant ${requested}`);
  return c.tenant;
}

/** Whether the caller may see something of `tenant` (and, for customers, of `customerId`). */
export function canSee(c: Caller, tenant: string, customerId?: string | null): boolean {
  switch (c.kind) {
    case 'admin':
      return true;
    case 'engineer':
    case 'system':
      return c.tenant === tenant;
    case 'customer':
      return c.tenant === tenant && customerId !== undefined && customerId !== null && customerId === c.customerId;
  }
}
