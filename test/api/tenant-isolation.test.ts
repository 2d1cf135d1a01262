import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyMosquittoHash } from '../../api/device-identity/mosquitto-password.ts';
import { type ApiFixture, apiFixture, bearer, type UserName } from './api-fixture.ts';

/** Every tenant-scoped route of api/ refuses callers of another tenant, and customers. */
describe('tenant and customer isolation', () => {
  let f: ApiFixture;
  before(async () => {
    f = await apiFixture();
    const now = f.clock.now();
    f.ingest.liveness.observe('acme', 'pump-1', now, now);
    f.ingest.liveness.observe('globex', 'press-1', now, now);
  });
  after(() => f.close());

  const as = (who: UserName, method: 'GET' | 'POST' | 'DELETE', url: string) => f.app.inject({ method, url, headers: bearer(f.tokens[who]) });

  test('device liveness: an engineer sees their tenant only, an admin all', async () => {
    const devices = async (who: UserName) => ((await as(who, 'GET', '/api/v1/devices')).json() as { items: { tenant: string; device: string }[] }).items.map((d) => `${d.tenant}/${d.device}`);
    assert.deepEqual(await devices('eng-acme'), ['acme/pump-1']);
    assert.deepEqual(await devices('eng-globex'), ['globex/press-1']);
    assert.deepEqual(await devices('admin'), ['acme/pump-1', 'globex/press-1']);
  });

  test('issuing credentials: an engineer of the tenant or an admin; never another tenant or a customer', async () => {
    const own = await as('eng-acme', 'POST', '/api/v1/devices/pump-1/credentials');
    assert.equal(own.statusCode, 201);
    const issued = own.json() as { tenant: string; username: string; secret: string; publishTopic: string; commandTopic: string };
    assert.equal(issued.tenant, 'acme');
    assert.equal(issued.username, 'acme/pump-1');
    assert.equal(issued.publishTopic, 'prognos/acme/pump-1/telemetry');
    assert.equal(issued.commandTopic, 'prognos/acme/pump-1/commands');
    const stored = await f.credentials.findActive('acme/pump-1');
    assert.ok(stored && (await verifyMosquittoHash(issued.secret, stored.secretHash)));
    assert.ok(!stored.secretHash.includes(issued.secret));

    assert.equal((await as('admin', 'POST', '/api/v1/devices/pump-2/credentials?tenant=acme')).statusCode, 201);
    const adminNoTenant = await as('admin', 'POST', '/api/v1/devices/pump-2/credentials');
    assert.equal(adminNoTenant.statusCode, 400);
    assert.equal(adminNoTenant.json().error.code, 'PRG_BAD_REQUEST');

    for (const [who, url] of [
      ['eng-globex', '/api/v1/devices/pump-1/credentials?tenant=acme'],
      ['cust-acme-1', '/api/v1/devices/pump-1/credentials'],
      ['cust-acme-1', '/api/v1/devices/pump-1/credentials?tenant=acme'],
      ['cust-globex-1', '/api/v1/devices/pump-1/credentials?tenant=acme'],
      ['eng-globex', '/api/v1/gateway-credentials?tenant=acme'],
      ['cust-acme-1', '/api/v1/gateway-credentials'],
    ] as const) {
      const res = await as(who, 'POST', url);
      assert.equal(res.statusCode, 403, `${who} POST ${url}`);
      assert.equal(res.json().error.code, 'PRG_FORBIDDEN');
    }
    // The refused attempts changed nothing: acme/pump-1 still has exactly its one live credential.
    const list = (await as('eng-acme', 'GET', '/api/v1/devices/pump-1/credentials')).json() as { items: { revokedAt: string | null }[] };
    assert.equal(list.items.filter((c) => c.revokedAt === null).length, 1);
  });

  test("listing and revoking another tenant's credentials is refused", async () => {
    for (const who of ['eng-globex', 'cust-acme-1', 'cust-globex-1'] as const) {
      for (const method of ['GET', 'DELETE'] as const) {
        const res = await as(who, method, '/api/v1/devices/pump-1/credentials?tenant=acme');
        assert.equal(res.statusCode, 403, `${who} ${method}`);
      }
    }
    // Without naming a tenant, an engineer reads their own: globex has no pump-1 credentials.
    const globexView = (await as('eng-globex', 'GET', '/api/v1/devices/pump-1/credentials')).json() as { items: unknown[] };
    assert.deepEqual(globexView.items, []);
    const revokeOwnOnly = (await as('eng-globex', 'DELETE', '/api/v1/devices/pump-1/credentials')).json() as { revoked: number };
    assert.equal(revokeOwnOnly.revoked, 0);
    assert.ok(await f.credentials.findActive('acme/pump-1'), "acme's credential survived");
  });

  test('issuing again rotates; revoking ends it', async () => {
    const first = await f.credentials.findActive('acme/pump-1');
    const again = (await as('eng-acme', 'POST', '/api/v1/devices/pump-1/credentials')).json() as { secret: string };
    const now = await f.credentials.findActive('acme/pump-1');
    assert.notEqual(now!.secretHash, first!.secretHash);
    assert.ok(await verifyMosquittoHash(again.secret, now!.secretHash));
    const listed = (await as('eng-acme', 'GET', '/api/v1/devices/pump-1/credentials')).json() as { items: { revokedAt: string | null }[] };
    assert.equal(listed.items.length, 2);
    assert.equal(listed.items.filter((c) => c.revokedAt === null).length, 1);
    assert.deepEqual((await as('eng-acme', 'DELETE', '/api/v1/devices/pump-1/credentials')).json(), { revoked: 1 });
    assert.equal(await f.credentials.findActive('acme/pump-1'), undefined);
  });

  test('secrets never appear in lists or in the broker files', async () => {
    const issued = (await as('eng-acme', 'POST', '/api/v1/devices/pump-9/credentials')).json() as { secret: string };
    const list = await as('eng-acme', 'GET', '/api/v1/devices/pump-9/credentials');
    assert.ok(!list.body.includes(issued.secret));
    const files = await as('admin', 'GET', '/api/v1/broker-config');
    assert.equal(files.statusCode, 200);
    assert.ok(!files.body.includes(issued.secret));
    assert.match(files.json().passwordFile, /^acme\/pump-9:\$7\$101\$/m);
    assert.match(files.json().aclFile, /user acme\/pump-9\ntopic write prognos\/acme\/pump-9\/telemetry\ntopic read prognos\/acme\/pump-9\/commands/);
  });
});
