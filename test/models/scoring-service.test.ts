import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { pino } from 'pino';
import { DriftMonitor } from '../../models/drift-monitor.ts';
import { StatefulFeatureSource, streamingFeatureSource } from '../../models/feature-source.ts';
import { activateVersion, LiveModels, registerBundle, rollbackVersion } from '../../models/model-registry.ts';
import type { Prediction } from '../../models/prediction.ts';
import { predictionHistory, PredictionWriter } from '../../models/prediction-writer.ts';
import { ScoringService, type ScoringServiceOptions } from '../../models/scoring-service.ts';
import { ManualClock } from '../../platform/clock.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';
import { buildToyBundle, EQUIPMENT, MIN_READINGS, toyFeatureMath, toyReading } from './scoring-fixtures.ts';

const logger = pino({ level: 'silent' });
const TEN_MIN = 600_000;

describe('scoring service', () => {
  let root: string;
  let db: Db;
  let influxDb: string;
  let influx: InfluxHttp;
  let live: LiveModels;
  const clock = new ManualClock(Date.UTC(2026, 10, 24));

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'prognos-scoring-'));
    buildToyBundle(join(root, 'v1'), { version: 'v1' });
    buildToyBundle(join(root, 'v2'), { version: 'v2', bias: 1 });
    db = await openDatabase({ kind: 'pglite', dir: join(root, 'sql') });
    await registerBundle({ db, clock }, join(root, 'v1'));
    await registerBundle({ db, clock }, join(root, 'v2'));
    await activateVersion({ db, clock }, EQUIPMENT, 'v1', 'test');
    live = new LiveModels({ db, clock, logger, pollMs: 5000 });
    await live.start();
    influxDb = await createDatabase();
    influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined });
  });
  after(async () => {
    await live.stop();
    await db.destroy();
    await dropDatabase(influxDb);
    rmSync(root, { recursive: true, force: true });
  });

  function service(over: Partial<ScoringServiceOptions> = {}): ScoringService {
    return new ScoringService({
      db,
      clock,
      logger,
      features: new StatefulFeatureSource(toyFeatureMath),
      models: live,
      writer: new PredictionWriter({ write: (lines) => influx.write(lines.join('\n')) }),
      equipmentTypeOf: async (_tenant, device) => (device.startsWith('ghost') ? null : EQUIPMENT),
      everyMs: 30 * 60_000,
      maxBatch: 64,
      flushMs: 1000,
      persistEveryMs: 60_000,
      ...over,
    });
  }

  test('scores each device on its cadence, insufficient until the windows fill, writes and emits every prediction', async () => {
    const drift = new DriftMonitor({ minSample: 1 });
    const s = service({ drift });
    const got: Prediction[] = [];
    s.onPrediction((p) => got.push(p));
    await s.start();
    try {
      const devices = ['c1', 'c2', 'c3', 'ghost1'];
      for (let i = 0; i < 10; i++) {
        // High vibration on c1: its wear risk must come out higher.
        for (const d of devices) s.onReadings({ tenant: 'cad', device: d }, [toyReading(i, { vib: d === 'c1' ? 3.8 : 0.3 })]);
        await s.settle();
        await s.flush();
      }
      // Due at readings 0, 3, 6, 9 (every 30 min of device time, readings every 10 min); ok from the 5th.
      assert.equal(MIN_READINGS, 5);
      const mine = got.filter((p) => p.tenant === 'cad');
      assert.equal(mine.length, 12);
      for (const d of ['c1', 'c2', 'c3']) {
        const seq = mine.filter((p) => p.device === d);
        assert.deepEqual(seq.map((p) => [p.at, p.status]), [
          [toyReading(0).ts, 'insufficient_data'],
          [toyReading(3).ts, 'insufficient_data'],
          [toyReading(6).ts, 'ok'],
          [toyReading(9).ts, 'ok'],
        ]);
      }
      const wear = (d: string) => mine.find((p) => p.device === d && p.status === 'ok')!.risks.find((r) => r.mode === 'bearing_wear')!.risk;
      assert.ok(wear('c1') > 0.8 && wear('c2') < 0.2);
      assert.equal(s.stats.unknownDeviceReadings, 10, 'the unregistered device is counted, not scored');
      assert.equal(s.stats.failedBatches, 0);
      assert.equal(drift.report(EQUIPMENT)!.sampleSize, 6, 'only ok vectors feed the drift sample');

      const stored = await predictionHistory(influx, 'cad', 'c1', { from: 0, to: toyReading(20).ts });
      assert.deepEqual(stored.map((p) => p.status), ['insufficient_data', 'insufficient_data', 'ok', 'ok']);
      assert.equal(stored[3]!.modelVersion, 'v1');
    } finally {
      await s.stop();
    }
  });

  test('a partial batch goes after flushMs of the clock; a full one at once', async () => {
    const s = service({ maxBatch: 3, everyMs: 0 });
    const got: Prediction[] = [];
    s.onPrediction((p) => got.push(p));
    await s.start();
    try {
      s.onReadings({ tenant: 'tim', device: 'a' }, [toyReading(0)]);
      await s.settle();
      assert.equal(got.length, 0, 'waits for company');
      clock.advance(1000);
      await s.settle();
      assert.equal(got.length, 1);
      for (const d of ['b', 'c', 'd']) s.onReadings({ tenant: 'tim', device: d }, [toyReading(0)]);
      await s.settle();
      assert.equal(got.length, 4, 'three due devices fill a batch');
      assert.equal(s.stats.batches, 2);
    } finally {
      await s.stop();
    }
  });

  test('hot reload and rollback while scoring: no batch fails, each prediction names the model that made it', async () => {
    const s = service({ everyMs: 0 });
    const got: Prediction[] = [];
    s.onPrediction((p) => got.push(p));
    await s.start();
    const deps = { db, clock };
    try {
      const devices = Array.from({ length: 40 }, (_, i) => `h${i}`);
      const round = async (i: number, during?: () => Promise<void>) => {
        for (const d of devices) s.onReadings({ tenant: 'hot', device: d }, [toyReading(i, { vib: 3.8 })]);
        await s.settle();
        const batch = s.flush(); // in flight…
        if (during) await during(); // …while the model changes
        await batch;
      };
      for (let i = 0; i < 6; i++) await round(i);
      await round(6, async () => {
        await activateVersion(deps, EQUIPMENT, 'v2', 'ops');
        await live.refresh();
      });
      for (let i = 7; i < 10; i++) await round(i);
      await round(10, async () => {
        await rollbackVersion(deps, EQUIPMENT, 'ops');
        clock.advance(5000); // this time the poll picks it up
        await live.refresh();
      });
      for (let i = 11; i < 13; i++) await round(i);

      assert.equal(s.stats.failedBatches, 0);
      assert.equal(got.length, 13 * devices.length, 'every due device got its prediction');
      const byRound = (i: number) => new Set(got.filter((p) => p.at === toyReading(i).ts).map((p) => p.modelVersion));
      assert.deepEqual([...byRound(5)], ['v1']);
      assert.deepEqual([...byRound(6)], ['v1'], 'the batch in flight finished on the old model');
      assert.deepEqual([...byRound(7)], ['v2']);
      assert.deepEqual([...byRound(11)], ['v1'], 'rolled back');
      const risk = (i: number) => got.find((p) => p.at === toyReading(i).ts && p.status === 'ok')!.risks[0]!.risk;
      assert.ok(risk(7) > risk(5), 'v2 is really other trees');
      assert.equal(risk(12), risk(5));
    } finally {
      await s.stop();
      await activateVersion(deps, EQUIPMENT, 'v1', 'test');
      await live.refresh();
    }
  });

  test('the equipment type comes from the fleet registry; an unregistered device is asked about again later', async () => {
    await sql`insert into tenants (id, name) values ('reg', 'Registry test')`.execute(db);
    await sql`insert into customers (id, tenant, name, preferred_channel, language) values ('reg-c', 'reg', 'C', 'email', 'en')`.execute(db);
    await sql`insert into sites (id, tenant, customer_id, name, lat, lon) values ('reg-s', 'reg', 'reg-c', 'S', 0, 0)`.execute(db);
    const addDevice = (id: string, type: string) =>
      sql`insert into devices (id, tenant, equipment_type, model, installed_at, customer_id, site_id, criticality) values (${id}, 'reg', ${type}, 'm', now(), 'reg-c', 'reg-s', 'low')`.execute(db);
    await addDevice('reg-p1', EQUIPMENT);
    const s = service({ equipmentTypeOf: undefined, everyMs: 0, unknownDeviceRetryMs: 60_000 });
    const got: Prediction[] = [];
    s.onPrediction((p) => got.push(p));
    await s.start();
    try {
      s.onReadings({ tenant: 'reg', device: 'reg-p1' }, [toyReading(0)]);
      s.onReadings({ tenant: 'reg', device: 'reg-p2' }, [toyReading(0)]);
      await s.settle();
      await s.flush();
      assert.deepEqual(got.map((p) => [p.device, p.equipmentType]), [['reg-p1', EQUIPMENT]]);
      assert.equal(s.stats.unknownDeviceReadings, 1);

      await addDevice('reg-p2', EQUIPMENT);
      s.onReadings({ tenant: 'reg', device: 'reg-p2' }, [toyReading(1)]);
      await s.settle();
      assert.equal(s.stats.unknownDeviceReadings, 2, 'remembered as unknown until the retry time');
      clock.advance(60_000);
      s.onReadings({ tenant: 'reg', device: 'reg-p2' }, [toyReading(2)]);
      await s.settle();
      await s.flush();
      assert.deepEqual(got.map((p) => p.device), ['reg-p1', 'reg-p2']);
      // The other tenant's device of the same id is not this one.
      s.onReadings({ tenant: 'other', device: 'reg-p1' }, [toyReading(3)]);
      await s.settle();
      assert.equal(s.stats.unknownDeviceReadings, 3);
    } finally {
      await s.stop();
    }
  });

  test('readings the feature math refuses are counted, never thrown at ingest', async () => {
    const s = service({ features: streamingFeatureSource(), equipmentTypeOf: async () => 'no_such_type', everyMs: 0 });
    await s.start();
    try {
      assert.doesNotThrow(() => s.onReadings({ tenant: 'odd', device: 'o1' }, [toyReading(0), toyReading(1)]));
      await s.settle();
      assert.equal(s.stats.featureErrors, 2);
      assert.equal(s.stats.predictions, 0);
    } finally {
      await s.stop();
    }
  });

  test('feature windows survive a restart: saved periodically and on stop, restored on start', async () => {
    const first = service({ everyMs: 0 });
    await first.start();
    for (let i = 0; i < MIN_READINGS - 1; i++) first.onReadings({ tenant: 'rst', device: 'r1' }, [toyReading(i)]);
    await first.settle();
    clock.advance(60_000); // the periodic save
    await first.settle();
    const saved = await db.selectFrom('feature_state').selectAll().where('tenant', '=', 'rst').execute();
    assert.equal(saved.length, 1);
    assert.equal(saved[0]!.equipment_type, EQUIPMENT);
    first.onReadings({ tenant: 'rst', device: 'r2' }, [toyReading(0)]);
    await first.stop(); // saves r2 too
    assert.equal((await db.selectFrom('feature_state').selectAll().where('tenant', '=', 'rst').execute()).length, 2);
    // A state the feature math cannot read is skipped, not fatal.
    await db.insertInto('feature_state').values({ tenant: 'rst', device: 'broken', equipment_type: EQUIPMENT, state: JSON.stringify({ nope: 1 }), updated_at: new Date() }).execute();

    const restarted = service({ everyMs: 0 });
    const got: Prediction[] = [];
    restarted.onPrediction((p) => got.push(p));
    await restarted.start();
    try {
      restarted.onReadings({ tenant: 'rst', device: 'r1' }, [toyReading(MIN_READINGS - 1)]);
      await restarted.settle();
      await restarted.flush();
      assert.equal(got.length, 1);
      assert.equal(got[0]!.status, 'ok', `the window had ${MIN_READINGS - 1} readings before the restart: one more fills it`);

      const cold = service({ everyMs: 0 }); // never started: nothing restored
      const coldGot: Prediction[] = [];
      cold.onPrediction((p) => coldGot.push(p));
      cold.onReadings({ tenant: 'rst', device: 'r1' }, [toyReading(MIN_READINGS - 1)]);
      await cold.settle();
      await cold.flush();
      assert.equal(coldGot[0]!.status, 'insufficient_data', 'without the saved window the same reading is not enough');
    } finally {
      await restarted.stop();
    }
  });
});

