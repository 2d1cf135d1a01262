import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { telemetrySeries, telemetrySummary } from '../../ingest/telemetry-reader.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';

const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);
const MIN = 60_000;
let db: string;
let influx: InfluxHttp;

before(async () => {
  db = await createDatabase();
  influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database: db, token: undefined, retentionPolicy: undefined });
  const lines: string[] = [];
  // d1: one reading a minute for 60 min (temp rising 0.5 per minute = 30 per hour), then silent
  // for 30 min, then 30 more minutes. A second device must never leak into d1's answers.
  for (let i = 0; i < 120; i++) {
    if (i >= 60 && i < 90) continue;
    lines.push(`telemetry,device=d1,tenant=acme temp=${20 + 0.5 * i},flow=${i % 2 === 0 ? 10 : 12} ${T0 + i * MIN}`);
  }
  for (let i = 0; i < 120; i++) lines.push(`telemetry,device=d2,tenant=acme temp=999 ${T0 + i * MIN}`);
  await influx.write(lines.join('\n'));
});

after(async () => {
  await dropDatabase(db);
});

describe('telemetry reader (real InfluxDB)', () => {
  test('series are downsampled in the database and the silence shows as a gap', async () => {
    const s = await telemetrySeries(influx, { tenant: 'acme', device: 'd1' }, { from: T0, to: T0 + 120 * MIN, points: 24 });
    assert.equal(s.bucketMs, 5 * MIN);
    assert.equal(s.times.length, 24);
    assert.deepEqual(Object.keys(s.values).sort(), ['flow', 'temp']);
    // First bucket: minutes 0..4, temp 20, 20.5 … 22 → mean 21.
    assert.equal(s.values.temp![0], 21);
    assert.equal(s.values.flow![0], (10 + 12 + 10 + 12 + 10) / 5);
    assert.deepEqual(s.gaps, [{ from: T0 + 60 * MIN, to: T0 + 90 * MIN }]);
    assert.equal(s.values.temp![12], null);
  });

  test('a metric filter returns only that metric; a bad name is refused before any query', async () => {
    const s = await telemetrySeries(influx, { tenant: 'acme', device: 'd1' }, { from: T0, to: T0 + 60 * MIN, points: 6, metrics: ['temp'] });
    assert.deepEqual(Object.keys(s.values), ['temp']);
    await assert.rejects(telemetrySeries(influx, { tenant: 'acme', device: 'd1' }, { from: T0, to: T0 + MIN, metrics: ['temp") OR 1=1 --'] }), RangeError);
  });

  test('summary: exact stats from raw readings, the trend per hour, gaps and coverage', async () => {
    const s = await telemetrySummary(influx, { tenant: 'acme', device: 'd1' }, { from: T0, to: T0 + 120 * MIN, points: 24 });
    const temp = s.metrics.temp!;
    assert.equal(temp.count, 90);
    assert.equal(temp.min, 20);
    assert.equal(temp.max, 20 + 0.5 * 119);
    assert.equal(temp.first, 20);
    assert.equal(temp.last, 20 + 0.5 * 119);
    assert.ok(Math.abs(temp.slopePerHour - 30) < 1e-6, `slope ${temp.slopePerHour}`);
    assert.equal(s.metrics.flow!.min, 10);
    assert.equal(s.coverage, 18 / 24);
    assert.deepEqual(s.gaps, [{ from: T0 + 60 * MIN, to: T0 + 90 * MIN }]);
  });

  test('a device with no data in the window: no metrics, the whole window is a gap', async () => {
    const s = await telemetrySummary(influx, { tenant: 'acme', device: 'nobody' }, { from: T0, to: T0 + 10 * MIN });
    assert.deepEqual(s.metrics, {});
    assert.equal(s.coverage, 0);
    assert.deepEqual(s.gaps, [{ from: T0, to: T0 + 10 * MIN }]);
  });
});
