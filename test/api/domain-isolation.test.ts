import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, type DomainFixture, domainFixture, T0 } from './domain-fixture.ts';

type User = keyof DomainFixture['tokens'];
type Method = 'GET' | 'POST';
interface Route {
  method: Method;
  /** The OpenAPI path. */
  path: string;
  /** The URL aimed at acme's customer C-001 (device pump-0001, its ticket, visit, technician). */
  url: (ids: DomainFixture['ids']) => string;
  body?: (ids: DomainFixture['ids']) => unknown;
}

const slot = (ids: DomainFixture['ids']) => ({ id: ids.visitA, technicianId: 'TECH-001', startsAt: T0 + 30 * 3_600_000, endsAt: T0 + 32 * 3_600_000 });

/** Every domain route that names one of tenant acme's (customer C-001's) things. */
const TARGETED: Route[] = [
  { method: 'GET', path: '/api/v1/devices/{device}', url: () => '/api/v1/devices/pump-0001' },
  { method: 'GET', path: '/api/v1/devices/{device}/telemetry', url: () => '/api/v1/devices/pump-0001/telemetry' },
  { method: 'GET', path: '/api/v1/devices/{device}/predictions', url: () => '/api/v1/devices/pump-0001/predictions' },
  { method: 'GET', path: '/api/v1/tickets/{id}', url: (i) => `/api/v1/tickets/${i.ticketA}` },
  { method: 'POST', path: '/api/v1/tickets/{id}/transition', url: (i) => `/api/v1/tickets/${i.ticketA}/transition`, body: () => ({ action: { kind: 'triage' }, reason: 'intruder' }) },
  { method: 'POST', path: '/api/v1/tickets/{id}/close', url: (i) => `/api/v1/tickets/${i.ticketA}/close`, body: () => ({ outcome: 'false_alarm', reason: 'intruder' }) },
  { method: 'POST', path: '/api/v1/tickets/{id}/close-out', url: (i) => `/api/v1/tickets/${i.ticketA}/close-out`, body: () => ({ confirmedMode: null, findings: 'intruder' }) },
  { method: 'GET', path: '/api/v1/tickets/{id}/slots', url: (i) => `/api/v1/tickets/${i.ticketA}/slots` },
  { method: 'POST', path: '/api/v1/tickets/{id}/visit', url: (i) => `/api/v1/tickets/${i.ticketA}/visit`, body: (i) => ({ slot: slot(i) }) },
  { method: 'POST', path: '/api/v1/tickets/{id}/visit/reschedule', url: (i) => `/api/v1/tickets/${i.ticketA}/visit/reschedule`, body: (i) => ({ visitId: i.visitA, slot: slot(i) }) },
  { method: 'POST', path: '/api/v1/tickets/{id}/visit/cancel', url: (i) => `/api/v1/tickets/${i.ticketA}/visit/cancel`, body: (i) => ({ visitId: i.visitA, reason: 'intruder' }) },
  { method: 'POST', path: '/api/v1/visits/{id}/start', url: (i) => `/api/v1/visits/${i.visitA}/start` },
  { method: 'POST', path: '/api/v1/visits/{id}/complete', url: (i) => `/api/v1/visits/${i.visitA}/complete`, body: () => ({}) },
  { method: 'GET', path: '/api/v1/technicians/{id}/calendar', url: () => '/api/v1/technicians/TECH-001/calendar' },
];

/** List routes asked, by name, for tenant acme. */
const LISTS_NAMING_ACME: Route[] = [
  { method: 'GET', path: '/api/v1/fleet/overview', url: () => '/api/v1/fleet/overview?tenant=acme' },
  { method: 'GET', path: '/api/v1/episodes', url: () => '/api/v1/episodes?tenant=acme' },
  { method: 'GET', path: '/api/v1/tickets', url: () => '/api/v1/tickets?tenant=acme' },
  { method: 'GET', path: '/api/v1/visits', url: () => '/api/v1/visits?tenant=acme' },
  { method: 'GET', path: '/api/v1/metrics/tiers', url: () => '/api/v1/metrics/tiers?tenant=acme' },
  { method: 'GET', path: '/api/v1/models/retraining-labels', url: () => '/api/v1/models/retraining-labels?tenant=acme' },
];

const OTHER_ROUTES: { method: Method; path: string }[] = [
  { method: 'GET', path: '/api/v1/models' },
  { method: 'POST', path: '/api/v1/models/register' },
  { method: 'POST', path: '/api/v1/models/{type}/activate' },
  { method: 'POST', path: '/api/v1/models/{type}/rollback' },
  { method: 'GET', path: '/api/v1/models/drift' },
];

/** Another tenant's engineer and customer, and another customer of the same tenant. */
const OUTSIDERS: User[] = ['eng-globex', 'cust-globex-1', 'cust-acme-2'];

