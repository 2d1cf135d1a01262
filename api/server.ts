import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  type FastifyPluginAsyncZod,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { IngestService } from '../ingest/ingest-service.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { AuthService } from './auth/auth-service.ts';
import type { DeviceCredentialStore } from './device-identity/device-credential-store.ts';
import { sendError } from './error-reply.ts';
import type { LiveEvents } from './live-events.ts';
import { authRoutes, requestToken } from './routes/auth-routes.ts';
import { deviceCredentialRoutes } from './routes/device-credential-routes.ts';
import { eventsRoute } from './routes/events-route.ts';
import { opsRoutes } from './routes/ops-routes.ts';

export interface ApiRateLimit {
  /** Requests per caller (the user; the address before login) per window. Default 600. */
  max?: number;
  /** Default 60 000 ms. */
  windowMs?: number;
  /** Login attempts per address per window. Default 20. */
  loginMax?: number;
}

export interface ApiDeps {
  ingest: IngestService;
  auth: AuthService;
  credentials: DeviceCredentialStore;
  events: LiveEvents;
  /** Extra fields for /api/v1/status (e.g. the simulator's counts). */
  status?: () => Record<string, unknown>;
  rateLimit?: ApiRateLimit;
  /**
   * Route plugins of the domains (fleet, tickets, visits, assistant…), registered after the
   * auth hook, rate limiting and the OpenAPI collector, so their zod schemas appear in /docs.
   * Each takes the caller with `requireCaller(req)` and hands it to its use-cases.
   */
  routes?: readonly FastifyPluginAsyncZod[];
  /** Request logging; default none. */
  logger?: Logger;
  /** Adds `Secure` to the session cookie. Default false. */
  secureCookie?: boolean;
  /** prognos' own MQTT user on an external broker, for the generated Mosquitto files. */
  mqttService?: { username: string; password: string };
}

export type Api = FastifyInstance;

/**
 * The HTTP face of the running service. Built without listening, so tests use `inject()`.
 *
 * Every route declares zod schemas: they validate requests, serialize answers, and make the
 * OpenAPI 3 document (`/docs/json`, UI at `/docs`). Errors leave as `{ error: { code, message } }`
 * with the catalogue's status (error-reply.ts). A request's caller comes from its bearer token or
 * session cookie (`request.caller`); rate limits count per user, or per address before login.
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  // pino's Logger and Fastify's logger type differ only in generics.
  const app: FastifyInstance = Fastify(deps.logger ? { loggerInstance: deps.logger as unknown as FastifyBaseLogger } : { logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler((req, reply) => sendError(new PrognosError('PRG_NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`), req, reply));

  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (req) => {
    const token = requestToken(req);
    // An unknown or expired token leaves the request anonymous: routes that need a caller answer 401.
    if (token) req.caller = (await deps.auth.authenticate(token))?.caller ?? null;
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'prognos API', version: '1', description: 'Predictive-maintenance service: telemetry, predictions, tickets, visits. Errors are `{ error: { code, message } }` (docs/errors.md).' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/v1/auth/login' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'prognos_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });
  void app.register(rateLimit, {
    global: true,
    max: deps.rateLimit?.max ?? 600,
    timeWindow: deps.rateLimit?.windowMs ?? 60_000,
    // After onRequest, so the key can be the authenticated user.
    hook: 'preHandler',
    keyGenerator: (req) => (req.caller && 'userId' in req.caller ? `user:${req.caller.userId}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, ctx) => new PrognosError('PRG_RATE_LIMITED', `at most ${ctx.max} requests per ${ctx.after}; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });

  // Routes in plugins registered after the three above, so each route is rate-limited and documented.
  void app.register(opsRoutes({ ingest: deps.ingest, status: deps.status }));
  void app.register(authRoutes({ auth: deps.auth, loginRateLimitMax: deps.rateLimit?.loginMax, secureCookie: deps.secureCookie }));
  void app.register(deviceCredentialRoutes({ credentials: deps.credentials, brokerUrl: () => deps.ingest.brokerUrl, mqttService: deps.mqttService }));
  void app.register(eventsRoute({ events: deps.events }));
  for (const routes of deps.routes ?? []) void app.register(routes);

  return app;
}
