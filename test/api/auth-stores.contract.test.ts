import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthService } from '../../api/auth/auth-service.ts';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { verifyMosquittoHash } from '../../api/device-identity/mosquitto-password.ts';
import { ManualClock } from '../../platform/clock.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines as engines } from '../support/sql-engines.ts';

/** The auth and device-credential stores behave alike on PGlite and PostgreSQL (fresh database, dropped after). */


for (const engine of engines) {
  describe(`auth stores on ${engine.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.parse('2026-05-01T00:00:00Z'));
    before(async () => {
      const e = await engine.open();
      cleanup = e.cleanup;
      db = await openDatabase(e.config);
    });
    after(async () => {
      await db?.destroy();
      await cleanup?.();
    });

    test('users: each role holds exactly its fields; ids are unique', async () => {
      const auth = new AuthService({ db, clock, tokenTtlMs: 60_000 });
      await auth.createUser({ id: 'eng', role: 'engineer', tenant: 't1', customerId: null, displayName: 'Eng', password: 'password-1' });
      const bad = [
        { id: 'a1', role: 'admin', tenant: 't1', customerId: null },
        { id: 'e1', role: 'engineer', tenant: null, customerId: null },
        { id: 'c1', role: 'customer', tenant: 't1', customerId: null },
        { id: 'x1', role: 'boss', tenant: 't1', customerId: null },
        { id: 'eng', role: 'engineer', tenant: 't2', customerId: null },
      ];
      for (const u of bad) {
        await assert.rejects(auth.createUser({ ...(u as any), displayName: u.id, password: 'password-1' }), `${u.id} ${u.role} refused`);
      }
      await assert.rejects(auth.createUser({ id: 'short', role: 'engineer', tenant: 't1', customerId: null, displayName: 's', password: 'short' }), (e) => isPrognosError(e, 'PRG_BAD_REQUEST'));
      assert.equal(await auth.users.count(), 1);
    });

    test('sessions: login, expiry at the ttl, logout', async () => {
      const auth = new AuthService({ db, clock, tokenTtlMs: 60_000 });
      const { token, caller } = await auth.login('eng', 'password-1');
      assert.deepEqual(caller, { kind: 'engineer', userId: 'eng', tenant: 't1' });
      assert.deepEqual((await auth.authenticate(token))?.caller, caller);
      await assert.rejects(auth.login('eng', 'password-2'), (e) => isPrognosError(e, 'PRG_UNAUTHENTICATED'));
      clock.advance(60_000);
      assert.equal(await auth.authenticate(token), null);
      const second = await auth.login('eng', 'password-1');
      await auth.logout(second.token);
      assert.equal(await auth.authenticate(second.token), null);
      assert.equal(await auth.authenticate('never-issued'), null);
    });

    test('device credentials: issue, rotate, revoke, list; only live ones authenticate', async () => {
      const store = new DeviceCredentialStore(db, clock);
      const a = await store.issue('t1', 'dev-1');
      const b = await store.issue('t1', 'dev-1');
      await store.issue('t2', 'dev-1');
      const live = await store.findActive('t1/dev-1');
      assert.ok(live && (await verifyMosquittoHash(b.secret, live.secretHash)));
      assert.equal(await verifyMosquittoHash(a.secret, live.secretHash), false, 'the rotated-out secret no longer matches');
      assert.deepEqual(
        (await store.list('t1', 'dev-1')).map((c) => c.revokedAt === null),
        [true, false],
      );
      assert.deepEqual(
        (await store.allActive()).map((c) => c.username),
        ['t1/dev-1', 't2/dev-1'],
      );
      assert.equal(await store.revoke('t1', 'dev-1'), 1);
      assert.equal(await store.findActive('t1/dev-1'), undefined);
      assert.ok(await store.findActive('t2/dev-1'), 'the same device id in another tenant is untouched');
      await assert.rejects(store.issue('t1', 'bad/id'), (e) => isPrognosError(e, 'PRG_BAD_REQUEST'));
      await assert.rejects(store.issue('t/1', 'dev'), (e) => isPrognosError(e, 'PRG_BAD_REQUEST'));
    });
  });
}
