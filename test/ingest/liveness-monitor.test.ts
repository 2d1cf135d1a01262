import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LivenessMonitor } from '../../ingest/liveness-monitor.ts';
import { ManualClock } from '../../platform/clock.ts';

test('a device silent for k × its usual interval is reported once, and again when it resumes', () => {
  const clock = new ManualClock(1_000_000);
  const m = new LivenessMonitor({ gapFactor: 5, minGapMs: 1000 });
  for (let i = 0; i < 10; i++) {
    m.observe('t', 'pump-1', clock.now(), clock.now());
    clock.advance(1000);
  }
  assert.deepEqual(m.check(clock.now()), [], 'one second late is not a gap');
  clock.advance(3500); // 4.5 s since the last reading
  assert.deepEqual(m.check(clock.now()), []);
  clock.advance(1000); // 5.5 s > 5 × 1 s
  const [gap, ...rest] = m.check(clock.now());
  assert.equal(rest.length, 0);
  assert.equal(gap?.kind, 'data_gap');
  assert.equal(gap?.device, 'pump-1');
  assert.ok(gap?.kind === 'data_gap' && gap.detail.expectedIntervalMs === 1000);
  clock.advance(10_000);
  assert.deepEqual(m.check(clock.now()), [], 'one event per silence');
  const resumed = m.observe('t', 'pump-1', clock.now(), clock.now());
  assert.equal(resumed?.kind, 'data_resumed');
  assert.ok(resumed?.kind === 'data_resumed' && resumed.detail.silentMs === 15_500);
});

test('the usual interval is learnt per device from device timestamps', () => {
  const m = new LivenessMonitor({ gapFactor: 3, minGapMs: 100 });
  let t = 0;
  for (let i = 0; i < 20; i++) {
    m.observe('t', 'fast', t, t);
    if (i % 10 === 0) m.observe('t', 'slow', t, t);
    t += 200;
  }
  // fast: every 200 ms; slow: every 2000 ms. 700 ms of silence is a gap only for the fast one.
  const events = m.check(t - 200 + 700);
  assert.deepEqual(events.map((e) => e.device), ['fast']);
});

test('a device never heard twice has no interval yet and is not judged', () => {
  const m = new LivenessMonitor({ gapFactor: 2 });
  m.observe('t', 'once', 0, 0);
  assert.deepEqual(m.check(1e9), []);
});
