import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PrognosError } from '../../platform/errors.ts';
import { type ApiFixture, apiFixture, bearer } from './api-fixture.ts';

/** The frame every route plugs into: OpenAPI from the zod schemas, coded errors, rate limits. */

// A plugin like the domains will add: its schemas must reach the OpenAPI document, its errors the catalogue.
const probeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/v1/probe/:kind',
    {
      schema: {
        params: z.object({ kind: z.enum(['ok', 'coded', 'crash']) }),
        body: z.object({ n: z.number().int().min(1) }),
        response: { 200: z.object({ doubled: z.number() }) },
      },
    },
    async (req) => {
      if (req.params.kind === 'coded') throw new PrognosError('PRG_FORBIDDEN', 'probe says no');
      if (req.params.kind === 'crash') throw new Error('database password is hunter2');
      return { doubled: req.body.n * 2 };
    },
  );
};

describe('API frame', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture({ routes: [probeRoutes] });
  });
  after(() => f.close());

  test('the OpenAPI document lists every route with its schemas', async () => {
    const res = await f.app.inject({ url: '/docs/json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, any>>; components: { securitySchemes: Record<string, unknown> } };
    assert.match(doc.openapi, /^3\./);
    const expected: [string, string][] = [
      ['/healthz', 'get'],
      ['/metrics', 'get'],
      ['/api/v1/status', 'get'],
      ['/api/v1/rejects', 'get'],
      ['/api/v1/data-quality', 'get'],
      ['/api/v1/devices', 'get'],
      ['/api/v1/auth/login', 'post'],
      ['/api/v1/auth/logout', 'post'],
      ['/api/v1/auth/me', 'get'],
      ['/api/v1/devices/{device}/credentials', 'post'],
      ['/api/v1/devices/{device}/credentials', 'get'],
      ['/api/v1/devices/{device}/credentials', 'delete'],
      ['/api/v1/gateway-credentials', 'post'],
      ['/api/v1/broker-config', 'get'],
      ['/api/v1/events', 'get'],
      ['/api/v1/probe/{kind}', 'post'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} has responses`);
    }
    // The document and the server agree: each listed route exists, and nothing else is documented.
    for (const [path, method] of expected) assert.ok(f.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${path} is a real route`);
    assert.deepEqual(Object.keys(doc.paths).sort(), [...new Set(expected.map(([p]) => p))].sort());
    // Schemas come from zod: the login body, the probe's params enum and body.
    const login = doc.paths['/api/v1/auth/login']!.post;
    const loginSchema = login.requestBody.content['application/json'].schema;
    assert.deepEqual([...loginSchema.required].sort(), ['password', 'username']);
    const probe = doc.paths['/api/v1/probe/{kind}']!.post;
    assert.deepEqual(probe.parameters.find((p: any) => p.name === 'kind').schema.enum, ['ok', 'coded', 'crash']);
    assert.equal(probe.requestBody.content['application/json'].schema.properties.n.type, 'integer');
    assert.ok(doc.components.securitySchemes.bearer);
    assert.ok(doc.paths['/api/v1/rejects']!.get.parameters.some((p: any) => p.name === 'limit' && p.in === 'query'));
  });

  test('the Swagger UI is served at /docs', async () => {
    const res = await f.app.inject({ url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /swagger/i);
  });

  test('a route plugin works through the zod type provider', async () => {
    const res = await f.app.inject({ method: 'POST', url: '/api/v1/probe/ok', payload: { n: 21 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { doubled: 42 });
  });

  test('errors are coded JSON: validation 400, PrognosError its status, unknown 500 without internals, 404', async () => {
    const bad = await f.app.inject({ method: 'POST', url: '/api/v1/probe/ok', payload: { n: 0 } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'PRG_BAD_REQUEST');
    assert.match(bad.json().error.message, /n/);

    const badParam = await f.app.inject({ method: 'POST', url: '/api/v1/probe/nope', payload: { n: 1 } });
    assert.equal(badParam.statusCode, 400);
    assert.equal(badParam.json().error.code, 'PRG_BAD_REQUEST');

    const badJson = await f.app.inject({ method: 'POST', url: '/api/v1/probe/ok', headers: { 'content-type': 'application/json' }, payload: '{"n":' });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error.code, 'PRG_BAD_REQUEST');

    const coded = await f.app.inject({ method: 'POST', url: '/api/v1/probe/coded', payload: { n: 1 } });
    assert.equal(coded.statusCode, 403);
    assert.deepEqual(coded.json(), { error: { code: 'PRG_FORBIDDEN', message: 'Not allowed for this caller: probe says no' } });

    const crash = await f.app.inject({ method: 'POST', url: '/api/v1/probe/crash', payload: { n: 1 } });
    assert.equal(crash.statusCode, 500);
    assert.deepEqual(crash.json(), { error: { code: 'PRG_INTERNAL', message: 'Internal error' } });
    assert.doesNotMatch(crash.body, /hunter2/);

    const missing = await f.app.inject({ url: '/api/v1/nothing-here' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'PRG_NOT_FOUND');

    const query = await f.app.inject({ url: '/api/v1/rejects?limit=0', headers: bearer(f.tokens.admin) });
    assert.equal(query.statusCode, 400);
    assert.equal(query.json().error.code, 'PRG_BAD_REQUEST');
    assert.match(query.json().error.message, /limit/);
  });

  test('health, metrics and status answer without a login; the rest need one', async () => {
    assert.deepEqual((await f.app.inject({ url: '/healthz' })).json(), { ok: true });
    const metrics = await f.app.inject({ url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.headers['content-type'] as string, /text\/plain/);
    const status = await f.app.inject({ url: '/api/v1/status' });
    assert.equal(status.statusCode, 200);
    assert.equal(typeof status.json().ingest.messages, 'number');
    for (const url of ['/api/v1/rejects', '/api/v1/data-quality', '/api/v1/devices', '/api/v1/auth/me', '/api/v1/devices/d1/credentials', '/api/v1/broker-config', '/api/v1/events']) {
      const res = await f.app.inject({ url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.json().error.code, 'PRG_UNAUTHENTICATED', url);
      const forged = await f.app.inject({ url, headers: bearer('not-a-token') });
      assert.equal(forged.statusCode, 401, `${url} with a forged token`);
    }
  });
});

describe('rate limits', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture({ rateLimit: { max: 3, windowMs: 60_000, loginMax: 2 } });
  });
  after(() => f.close());

  test('the fourth request of a user in the window is 429 with a coded body; another user is not affected', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(f.tokens['eng-acme']) })).statusCode, 200);
    const limited = await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(f.tokens['eng-acme']) });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, 'PRG_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(f.tokens['eng-globex']) })).statusCode, 200);
  });

  test('logins are limited per address', async () => {
    const attempt = () => f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'guess-guess' }, remoteAddress: '10.9.9.9' });
    assert.equal((await attempt()).statusCode, 401);
    assert.equal((await attempt()).statusCode, 401);
    const third = await attempt();
    assert.equal(third.statusCode, 429);
    assert.equal(third.json().error.code, 'PRG_RATE_LIMITED');
  });
});
