import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import {
  activateVersion,
  activeVersions,
  DEFAULT_ACTIVATOR,
  listVersions,
  LiveModels,
  registerBundle,
  registerDefaultBundles,
  rollbackVersion,
} from '../../models/model-registry.ts';
import { ManualClock } from '../../platform/clock.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { buildToyBundle, EQUIPMENT, FEATURE_NAMES } from './scoring-fixtures.ts';
import { type SqlEngine, sqlEngines } from '../support/sql-engines.ts';

const logger = pino({ level: 'silent' });

const WORN = { status: 'ok' as const, names: FEATURE_NAMES, values: Float64Array.from([3.8, 3.8, 2, 2, 0.5, 0.5]), at: 1 };

let bundles: string;
before(() => {
  bundles = mkdtempSync(join(tmpdir(), 'prognos-registry-'));
  buildToyBundle(join(bundles, 'v1'), { version: 'v1' });
  buildToyBundle(join(bundles, 'v2'), { version: 'v2', bias: 1 });
  buildToyBundle(join(bundles, 'v2-other'), { version: 'v2', bias: 2 });
  mkdirSync(join(bundles, 'defaults'));
  buildToyBundle(join(bundles, 'defaults', EQUIPMENT), { version: 'default-1', rows: 400 });
});
after(() => rmSync(bundles, { recursive: true, force: true }));

for (const engine of sqlEngines) {
  describe(`model registry on ${engine.name}`, () => {
    let db: Db;
    let other: Db;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 10, 24));
    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      db = await openDatabase(opened.config);
      // A second handle, as a second process would hold: PGlite serves one, so it shares the first.
      other = opened.config.kind === 'postgres' ? await openDatabase(opened.config) : db;
    });
    after(async () => {
      if (other !== db) await other.destroy();
      await db.destroy();
      await cleanup();
    });

    test('register, activate, retire, roll back and forth; one active version at a time', async () => {
      const deps = { db, clock };
      const v1 = await registerBundle(deps, join(bundles, 'v1'));
      assert.equal(v1.status, 'candidate');
      assert.equal(v1.equipmentType, EQUIPMENT);
      assert.equal((await registerBundle(deps, join(bundles, 'v1'))).cardHash, v1.cardHash, 'registering again is a no-op');
      await registerBundle(deps, join(bundles, 'v2'));
      await assert.rejects(registerBundle(deps, join(bundles, 'v2-other')), (err) => isPrognosError(err, 'PRG_BAD_REQUEST'));
      await assert.rejects(rollbackVersion(deps, EQUIPMENT, 'ops'), (err) => isPrognosError(err, 'PRG_NOT_FOUND'));
      await assert.rejects(activateVersion(deps, EQUIPMENT, 'v9', 'ops'), (err) => isPrognosError(err, 'PRG_NOT_FOUND'));

      await activateVersion(deps, EQUIPMENT, 'v1', 'alice');
      clock.advance(1000);
      const a2 = await activateVersion(deps, EQUIPMENT, 'v2', 'bob');
      assert.equal(a2.status, 'active');
      assert.equal(a2.activatedBy, 'bob');
      assert.equal(a2.activatedAt?.getTime(), clock.now());
      const list = await listVersions(db, EQUIPMENT);
      assert.deepEqual(Object.fromEntries(list.map((v) => [v.version, v.status])), { v1: 'retired', v2: 'active' });

      clock.advance(1000);
      assert.equal((await rollbackVersion(deps, EQUIPMENT, 'carol')).version, 'v1');
      assert.deepEqual((await activeVersions(db)).map((v) => v.version), ['v1']);
      clock.advance(1000);
      assert.equal((await rollbackVersion(deps, EQUIPMENT, 'carol')).version, 'v2', 'a second rollback swaps back');

      // Racing activations still leave exactly one active version.
      await Promise.allSettled([activateVersion(deps, EQUIPMENT, 'v1', 'x'), activateVersion(deps, EQUIPMENT, 'v2', 'y'), activateVersion(deps, EQUIPMENT, 'v1', 'z')]);
      assert.equal((await activeVersions(db)).filter((v) => v.equipmentType === EQUIPMENT).length, 1);
    });

    test('a second process sees an activation at its next poll and swaps without failing a batch in flight', async () => {
      const deps = { db, clock };
      await activateVersion(deps, EQUIPMENT, 'v1', 'ops');
      const here = new LiveModels({ db, clock, logger, pollMs: 5000 });
      const there = new LiveModels({ db: other, clock, logger, pollMs: 5000 });
      await here.start();
      await there.start();
      try {
        assert.equal(here.current(EQUIPMENT)?.version, 'v1');
        assert.equal(there.current(EQUIPMENT)?.version, 'v1');
        const old = there.current(EQUIPMENT)!;
        const inFlight = old.score(Array.from({ length: 128 }, (_, i) => ({ tenant: 't', device: `d${i}`, vector: WORN })));

        await activateVersion(deps, EQUIPMENT, 'v2', 'ops');
        await here.refresh(); // the activating process applies it at once
        assert.equal(here.current(EQUIPMENT)?.version, 'v2');
        assert.equal(there.current(EQUIPMENT)?.version, 'v1', 'the other process has not polled yet');
        clock.advance(5000);
        await there.refresh(); // joins the poll the timer started
        assert.equal(there.current(EQUIPMENT)?.version, 'v2');

        const preds = await inFlight;
        assert.equal(preds.length, 128);
        assert.ok(preds.every((p) => p.status === 'ok' && p.modelVersion === 'v1'));
        const [fresh] = await there.current(EQUIPMENT)!.score([{ tenant: 't', device: 'd', vector: WORN }]);
        assert.equal(fresh!.modelVersion, 'v2');
        assert.ok(fresh!.risks[0]!.risk > preds[0]!.risks[0]!.risk, 'v2 is biased up: really the new trees');
      } finally {
        await here.stop();
        await there.stop();
      }
    });

    test('default bundles are registered and activated only where nothing is active', async () => {
      const deps = { db, clock };
      const root = join(bundles, 'defaults');
      const activated = await registerDefaultBundles(deps, root, logger);
      assert.deepEqual(activated, [], `${EQUIPMENT} already has an active model: an operator's choice stands`);
      assert.equal((await listVersions(db, EQUIPMENT)).find((v) => v.version === 'default-1')?.status, 'candidate');

      const fresh = await openFresh(engine);
      try {
        const done = await registerDefaultBundles({ db: fresh.db, clock }, root, logger);
        assert.deepEqual(done.map((v) => [v.version, v.status, v.activatedBy]), [['default-1', 'active', DEFAULT_ACTIVATOR]]);
        assert.deepEqual(await registerDefaultBundles({ db: fresh.db, clock }, root, logger), [], 'idempotent');
        assert.deepEqual(await registerDefaultBundles({ db: fresh.db, clock }, join(root, 'missing'), logger), []);
      } finally {
        await fresh.close();
      }
    });
  });
}

async function openFresh(engine: SqlEngine): Promise<{ db: Db; close(): Promise<void> }> {
  const opened = await engine.open();
  const db = await openDatabase(opened.config);
  return {
    db,
    close: async () => {
      await db.destroy();
      await opened.cleanup();
    },
  };
}
