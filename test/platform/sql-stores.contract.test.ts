import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DataQualityStore } from '../../ingest/data-quality-store.ts';
import { DeadLetterStore } from '../../ingest/dead-letter-store.ts';
import { systemClock } from '../../platform/clock.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines as engines } from '../support/sql-engines.ts';

/**
 * One contract, two engines: the embedded default (PGlite) and PostgreSQL must behave alike.
 * PostgreSQL gets a fresh database per run, dropped afterwards.
 */


for (const engine of engines) {
  describe(`SQL stores on ${engine.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      db = await openDatabase(opened.config);
    });
    after(async () => {
      await db.destroy();
      await cleanup();
    });

    test('dead letters are stored with reason, topic, detail and a capped excerpt, newest first', async () => {
      const store = new DeadLetterStore(db, systemClock);
      const big = Buffer.alloc(10_000, 'x');
      await Promise.all([
        store.record({ topic: 'prognos/a/d1/telemetry', tenant: 'a', device: 'd1', reason: 'malformed_json', detail: 'Unexpected token', payload: '{bad' }),
        store.record({ topic: 'prognos/a/d2/telemetry', tenant: 'a', device: 'd2', reason: 'payload_too_large', detail: '10000 bytes', payload: big }),
        store.record({ topic: 'weird/topic', tenant: null, device: null, reason: 'bad_topic', detail: 'Unexpected token \u0000 in JSON', payload: Buffer.from([0x7b, 0x00, 0x7d]) }),
      ]);
      const all = await store.list();
      assert.equal(all.length, 3);
      assert.ok(all[0]!.id > all[2]!.id, 'newest first');
      const large = all.find((r) => r.reason === 'payload_too_large')!;
      assert.equal(large.payloadBytes, 10_000);
      assert.equal(large.payloadExcerpt.length, 2048);
      const nul = all.find((r) => r.reason === 'bad_topic')!;
      assert.equal(nul.payloadExcerpt, '{\uFFFD}', 'NUL bytes cannot live in text and are replaced');
      assert.deepEqual(await store.countByReason(), { malformed_json: 1, payload_too_large: 1, bad_topic: 1 });
      assert.deepEqual((await store.list({ reason: 'malformed_json' })).map((r) => r.device), ['d1']);
      assert.deepEqual((await store.list({ device: 'd2' })).map((r) => r.reason), ['payload_too_large']);
      assert.match(all[0]!.receivedAt, /^\d{4}-\d\d-\d\dT/);
    });

    test('data-quality events and device state round-trip', async () => {
      const store = new DataQualityStore(db, systemClock);
      await store.record({ kind: 'seq_gap', tenant: 't', device: 'p1', at: Date.parse('2026-01-01T00:00:00Z'), detail: { after: 3, next: 7, missing: 3 } });
      const [e] = await store.list({ device: 'p1' });
      assert.equal(e?.kind, 'seq_gap');
      assert.deepEqual(e?.detail, { after: 3, next: 7, missing: 3 });
      assert.equal(e?.at, '2026-01-01T00:00:00.000Z');

      const state = { tenant: 't', device: 'p1', lastSeen: 1000, lastReadingTs: 900, intervalMs: 1000.5, inGap: false, lastSeq: 42 };
      await store.saveDeviceStates([state]);
      await store.saveDeviceStates([{ ...state, lastSeq: 43, inGap: true }]);
      assert.deepEqual(await store.loadDeviceStates(), [{ ...state, lastSeq: 43, inGap: true }]);
    });
  });
}
