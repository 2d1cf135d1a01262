import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../auth/auth-service.ts';
import { requireCaller } from '../caller-access.ts';
import { PrognosError } from '../../platform/errors.ts';
import { errorResponses } from '../error-reply.ts';

/** The HttpOnly cookie the web UI authenticates with (the API takes a bearer token as well). */
export const SESSION_COOKIE = 'prognos_session';

export interface AuthRoutesDeps {
  auth: AuthService;
  /** Login attempts per address per rate-limit window. Default 20. */
  loginRateLimitMax?: number;
  /** Adds `Secure` to the session cookie (when served over HTTPS). Default false. */
  secureCookie?: boolean;
}

export const CallerSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('admin'), userId: z.string() }),
    z.object({ kind: z.literal('engineer'), userId: z.string(), tenant: z.string() }),
    z.object({ kind: z.literal('customer'), userId: z.string(), tenant: z.string(), customerId: z.string() }),
    z.object({ kind: z.literal('system'), tenant: z.string(), reason: z.string() }),
  ])
  .meta({ id: 'Caller' });

const LoginBody = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) });

/** The bearer token or session cookie of a request, if any. */
export function requestToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim() || undefined;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('=')) || undefined;
  }
  return undefined;
}

function setSessionCookie(reply: FastifyReply, token: string, maxAgeS: number, secure: boolean): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`);
}

export function authRoutes(deps: AuthRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/v1/auth/login',
      {
        // Slower guessing: a tighter limit per address than the API's general one.
        config: { rateLimit: { max: deps.loginRateLimitMax ?? 20, keyGenerator: (req: FastifyRequest) => `login:${req.ip}` } },
        schema: {
          tags: ['auth'],
          summary: 'Log in: a bearer token, also set as an HttpOnly session cookie',
          body: LoginBody,
          response: { 200: z.object({ token: z.string(), expiresAt: z.string(), caller: CallerSchema, displayName: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const r = await deps.auth.login(req.body.username, req.body.password);
        setSessionCookie(reply, r.token, Math.floor(deps.auth.ttlMs / 1000), deps.secureCookie ?? false);
        return { token: r.token, expiresAt: r.expiresAt.toISOString(), caller: r.caller, displayName: r.user.displayName };
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        schema: { tags: ['auth'], summary: 'Ends this session (token and cookie)', security: [{ bearer: [] }, { cookie: [] }], response: { 204: z.null(), ...errorResponses } },
      },
      async (req, reply) => {
        requireCaller(req);
        const token = requestToken(req);
        if (token) await deps.auth.logout(token);
        setSessionCookie(reply, '', 0, deps.secureCookie ?? false);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/auth/me',
      {
        schema: {
          tags: ['auth'],
          summary: 'Who the request is authenticated as (the caller, and flat fields for the dashboard)',
          security: [{ bearer: [] }, { cookie: [] }],
          response: {
            200: z.object({
              caller: CallerSchema,
              userId: z.string(),
              role: z.enum(['admin', 'engineer', 'customer']),
              displayName: z.string(),
              tenant: z.string().optional(),
              customerId: z.string().optional(),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const caller = requireCaller(req);
        const token = requestToken(req);
        const user = token ? (await deps.auth.authenticate(token))?.user : undefined;
        if (!user || caller.kind === 'system') throw new PrognosError('PRG_UNAUTHENTICATED');
        return {
          caller,
          userId: caller.userId,
          role: caller.kind,
          displayName: user.displayName,
          ...(caller.kind !== 'admin' ? { tenant: caller.tenant } : {}),
          ...(caller.kind === 'customer' ? { customerId: caller.customerId } : {}),
        };
      },
    );
  };
}
