import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Prediction } from '../../models/prediction.ts';
import {
  formatAttributions,
  latestPrediction,
  parseAttributions,
  predictionHistory,
  predictionToLine,
  PredictionWriter,
  riskHistory,
} from '../../models/prediction-writer.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const HOUR = 3_600_000;

function ok(device: string, at: number, wear: number, rul: number): Prediction {
  return {
    tenant: 'acme',
    device,
    equipmentType: 'centrifugal_pump',
    at,
    modelVersion: '2026.11.24-1',
    status: 'ok',
    risks: [
      {
        mode: 'bearing_wear',
        risk: wear,
        horizonHours: 72,
        threshold: 0.4,
        attributions: [
          { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', contribution: 1.2734, share: 0.6123, value: 0.9 },
          { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__level_6h', contribution: -0.25, share: 0.12, value: 61 },
        ],
      },
      { mode: 'seal_leak', risk: 0.02, horizonHours: 72, threshold: 0.5, attributions: [] },
    ],
    rulHours: rul,
    rulLowerHours: rul * 0.6,
  };
}

describe('predictions in InfluxDB', () => {
  let database: string;
  let influx: InfluxHttp;
  let writer: PredictionWriter;
  before(async () => {
    database = await createDatabase();
    influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database, token: undefined, retentionPolicy: undefined });
    // The shape of ingest's InfluxWriter: lines in, resolved once durable.
    writer = new PredictionWriter({ write: (lines) => influx.write(lines.join('\n')) });
  });
  after(async () => {
    await dropDatabase(database);
  });

  test('attributions travel as compact strings and read back', () => {
    const list = ok('p1', T0, 0.7, 100).risks[0]!.attributions;
    const text = formatAttributions(list);
    assert.equal(text, 'vibration_rms_mm_s__slope_24h:0.6123:1.273,bearing_temp_c__level_6h:0.12:-0.25');
    assert.deepEqual(parseAttributions(text), [
      { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', share: 0.6123, contribution: 1.273, value: null },
      { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__level_6h', share: 0.12, contribution: -0.25, value: null },
    ]);
    assert.deepEqual(parseAttributions(''), []);
    const line = predictionToLine(ok('p1', T0, 0.7, 100));
    assert.match(line, /^predictions,device=p1,equipment_type=centrifugal_pump,model_version=2026\.11\.24-1,tenant=acme /);
    assert.match(line, /risk_bearing_wear=0\.7/);
    assert.ok(line.endsWith(` ${T0}`), 'millisecond timestamp of the newest reading');
  });

  test('the latest prediction and the history read back as Predictions; a rewrite overwrites', async () => {
    await writer.write([ok('p1', T0, 0.1, 900), ok('p1', T0 + HOUR, 0.3, 700), ok('p2', T0 + HOUR, 0.9, 50)]);
    const insufficient: Prediction = {
      tenant: 'acme',
      device: 'p1',
      equipmentType: 'centrifugal_pump',
      at: T0 + 2 * HOUR,
      modelVersion: '2026.11.24-1',
      status: 'insufficient_data',
      insufficientReason: 'gaps in 9 of the last 24 hours',
      risks: [],
      rulHours: null,
      rulLowerHours: null,
    };
    await writer.write([insufficient]);
    assert.equal(writer.count, 4);

    assert.deepEqual(await latestPrediction(influx, 'acme', 'p1'), insufficient);
    const p2 = (await latestPrediction(influx, 'acme', 'p2'))!;
    const want = ok('p2', T0 + HOUR, 0.9, 50);
    assert.equal(p2.status, 'ok');
    assert.equal(p2.rulHours, 50);
    assert.equal(p2.rulLowerHours, 30);
    assert.deepEqual(
      p2.risks.map((r) => [r.mode, r.risk, r.threshold, r.horizonHours, r.attributions.map((a) => [a.feature, a.share])]),
      want.risks.map((r) => [r.mode, r.risk, r.threshold, r.horizonHours, r.attributions.map((a) => [a.feature, Number(a.share.toPrecision(4))])]),
    );
    assert.equal(await latestPrediction(influx, 'acme', 'nobody'), null);
    assert.equal(await latestPrediction(influx, 'other-tenant', 'p1'), null, 'tenant is part of the key');

    const history = await predictionHistory(influx, 'acme', 'p1', { from: T0, to: T0 + 3 * HOUR });
    assert.deepEqual(history.map((p) => [p.at, p.status]), [
      [T0, 'ok'],
      [T0 + HOUR, 'ok'],
      [T0 + 2 * HOUR, 'insufficient_data'],
    ]);
    assert.deepEqual((await predictionHistory(influx, 'acme', 'p1', { from: T0, to: T0 + 3 * HOUR, limit: 1 })).map((p) => p.at), [T0 + 2 * HOUR], 'the limit keeps the newest');

    await writer.write([ok('p1', T0, 0.15, 880)]);
    const again = await predictionHistory(influx, 'acme', 'p1', { from: T0, to: T0 + 1 });
    assert.equal(again.length, 1);
    assert.equal(again[0]!.risks.find((r) => r.mode === 'bearing_wear')!.risk, 0.15);
  });

  test('risk history is downsampled in the database: max risk, min RUL lower bound per bucket', async () => {
    const day = T0 + 24 * HOUR;
    await writer.write([ok('p3', day, 0.2, 500), ok('p3', day + 10 * 60_000, 0.5, 400), ok('p3', day + HOUR, 0.3, 450)]);
    const h = await riskHistory(influx, 'acme', 'p3', { from: day, to: day + 2 * HOUR, points: 2 });
    assert.equal(h.bucketMs, HOUR);
    assert.deepEqual(h.times, [day, day + HOUR]);
    assert.deepEqual(h.risk.bearing_wear, [0.5, 0.3]);
    assert.deepEqual(h.risk.seal_leak, [0.02, 0.02]);
    assert.deepEqual(h.rulLowerHours.map((x) => Math.round(x!)), [240, 270]);
    const empty = await riskHistory(influx, 'acme', 'nobody', { from: day, to: day + HOUR });
    assert.deepEqual(empty.times, []);
  });

  test('ids that are not safe are refused before any query', async () => {
    await assert.rejects(latestPrediction(influx, "acme' OR 1=1 --", 'p1'), RangeError);
  });
});
