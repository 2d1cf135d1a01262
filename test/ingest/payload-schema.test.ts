import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { quickReading, ReadingSchema, type RejectReason, validateReading } from '../../ingest/payload-schema.ts';

const now = Date.parse('2026-11-24T10:00:00Z');
const window = { now, maxFutureMs: 5 * 60_000, maxPastMs: 30 * 86400_000 };
const rejectReason = (raw: unknown): RejectReason | 'ok' => {
  const r = validateReading(raw, window);
  return r.ok ? 'ok' : r.rejection.reason;
};

test('a good reading passes with epoch ms or ISO-8601 time', () => {
  const r = validateReading({ ts: now, seq: 7, metrics: { vibration_rms: 2.5, 'bearing.temp': 61 } }, window);
  assert.ok(r.ok);
  assert.deepEqual(r.reading, { ts: now, seq: 7, metrics: { vibration_rms: 2.5, 'bearing.temp': 61 } });
  const iso = validateReading({ ts: '2026-11-24T09:59:00.250+00:00', metrics: { a: 1 } }, window);
  assert.ok(iso.ok);
  assert.equal(iso.reading.ts, now - 59_750);
});

const cases: [string, unknown, RejectReason][] = [
  ['NaN as a string', { ts: now, metrics: { a: 'NaN' } }, 'non_finite_number'],
  ['Infinity as a string', { ts: now, metrics: { a: '-Infinity' } }, 'non_finite_number'],
  ['Infinity from 1e999', JSON.parse('{"ts":1795514400000,"metrics":{"a":1e999}}'), 'non_finite_number'],
  ['a string value', { ts: now, metrics: { a: 'high' } }, 'wrong_type'],
  ['a boolean value', { ts: now, metrics: { a: true } }, 'wrong_type'],
  ['a nested object value', { ts: now, metrics: { a: { b: 1 } } }, 'wrong_type'],
  ['missing ts', { metrics: { a: 1 } }, 'missing_field'],
  ['missing metrics', { ts: now }, 'missing_field'],
  ['metrics not an object', { ts: now, metrics: [1, 2] }, 'wrong_type'],
  ['empty metrics', { ts: now, metrics: {} }, 'bad_metric_count'],
  ['a metric name with a space', { ts: now, metrics: { 'a b': 1 } }, 'bad_metric_name'],
  ['a metric name with a comma', { ts: now, metrics: { 'a,b': 1 } }, 'bad_metric_name'],
  ['a metric name with an equals sign', { ts: now, metrics: { 'a=1': 1 } }, 'bad_metric_name'],
  ['a metric named time', { ts: now, metrics: { time: 1 } }, 'bad_metric_name'],
  ['a metric shadowing a tag', { ts: now, metrics: { device: 1 } }, 'bad_metric_name'],
  ['a metric name with a backslash', { ts: now, metrics: { 'a\\': 1 } }, 'bad_metric_name'],
  ['an unreadable time', { ts: 'yesterday', metrics: { a: 1 } }, 'bad_timestamp'],
  ['a negative time', { ts: -5, metrics: { a: 1 } }, 'bad_timestamp'],
  ['a fractional epoch', { ts: 1.5, metrics: { a: 1 } }, 'bad_timestamp'],
  ['a time too far ahead', { ts: now + 10 * 60_000, metrics: { a: 1 } }, 'timestamp_in_future'],
  ['a time too old', { ts: now - 31 * 86400_000, metrics: { a: 1 } }, 'timestamp_too_old'],
  ['a negative seq', { ts: now, seq: -1, metrics: { a: 1 } }, 'wrong_type'],
  ['a string seq', { ts: now, seq: '5', metrics: { a: 1 } }, 'wrong_type'],
  ['null', null, 'not_an_object'],
  ['a number', 42, 'not_an_object'],
];
for (const [name, raw, reason] of cases) {
  test(`rejects ${name} as ${reason}`, () => assert.equal(rejectReason(raw), reason));
}

test('too many metrics in one reading is rejected', () => {
  const metrics = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`m${i}`, i]));
  assert.equal(rejectReason({ ts: now, metrics }), 'bad_metric_count');
});

test('the hand-written fast path never accepts what the schema rejects, and agrees when it accepts', () => {
  const name = fc.oneof(fc.constantFrom('v', 'vibration_rms', 'time', 'device', 'a b', 'a,b', '1x', 'x.y-z', '__proto__', 'constructor', ''), fc.string({ maxLength: 6 }));
  const value = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, 'NaN', '1', true, null), fc.string({ maxLength: 3 }));
  const ts = fc.oneof(fc.integer({ min: -5, max: 2 ** 53 + 5 }), fc.double(), fc.constantFrom('2026-11-24T10:00:00Z', 'x', null), fc.constant(undefined));
  const seq = fc.oneof(fc.constant(undefined), fc.integer({ min: -3, max: 1e6 }), fc.double(), fc.constantFrom('5', null));
  const reading = fc.record({ ts, seq, metrics: fc.oneof(fc.dictionary(name, value, { maxKeys: 4 }), fc.constantFrom(null, [], 'x')) }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(reading, fc.anything()), (raw) => {
      const quick = quickReading(raw);
      if (quick === null) return;
      const schema = ReadingSchema.safeParse(raw);
      assert.ok(schema.success, `fast path accepted what the schema rejects: ${JSON.stringify(raw)}`);
      assert.equal(quick.ts, schema.data.ts);
      assert.equal(quick.seq, schema.data.seq);
      assert.deepEqual(quick.metrics, schema.data.metrics);
    }),
    { numRuns: 20_000 },
  );
});
