import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DeviceLineFormat, linePrefixOf, readingToLine, readingToLineWithPoint } from '../../ingest/line-protocol.ts';
import { METRIC_NAME, RESERVED_METRIC_NAMES } from '../../ingest/payload-schema.ts';
import { SAFE_ID } from '../../ingest/topics.ts';

const idChar = fc.constantFrom(...'abcXYZ019._-');
const id = fc.string({ unit: idChar, minLength: 1, maxLength: 12 }).filter((s) => SAFE_ID.test(s));
const metricName = fc
  .tuple(fc.constantFrom(...'aBz'), fc.string({ unit: fc.constantFrom(...'az09_.-'), maxLength: 10 }))
  .map(([h, t]) => h + t)
  .filter((n) => METRIC_NAME.test(n) && !RESERVED_METRIC_NAMES.has(n));
const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 1e21, 5e-324, -1.5e-7));

test('readingToLine gives the same bytes as an influxdb-client Point, whatever the metric order', () => {
  fc.assert(
    fc.property(id, id, fc.dictionary(metricName, value, { minKeys: 1, maxKeys: 12 }), fc.integer({ min: 0, max: 4_102_444_800_000 }), (tenant, device, metrics, ts) => {
      const ref = { tenant, device };
      const reading = { ts, seq: undefined, metrics };
      const expected = readingToLineWithPoint(ref, reading);
      assert.equal(readingToLine(ref, reading), expected);
      assert.equal(readingToLine(ref, reading, linePrefixOf(ref)), expected);
    }),
    { numRuns: 2000 },
  );
});

test('DeviceLineFormat gives the same bytes as a Point for every reading, as the device changes its metrics or their order', () => {
  const shapes = fc.array(fc.dictionary(metricName, value, { minKeys: 1, maxKeys: 8 }), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(id, id, shapes, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 4_102_444_800_000 })), { minLength: 1, maxLength: 20 }), (tenant, device, shapeList, picks) => {
      const ref = { tenant, device };
      const format = DeviceLineFormat.of(ref);
      // Readings repeat a few shapes (same names, same order) with new values, as a device sends them.
      for (const [pick, ts] of picks) {
        const shape = shapeList[pick % shapeList.length]!;
        const metrics: Record<string, number> = {};
        for (const name of Object.keys(shape)) metrics[name] = shape[name]! + (pick % 7);
        const reading = { ts, seq: undefined, metrics };
        assert.equal(format.line(reading), readingToLineWithPoint(ref, reading));
      }
    }),
    { numRuns: 1000 },
  );
});

test('a reading with metrics out of name order still comes out sorted, as Point writes it', () => {
  const ref = { tenant: 'acme', device: 'pump-7' };
  const line = readingToLine(ref, { ts: 1_700_000_000_000, seq: 3, metrics: { vibration_rms: 2.5, flow: 10, bearing_temp: 61.25 } });
  assert.equal(line, 'telemetry,device=pump-7,tenant=acme bearing_temp=61.25,flow=10,vibration_rms=2.5 1700000000000');
});
