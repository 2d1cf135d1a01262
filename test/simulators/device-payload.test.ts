import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RejectReason, validateReading } from '../../ingest/payload-schema.ts';
import { BAD_PAYLOAD_KINDS, encodeBadReading, EXPECTED_REJECT_REASON, transmitReading } from '../../simulators/device-payload.ts';
import { Rng } from '../../simulators/prng.ts';

const now = Date.UTC(2026, 0, 5, 12);
const window = { now, maxFutureMs: 300_000, maxPastMs: 30 * 86_400_000 };
const reading = (seq: number) => ({ ts: now, seq, metrics: { speed_rpm: 2950, vibration_rms_mm_s: 1.21, run_hours: 1234.5, state: 0 } });

/** What ingest makes of a payload: its first reject reason, or ok. */
function ingestVerdict(payload: string): RejectReason | 'ok' {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return 'malformed_json';
  }
  const r = validateReading(raw, window);
  return r.ok ? 'ok' : r.rejection.reason;
}

for (const kind of BAD_PAYLOAD_KINDS) {
  test(`a ${kind} payload is rejected by ingest as ${EXPECTED_REJECT_REASON[kind]}`, () => {
    const rng = new Rng(1);
    for (let i = 0; i < 50; i++) assert.equal(ingestVerdict(encodeBadReading(reading(i + 1), kind, rng)), EXPECTED_REJECT_REASON[kind]);
  });
}

test('bad payloads come at about the configured rate, of every kind; the rest validate', () => {
  const rng = new Rng(77);
  const n = 40_000;
  const badRate = 0.02;
  const kinds = new Map<string, number>();
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const tx = transmitReading(reading(i + 1), rng, { badRate, dropoutRate: 0 });
    assert.equal(tx.kind, 'sent');
    if (tx.kind !== 'sent') continue;
    if (tx.bad) {
      bad++;
      kinds.set(tx.bad, (kinds.get(tx.bad) ?? 0) + 1);
      assert.equal(ingestVerdict(tx.payload), EXPECTED_REJECT_REASON[tx.bad]);
    } else {
      assert.equal(ingestVerdict(tx.payload), 'ok');
    }
  }
  // Binomial: σ = √(n·p·(1−p)) ≈ 28; allow 5σ.
  assert.ok(Math.abs(bad - n * badRate) < 140, `${bad} bad of ${n}`);
  assert.equal(kinds.size, BAD_PAYLOAD_KINDS.length);
});

test('the default bad rate (0.001) gives about one bad payload per thousand', () => {
  const rng = new Rng(5);
  let bad = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const tx = transmitReading(reading(i + 1), rng, { badRate: 0.001, dropoutRate: 0 });
    if (tx.kind === 'sent' && tx.bad) bad++;
  }
  assert.ok(bad > 60 && bad < 140, `${bad} bad of ${n}`);
});

test('dropouts lose readings at about the configured rate, and the link stream is deterministic', () => {
  const fates = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 20_000 }, (_, i) => transmitReading(reading(i + 1), rng, { badRate: 0.01, dropoutRate: 0.05 }));
  };
  const a = fates(3);
  assert.deepEqual(a, fates(3));
  const dropped = a.filter((t) => t.kind === 'dropped').length;
  assert.ok(Math.abs(dropped - 1000) < 160, `${dropped} dropped`);
});
