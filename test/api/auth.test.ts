import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SESSION_COOKIE } from '../../api/routes/auth-routes.ts';
import { type ApiFixture, apiFixture, bearer, PASSWORD } from './api-fixture.ts';

describe('login, sessions and roles', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
  });
  after(() => f.close());

  const login = (username: string, password: string) => f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

  test('a right password gives a bearer token and an HttpOnly session cookie, both naming the caller', async () => {
    const res = await login('cust-acme-1', PASSWORD);
    assert.equal(res.statusCode, 200);
    const body = res.json() as { token: string; caller: unknown; expiresAt: string };
    assert.deepEqual(body.caller, { kind: 'customer', userId: 'cust-acme-1', tenant: 'acme', customerId: 'c1' });
    assert.equal(body.expiresAt, new Date(f.clock.now() + 3600_000).toISOString());
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`));
    const byBearer = await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(body.token) });
    assert.deepEqual(byBearer.json().caller, body.caller);
    const byCookie = await f.app.inject({ url: '/api/v1/auth/me', headers: { cookie: `other=1; ${cookie.split(';')[0]}` } });
    assert.equal(byCookie.statusCode, 200);
    assert.deepEqual(byCookie.json().caller, body.caller);
  });

  test('a wrong password and an unknown user get the same coded 401', async () => {
    const wrong = await login('eng-acme', 'not the password');
    const unknown = await login('nobody', 'not the password');
    for (const res of [wrong, unknown]) {
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: { code: 'PRG_UNAUTHENTICATED', message: 'Authentication required: wrong username or password' } });
      assert.equal(res.headers['set-cookie'], undefined);
    }
  });

  test('passwords are stored as scrypt hashes, tokens as sha256', async () => {
    const row = await f.db.selectFrom('users').select('password_hash').where('id', '=', 'admin').executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$16384\$8\$1\$/);
    assert.ok(!row.password_hash.includes(PASSWORD));
    const tokens = await f.db.selectFrom('api_tokens').select('token_hash').execute();
    assert.ok(tokens.length > 0 && tokens.every((t) => /^[0-9a-f]{64}$/.test(t.token_hash)));
    assert.ok(!tokens.some((t) => t.token_hash === f.tokens.admin));
  });

  test('roles: the admin-only logs refuse engineers and customers; device lists refuse customers', async () => {
    for (const url of ['/api/v1/rejects', '/api/v1/data-quality', '/api/v1/broker-config']) {
      assert.equal((await f.app.inject({ url, headers: bearer(f.tokens.admin) })).statusCode, 200, `admin ${url}`);
      for (const who of ['eng-acme', 'cust-acme-1'] as const) {
        const res = await f.app.inject({ url, headers: bearer(f.tokens[who]) });
        assert.equal(res.statusCode, 403, `${who} ${url}`);
        assert.equal(res.json().error.code, 'PRG_FORBIDDEN');
      }
    }
    assert.equal((await f.app.inject({ url: '/api/v1/devices', headers: bearer(f.tokens['cust-acme-1']) })).statusCode, 403);
  });

  // Last: it moves the clock past every token of this fixture.
  test('tokens expire, and logout ends a session', async () => {
    const { token } = (await login('eng-acme', PASSWORD)).json() as { token: string };
    assert.equal((await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode, 200);
    const out = await f.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode, 401);

    const second = ((await login('eng-acme', PASSWORD)).json() as { token: string }).token;
    f.clock.advance(3600_000 - 1);
    assert.equal((await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(second) })).statusCode, 200);
    f.clock.advance(1);
    assert.equal((await f.app.inject({ url: '/api/v1/auth/me', headers: bearer(second) })).statusCode, 401);
    assert.ok((await f.auth.sessions.purgeExpired()) >= 1);
  });
});

describe('bootstrap', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture({ noUsers: true });
  });
  after(() => f.close());

  test('on an empty store it creates admin and the demo users once, with passwords that log in', async () => {
    const created = await f.auth.bootstrap();
    assert.deepEqual(
      created.map((u) => [u.username, u.role, u.tenant, u.customerId]),
      [
        ['admin', 'admin', null, null],
        ['demo-engineer', 'engineer', 'demo', null],
        ['demo-customer', 'customer', 'demo', 'C-001'],
      ],
    );
    assert.equal(new Set(created.map((u) => u.password)).size, 3, 'a random password each');
    for (const u of created) {
      const res = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: u.username, password: u.password } });
      assert.equal(res.statusCode, 200, u.username);
      assert.equal(res.json().caller.kind, u.role);
    }
    assert.deepEqual(await f.auth.bootstrap({ password: 'another-password' }), [], 'never again once users exist');
  });
});
