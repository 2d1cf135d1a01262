import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateReading } from '../../ingest/payload-schema.ts';
import { parseTelemetryTopic } from '../../ingest/topics.ts';
import { ManualClock } from '../../platform/clock.ts';
import { buildFleet } from '../../simulators/fleet.ts';
import { LiveSimulation, type OutgoingTelemetry } from '../../simulators/live-simulation.ts';

const T0 = Date.UTC(2026, 2, 1, 8);
const settle = () => new Promise((r) => setImmediate(r));

/** Runs `ticks` intervals of a live simulation on a manual clock; returns what was sent. */
async function runLive(o: { seed: number; devices: number; ticks: number; speed: number; badRate?: number; dropoutRate?: number }) {
  const clock = new ManualClock(T0);
  const sent: OutgoingTelemetry[] = [];
  const sim = new LiveSimulation({
    devices: buildFleet({ tenant: 'plant-a', devices: o.devices, seed: o.seed, startMs: T0 }),
    clock,
    intervalMs: 1000,
    speed: o.speed,
    badRate: o.badRate ?? 0,
    dropoutRate: o.dropoutRate ?? 0,
    send: async (m) => {
      sent.push(m);
    },
  });
  sim.start();
  for (let i = 0; i < o.ticks; i++) {
    clock.advance(1000);
    await settle();
  }
  await sim.stop();
  return { sent, stats: sim.stats, clock };
}

test('each device sends readings stamped with the clock and a seq from 1, one per interval', async () => {
  const { sent } = await runLive({ seed: 1, devices: 3, ticks: 20, speed: 1 });
  const byDevice = new Map<string, { ts: number; seq: number }[]>();
  for (const m of sent) {
    const ref = parseTelemetryTopic(m.topic);
    assert.ok(ref && ref.tenant === 'plant-a');
    const body = JSON.parse(m.payload) as { ts: number; seq: number; metrics: Record<string, number> };
    const r = validateReading(body, { now: T0 + 30_000, maxFutureMs: 0, maxPastMs: 60_000 });
    assert.ok(r.ok);
    byDevice.set(ref.device, [...(byDevice.get(ref.device) ?? []), body]);
  }
  assert.deepEqual([...byDevice.keys()].sort(), ['compressor-0002', 'drive-0003', 'pump-0001']);
  for (const readings of byDevice.values()) {
    assert.ok(readings.length >= 20);
    readings.forEach((r, i) => assert.equal(r.seq, i + 1));
    for (let i = 1; i < readings.length; i++) assert.equal(readings[i]!.ts - readings[i - 1]!.ts, 1000);
  }
});

test('--speed: each real interval advances the physics by interval × speed (an hour per second at 3600)', async () => {
  const { sent } = await runLive({ seed: 2, devices: 3, ticks: 30, speed: 3600 });
  const hours = sent.map((m) => JSON.parse(m.payload) as { metrics: { run_hours: number; state: number } }).filter((_, i) => sent[i]!.deviceIndex === 0);
  const steps = hours.slice(1).map((r, i) => r.metrics.run_hours - hours[i]!.metrics.run_hours);
  assert.ok(steps.every((s) => s >= 0 && s <= 1.0005));
  assert.ok(steps.some((s) => Math.abs(s - 1) < 0.001), 'a whole running hour per tick');
});

test('the same seed and ticks give the same payloads; dropouts leave seq gaps', async () => {
  const a = await runLive({ seed: 9, devices: 4, ticks: 300, speed: 600, badRate: 0.01, dropoutRate: 0.05 });
  const b = await runLive({ seed: 9, devices: 4, ticks: 300, speed: 600, badRate: 0.01, dropoutRate: 0.05 });
  assert.deepEqual(a.sent, b.sent);
  assert.ok(a.stats.dropped > 20 && a.stats.dropped < 110, `${a.stats.dropped} dropped`);
  assert.equal(a.stats.readings, a.stats.sent + a.stats.dropped);
  const c = await runLive({ seed: 10, devices: 4, ticks: 30, speed: 600 });
  assert.notDeepEqual(a.sent.slice(0, 10).map((m) => m.payload.replace(/"ts":\d+/, '')), c.sent.slice(0, 10).map((m) => m.payload.replace(/"ts":\d+/, '')));
});

test('a full transport makes the device wait instead of piling up, and stop ends the waiting', async () => {
  const clock = new ManualClock(T0);
  const pending: (() => void)[] = [];
  let calls = 0;
  const sim = new LiveSimulation({
    devices: buildFleet({ tenant: 'demo', devices: 1, seed: 3, startMs: T0 }),
    clock,
    dropoutRate: 0,
    badRate: 0,
    send: () => {
      calls++;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  });
  sim.start();
  for (let i = 0; i < 10; i++) {
    clock.advance(1000);
    await settle();
  }
  assert.equal(calls, 1, 'one reading in hand, none queued behind it');
  pending.shift()!();
  await settle();
  clock.advance(0);
  await settle();
  assert.equal(calls, 2, 'resumes at once, without a catch-up burst');
  const stopping = sim.stop();
  pending.shift()!();
  await stopping;
  clock.advance(60_000);
  await settle();
  assert.equal(calls, 2, 'nothing is sent after stop');
});
