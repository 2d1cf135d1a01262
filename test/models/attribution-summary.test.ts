import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSensorShare, sensorOf, summarizeBySensor } from '../../models/attribution-summary.ts';

describe('summarizeBySensor', () => {
  const names = ['vibration_rms__trend_24', 'vibration_rms__level', 'oil_temp__level', 'runtime_hours', 'oil_temp__slope_6'];

  it('sums attributions per sensor (the part before "__") with signed shares of the total magnitude', () => {
    const summary = summarizeBySensor(names, [0.25, 0.13, -0.1, 0.4, 0.02]);
    assert.deepEqual(
      summary.map((s) => s.sensor),
      ['runtime_hours', 'vibration_rms', 'oil_temp'],
    );
    const byName = Object.fromEntries(summary.map((s) => [s.sensor, s]));
    assert.ok(Math.abs(byName.vibration_rms!.contribution - 0.38) < 1e-12);
    assert.ok(Math.abs(byName.oil_temp!.contribution - -0.08) < 1e-12);
    assert.deepEqual(byName.oil_temp!.features, ['oil_temp__level', 'oil_temp__slope_6']);
    const total = 0.38 + 0.08 + 0.4;
    assert.ok(Math.abs(byName.vibration_rms!.share - 0.38 / total) < 1e-12);
    assert.ok(Math.abs(summary.reduce((s, a) => s + Math.abs(a.share), 0) - 1) < 1e-12);
    assert.ok(Math.abs(summary.reduce((s, a) => s + a.contribution, 0) - 0.7) < 1e-12, 'the sensor sums add up to the feature sum');
    assert.equal(formatSensorShare(byName.vibration_rms!), 'vibration_rms: +44%');
    assert.equal(formatSensorShare(byName.oil_temp!), 'oil_temp: -9%');
  });

  it('gives zero shares when nothing is attributed, and checks lengths', () => {
    assert.deepEqual(
      summarizeBySensor(['a__x', 'b__y'], [0, 0]).map((s) => s.share),
      [0, 0],
    );
    assert.throws(() => summarizeBySensor(['a__x'], [1, 2]), RangeError);
  });

  it('splits on the first separator only', () => {
    assert.equal(sensorOf('bearing__temp__level'), 'bearing');
    assert.equal(sensorOf('plain'), 'plain');
  });
});
