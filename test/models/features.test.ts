import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sensorOf } from '../../models/attribution-summary.ts';
import { featureVector, type FeatureVector } from '../../models/feature-extractor.ts';
import { FEATURE_SPECS, featureNamesFor } from '../../models/feature-spec.ts';
import {
  createFeatureState,
  deserialiseFeatureState,
  serialiseFeatureState,
  updateFeatureState,
  type FeatureReading,
  type FeatureState,
} from '../../models/feature-window.ts';
import { readDeviceReadings, readFleet } from '../../models/sim-history.ts';
import { buildTrainingSet } from '../../models/sim-training-set.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { EQUIPMENT_CATALOGUE } from '../../simulators/equipment-catalogue.ts';
import { EquipmentSimulator } from '../../simulators/equipment-simulator.ts';
import { EQUIPMENT_TYPES } from '../../simulators/equipment-model.ts';
import { writeHistory } from '../../simulators/history-writer.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

/** A pump reading at full speed (band 2) with the given vibration; other sensors steady. */
function pumpReading(ts: number, runHours: number, vibration: number, state = 0, speed = 2950): FeatureReading {
  return {
    ts,
    metrics: {
      run_hours: runHours,
      state,
      speed_rpm: state === 0 ? speed : 0,
      flow_m3h: 120,
      suction_pressure_bar: 1.3,
      discharge_pressure_bar: 6,
      motor_current_a: 100,
      vibration_rms_mm_s: vibration,
      bearing_temp_c: 60,
      ambient_temp_c: 20,
    },
  };
}

/** Readings every 10 minutes of running: `hours` operating hours from (ts, runHours). */
function runFor(state: FeatureState, from: { ts: number; h: number }, hours: number, vibration: number, speed = 2950) {
  for (let k = 1; k <= hours * 6; k++) {
    from.ts += HOUR / 6;
    from.h += 1 / 6;
    updateFeatureState(state, pumpReading(from.ts, from.h, vibration, 0, speed));
  }
}

function value(v: FeatureVector, name: string): number {
  assert.equal(v.status, 'ok', v.status === 'insufficient_data' ? v.reason : '');
  if (v.status !== 'ok') return NaN;
  const i = v.names.indexOf(name);
  assert.ok(i >= 0, `no feature ${name}`);
  return v.values[i]!;
}

/** Equal element by element, NaN equal to NaN, bit for bit otherwise. */
function sameVector(a: FeatureVector, b: FeatureVector, where: string): void {
  assert.equal(a.status, b.status, where);
  assert.equal(a.at, b.at, where);
  if (a.status !== 'ok' || b.status !== 'ok') return;
  assert.deepEqual(a.names, b.names);
  for (let i = 0; i < a.values.length; i++) assert.ok(Object.is(a.values[i], b.values[i]), `${where}: ${a.names[i]} ${a.values[i]} vs ${b.values[i]}`);
}

describe('feature names', () => {
  for (const type of EQUIPMENT_TYPES) {
    it(`${type}: cover every simulated sensor, name the regime metric, are unique, and map back to sensors`, () => {
      const model = EQUIPMENT_CATALOGUE[type].model;
      const spec = FEATURE_SPECS[type]!;
      assert.deepEqual(spec.sensors.map((s) => s.name).sort(), model.sensors.map((s) => s.name).sort());
      assert.equal(spec.regimeMetric, model.regimeMetric);
      const names = featureNamesFor(type);
      assert.equal(new Set(names).size, names.length);
      const sensors = new Set(model.sensors.map((s) => s.name));
      for (const n of names) assert.ok(sensors.has(sensorOf(n)) || ['run_hours', 'maintenance', 'repair'].includes(sensorOf(n)), n);
    });
  }
  it('refuses an unknown equipment type with a coded error', () => {
    assert.throws(() => createFeatureState('toaster'), (e) => isPrognosError(e) && e.code === 'PRG_BAD_REQUEST');
  });
});