describe('streamingFeatureSource (the product features behind the FeatureSource interface)', () => {
  const pumpReading = (i: number) => ({
    ts: Date.UTC(2026, 10, 1) + i * TEN_MIN,
    metrics: { run_hours: i / 6, state: 0, speed_rpm: 2950, flow_m3h: 80, suction_pressure_bar: 1.2, discharge_pressure_bar: 6, motor_current_a: 40, vibration_rms_mm_s: 2 + i * 0.01, bearing_temp_c: 60, ambient_temp_c: 20 },
  });

  test('folds readings, refuses old ones, and a snapshot restores to the same vector', () => {
    const a = streamingFeatureSource();
    for (let i = 0; i < 200; i++) assert.equal(a.update('t', 'p', 'centrifugal_pump', pumpReading(i)), true);
    assert.equal(a.update('t', 'p', 'centrifugal_pump', pumpReading(10)), false, 'a redelivered reading is ignored');
    const v = a.vector('t', 'p')!;
    assert.equal(v.at, pumpReading(199).ts);
    const b = streamingFeatureSource();
    b.restore(JSON.parse(JSON.stringify(a.snapshot('t', 'p'))));
    assert.deepEqual(b.vector('t', 'p'), v);
    assert.deepEqual([...b.devices()], [{ tenant: 't', device: 'p', equipmentType: 'centrifugal_pump' }]);
    assert.equal(a.vector('t', 'other'), undefined);
    assert.throws(() => a.update('t', 'x', 'no_such_type', pumpReading(0)), (err) => isPrognosError(err, 'PRG_BAD_REQUEST'));
  });
});