describe('domain API: tenant and customer isolation on every route', () => {
  let f: DomainFixture;
  before(async () => {
    f = await domainFixture();
  });
  after(() => f.close());

  const call = async (user: User | null, method: Method, url: string, payload?: unknown) => {
    const res = await f.app.inject({ method, url, headers: user ? bearer(f.tokens[user]) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };

  for (const r of TARGETED) {
    test(`${r.method} ${r.path}: outsiders get 403/404, anonymous 401`, async () => {
      for (const user of OUTSIDERS) {
        const res = await call(user, r.method, r.url(f.ids), r.body?.(f.ids));
        assert.ok(res.status === 403 || res.status === 404, `${user}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.ok(['PRG_FORBIDDEN', 'PRG_NOT_FOUND'].includes(res.body.error.code));
        // A 404 from the use-case, not from a mistyped URL that matched no route.
        assert.notEqual(res.body.error.message, `${r.method} ${r.url(f.ids).split('?')[0]}`, 'the route exists');
      }
      assert.equal((await call(null, r.method, r.url(f.ids), r.body?.(f.ids))).status, 401);
    });
  }

  for (const r of LISTS_NAMING_ACME) {
    test(`${r.method} ${r.path}?tenant=acme: another tenant's engineer and customer get 403`, async () => {
      for (const user of ['eng-globex', 'cust-globex-1'] as const) {
        const res = await call(user, r.method, r.url(f.ids));
        assert.equal(res.status, 403, `${user}: ${JSON.stringify(res.body)}`);
      }
      assert.equal((await call(null, r.method, r.url(f.ids))).status, 401);
    });
  }

  test("lists without a tenant show nothing of acme's C-001 to outsiders", async () => {
    for (const user of OUTSIDERS) {
      for (const url of ['/api/v1/fleet/overview', '/api/v1/episodes', '/api/v1/tickets', '/api/v1/visits']) {
        const res = await call(user, 'GET', url);
        assert.equal(res.status, 200, `${user} ${url}`);
        const text = JSON.stringify(res.body);
        for (const secret of ['pump-0001', f.ids.ticketA, f.ids.visitA, f.ids.episodeA]) assert.ok(!text.includes(secret), `${user} ${url} leaks ${secret}`);
      }
    }
    // Positive control: the owner does see them.
    const own = JSON.stringify((await call('cust-acme-1', 'GET', '/api/v1/tickets')).body);
    assert.ok(own.includes(f.ids.ticketA));
  });

  test('the owner and its engineer reach every read route (the table is not vacuous)', async () => {
    for (const r of TARGETED.filter((x) => x.method === 'GET')) {
      const res = await call('eng-acme', 'GET', r.url(f.ids));
      assert.equal(res.status, 200, `${r.path}: ${JSON.stringify(res.body)}`);
    }
    for (const url of ['/api/v1/devices/pump-0001', '/api/v1/devices/pump-0001/telemetry', '/api/v1/devices/pump-0001/predictions', `/api/v1/tickets/${f.ids.ticketA}`]) {
      assert.equal((await call('cust-acme-1', 'GET', url)).status, 200, url);
    }
  });

  test("nothing the outsiders tried changed acme's ticket or visit", async () => {
    const t = await call('eng-acme', 'GET', `/api/v1/tickets/${f.ids.ticketA}`);
    assert.equal(t.body.state, 'open');
    assert.equal(t.body.outcome, null);
    assert.equal(t.body.audit.length, 1);
    assert.equal(t.body.visit.id, f.ids.visitA);
    assert.equal(t.body.visit.status, 'proposed');
  });

  test('a customer cannot change even their own ticket or visit', async () => {
    for (const r of TARGETED.filter((x) => x.method === 'POST' && !x.path.includes('/visit') && !x.path.startsWith('/api/v1/visits'))) {
      const res = await call('cust-acme-1', 'POST', r.url(f.ids), r.body?.(f.ids));
      assert.equal(res.status, 403, `${r.path}: ${JSON.stringify(res.body)}`);
    }
    for (const r of TARGETED.filter((x) => x.path.startsWith('/api/v1/visits'))) {
      assert.equal((await call('cust-acme-1', 'POST', r.url(f.ids), r.body?.(f.ids))).status, 403, r.path);
    }
  });

  test('OpenAPI documents every domain route with its response schema', async () => {
    const doc = (await f.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>> };
    const all = [...TARGETED, ...LISTS_NAMING_ACME, ...OTHER_ROUTES, { method: 'GET' as const, path: '/api/v1/auth/me' }];
    for (const r of all) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path} is documented`);
      assert.ok(op.responses['200'], `${r.method} ${r.path} documents its answer`);
      assert.ok(op.security, `${r.method} ${r.path} documents its security`);
    }
    const domain = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const listed = new Set(all.map((r) => `${r.method} ${r.path}`));
    const ours = /^(GET|POST) \/api\/v1\/(fleet|episodes|tickets|visits|technicians|metrics|models|devices\/\{device\}($|\/telemetry|\/predictions))/;
    assert.deepEqual(domain.filter((d) => ours.test(d) && !listed.has(d)), [], 'every domain route is in this table');
  });
});