describe('streaming features on hand-made readings', () => {
  it('is insufficient without readings, with under 24 operating hours, with gaps, and while failed or in maintenance', () => {
    const s = createFeatureState('centrifugal_pump');
    assert.deepEqual(featureVector(s), { status: 'insufficient_data', reason: 'no readings yet', at: 0 });
    const at = { ts: T0, h: 100 };
    runFor(s, at, 12, 1);
    const short = featureVector(s);
    assert.equal(short.status, 'insufficient_data');
    assert.match(short.status === 'insufficient_data' ? short.reason : '', /operating hours of history/);
    runFor(s, at, 20, 1);
    assert.equal(featureVector(s).status, 'ok');

    // A 10-operating-hour hole (the hour meter jumps while no reading arrives): 14 of 24 covered.
    at.h += 10;
    at.ts += 10 * HOUR;
    runFor(s, at, 1, 1);
    const gappy = featureVector(s);
    assert.equal(gappy.status, 'insufficient_data');
    assert.match(gappy.status === 'insufficient_data' ? gappy.reason : '', /readings in 1[0-9] of the last 24 operating hours/);
    runFor(s, at, 20, 1);
    assert.equal(featureVector(s).status, 'ok');

    at.ts += HOUR;
    updateFeatureState(s, pumpReading(at.ts, at.h, 0, 2));
    const failed = featureVector(s);
    assert.deepEqual(failed, { status: 'insufficient_data', reason: 'the machine is failed (state 2)', at: at.ts });
  });

  it('ignores redelivered and out-of-order readings and readings without run_hours', () => {
    const s = createFeatureState('centrifugal_pump');
    assert.equal(updateFeatureState(s, pumpReading(T0 + 1000, 10, 1)), true);
    assert.equal(updateFeatureState(s, pumpReading(T0 + 1000, 10, 5)), false);
    assert.equal(updateFeatureState(s, pumpReading(T0 + 500, 10, 5)), false);
    assert.equal(updateFeatureState(s, { ts: T0 + 2000, metrics: { vibration_rms_mm_s: 1 } }), false);
    assert.equal(updateFeatureState(s, pumpReading(T0 + 3000, 9, 5)), false, 'the hour meter ran backwards');
    assert.equal(s.lastTs, T0 + 1000);
  });

  it('measures level, trend and the change since the last maintenance at the same regime', () => {
    const s = createFeatureState('centrifugal_pump');
    const at = { ts: T0, h: 500 };
    runFor(s, at, 48, 3);
    const before = featureVector(s);
    assert.equal(value(before, 'vibration_rms_mm_s__level_6h'), 3);
    assert.ok(Number.isNaN(value(before, 'maintenance__hours_since')), 'no visit seen yet');

    // A 4-hour maintenance visit (state 3, hour meter stands still), then running again.
    for (let k = 1; k <= 24; k++) updateFeatureState(s, pumpReading((at.ts += HOUR / 6), at.h, 0, 3));
    assert.equal(featureVector(s).status, 'insufficient_data');
    runFor(s, at, 30, 1);
    const after = featureVector(s);
    // Counted from the first reading after the visit, 10 minutes in.
    assert.ok(Math.abs(value(after, 'maintenance__hours_since') - (30 - 1 / 6)) < 1e-9);
    assert.ok(Math.abs(value(after, 'vibration_rms_mm_s__dmaint_6h')) < 1e-12, 'steady since the visit');
    assert.ok(Math.abs(value(after, 'vibration_rms_mm_s__level_6h') - 1) < 1e-12);
    assert.ok(Math.abs(value(after, 'vibration_rms_mm_s__slope_24h')) < 1e-12, 'steady for the last 24 hours');
    assert.ok(Math.abs(value(after, 'vibration_rms_mm_s__dmaint_slope_72h')) < 1e-12);
    assert.ok(value(after, 'vibration_rms_mm_s__ewm_96h') > 1.2, 'the slow EWM still remembers the worn level');

    runFor(s, at, 8, 2);
    const worn = featureVector(s);
    assert.ok(Math.abs(value(worn, 'vibration_rms_mm_s__dmaint_6h') - 1) < 1e-9, 'risen by 1 since the visit');
    assert.ok(value(worn, 'vibration_rms_mm_s__slope_24h') > 0);
    assert.ok(value(worn, 'vibration_rms_mm_s__dmaint_slope_72h') > 0);
    assert.ok(value(worn, 'vibration_rms_mm_s__ewm_4h') > value(worn, 'vibration_rms_mm_s__ewm_24h'), 'the fast EWM follows the rise first');
  });

  it('normalises by the operating regime: switching speed moves the level, not the regime deviation', () => {
    const s = createFeatureState('centrifugal_pump');
    const at = { ts: T0, h: 0 };
    // Vibration proportional to speed, as in a healthy pump; regimes alternate every 5 hours.
    for (let cycle = 0; cycle < 12; cycle++) {
      const speed = cycle % 2 === 0 ? 2950 : 2065;
      runFor(s, at, 5, speed / 2950, speed);
    }
    const v = featureVector(s);
    assert.ok(value(v, 'vibration_rms_mm_s__std_6h') < 1e-9, 'no volatility at a constant regime');
    assert.ok(Math.abs(value(v, 'vibration_rms_mm_s__rdev_6h')) < 1e-9);
    const level = value(v, 'vibration_rms_mm_s__level_24h');
    assert.ok(level > 0.75 && level < 0.95, `the raw level mixes the regimes: ${level}`);
  });

  it('works on a live stream at --speed 3600 (one reading per simulated hour)', () => {
    const sim = new EquipmentSimulator({ model: EQUIPMENT_CATALOGUE.motor_gearbox.model, seed: 3, startMs: T0, initialRunHours: 1000 });
    const s = createFeatureState('motor_gearbox');
    let ok = 0;
    let last: FeatureVector | null = null;
    for (let k = 1; k <= 24 * 20; k++) {
      sim.advance(3600);
      updateFeatureState(s, { ts: T0 + k * 1000, metrics: sim.readMetrics() });
      const v = featureVector(s);
      if (v.status !== 'ok') continue;
      ok++;
      last = v;
    }
    assert.ok(ok > 24 * 10, `vectors on ${ok} of ${24 * 20} readings`);
    for (const kind of ['level_6h', 'ewm_24h', 'rdev_6h', 'std_6h', 'slope_24h']) assert.ok(Number.isFinite(value(last!, `gear_mesh_vib_g__${kind}`)), kind);
  });

  it('serialises to JSON and back exactly, and refuses a state of another format', () => {
    const s = createFeatureState('motor_gearbox');
    const at = { ts: T0, h: 0 };
    runFor(s, at, 3, 1); // pump metrics on a drive: missing sensors stay NaN, nothing throws
    const copy = deserialiseFeatureState(JSON.parse(JSON.stringify(serialiseFeatureState(s))));
    assert.deepEqual(serialiseFeatureState(copy), serialiseFeatureState(s));
    assert.throws(() => deserialiseFeatureState({ format: 'other' }), (e) => isPrognosError(e) && e.code === 'PRG_BAD_REQUEST');
  });
});

describe('offline and streaming give identical vectors (simulated history)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prognos-features-'));
    await writeHistory({ outDir: dir, devices: 3, days: 12, seed: 11 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const type of EQUIPMENT_TYPES) {
    it(`${type}: the training rows equal a reading-by-reading scorer that restarts from serialised state`, async () => {
      const fleet = readFleet(dir);
      const set = await buildTrainingSet([fleet], type, { horizonHours: 72, rulCapHours: 500 });
      assert.ok(set.rows > 100, `rows ${set.rows}`);
      const d = set.featureNames.length;
      const rowAt = new Map<string, number>();
      for (let r = 0; r < set.rows; r++) rowAt.set(`${set.unit[r]}@${set.ts[r]}`, r);

      let compared = 0;
      for await (const { device, readings } of readDeviceReadings(fleet, type)) {
        let state = createFeatureState(type);
        readings.forEach((reading, k) => {
          // A restart every 97 readings: the state goes through JSON text, as a persisted one would.
          if (k % 97 === 0) state = deserialiseFeatureState(JSON.parse(JSON.stringify(serialiseFeatureState(state))));
          updateFeatureState(state, { ts: reading.ts, metrics: { ...reading.metrics } });
          const r = rowAt.get(`${fleet.seed}/${device}@${reading.ts}`);
          if (r === undefined) return;
          const v = featureVector(state);
          sameVector(v, { status: 'ok', names: set.featureNames, values: set.features.slice(r * d, r * d + d), at: reading.ts }, `row ${r}`);
          compared++;
        });
      }
      assert.equal(compared, set.rows);
    });
  }
});
