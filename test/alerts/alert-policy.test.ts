import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type AlertDecision,
  type AlertPolicyOptions,
  type AlertPolicyState,
  initialPolicyState,
  type MaintenanceWindow,
  type PolicyContext,
  severityFor,
  stepAlertPolicy,
} from '../../alerts/alert-policy.ts';
import type { Prediction } from '../../models/prediction.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const OPTS: AlertPolicyOptions = { raiseAfterMs: 20 * MIN, clearAfterMs: 60 * MIN, deescalateAfterMs: 60 * MIN, flapWindowMs: 6 * HOUR, flapMaxRaises: 3 };
const NO_CTX: PolicyContext = { dataGapSince: null, maintenanceWindows: [] };

function prediction(at: number, risk: number, opts: { rul?: number | null; mode?: string; insufficient?: boolean } = {}): Prediction {
  return {
    tenant: 't1',
    device: 'pump-1',
    equipmentType: 'pump',
    at,
    modelVersion: 'm1',
    status: opts.insufficient ? 'insufficient_data' : 'ok',
    ...(opts.insufficient ? { insufficientReason: 'gaps' } : {}),
    risks: opts.insufficient ? [] : [{ mode: opts.mode ?? 'bearing_wear', risk, horizonHours: 72, threshold: 0.6, attributions: [{ sensor: 'vib', feature: 'vib__slope', contribution: 1.2, share: 0.8, value: 3.1 }] }],
    rulHours: opts.rul === undefined ? 500 : opts.rul,
    rulLowerHours: opts.rul === undefined ? 400 : opts.rul,
  };
}

interface Input {
  p: Prediction;
  ctx: PolicyContext;
}

/** Runs a stream through the policy and returns every decision with the state after each step. */
function run(inputs: Input[], opts = OPTS, start: AlertPolicyState = initialPolicyState('t1', 'pump-1', 'bearing_wear')) {
  let state = start;
  const log: { input: Input; decisions: AlertDecision[]; state: AlertPolicyState }[] = [];
  for (const input of inputs) {
    const r = stepAlertPolicy(state, input.p, input.ctx, opts);
    state = r.state;
    log.push({ input, decisions: r.decisions, state });
  }
  return { state, log, decisions: log.flatMap((l) => l.decisions) };
}

const series = (points: [number, number][], ctx = NO_CTX): Input[] => points.map(([m, risk]) => ({ p: prediction(T0 + m * MIN, risk), ctx }));

describe('alert policy: examples', () => {
  test('raises only after the risk stays above the enter threshold for the minimum duration', () => {
    const { decisions } = run(series([[0, 0.7], [10, 0.7], [15, 0.3], [20, 0.7], [30, 0.7], [40, 0.7]]));
    assert.deepEqual(decisions.map((d) => [d.kind, d.at]), [['raised', T0 + 40 * MIN]]);
    const raised = decisions[0] as Extract<AlertDecision, { kind: 'raised' }>;
    assert.equal(raised.evidence[0]?.sensor, 'vib');
    assert.match(raised.reason, /risk 0\.7 ≥ enter 0\.6 for 20 min/);
  });

  test('hysteresis: risk between exit and enter keeps the episode open; it clears after staying below exit', () => {
    // enter 0.6, exit 0.42
    const { decisions, state } = run(series([[0, 0.9], [20, 0.9], [30, 0.5], [60, 0.5], [120, 0.5], [130, 0.4], [170, 0.45], [180, 0.3], [239, 0.3], [240, 0.3]]));
    assert.deepEqual(decisions.filter((d) => d.kind !== 'deescalated' && d.kind !== 'escalated').map((d) => [d.kind, (d.at - T0) / MIN]), [['raised', 20], ['cleared', 240]]);
    assert.equal(state.status, 'idle');
  });

  test('severity escalates at once and de-escalates only after sustained improvement, to the worst level seen', () => {
    const inputs = series([[0, 0.65], [20, 0.65], [30, 0.95], [40, 0.6], [70, 0.8], [100, 0.6], [130, 0.6]]);
    const { decisions } = run(inputs);
    const sev = decisions.filter((d) => d.kind === 'escalated' || d.kind === 'deescalated') as Extract<AlertDecision, { from: unknown }>[];
    assert.deepEqual(sev.map((d) => [d.kind, (d.at - T0) / MIN, d.from, d.to]), [['escalated', 30, 'medium', 'critical'], ['deescalated', 100, 'critical', 'high']]);
    assert.equal(decisions[0]?.kind, 'raised');
  });

  test('RUL drives severity too', () => {
    assert.equal(severityFor(0.6, 20), 'critical');
    assert.equal(severityFor(0.6, 50), 'high');
    assert.equal(severityFor(0.6, 100), 'medium');
    assert.equal(severityFor(0.5, null), 'low');
    assert.equal(severityFor(0.92, null), 'critical');
  });

  test('flapping: after too many raise/clear cycles the episode is held with one notification', () => {
    const pts: [number, number][] = [];
    // Cycles of 30 min high, 70 min low: each would raise and clear.
    for (let c = 0; c < 8; c++) {
      const b = c * 100;
      pts.push([b, 0.9], [b + 20, 0.9], [b + 30, 0.1], [b + 90, 0.1], [b + 95, 0.1]);
    }
    const { decisions, state } = run(series(pts));
    const kinds = decisions.map((d) => d.kind).filter((k) => k !== 'escalated' && k !== 'deescalated');
    assert.deepEqual(kinds, ['raised', 'cleared', 'raised', 'cleared', 'raised', 'flapping']);
    assert.equal(state.status, 'flapping');
    // A flapping episode clears once the risk has stayed low for the whole flap window.
    const tail = series([[900, 0.1], [1000, 0.1], [1300, 0.1], [1261 + 6 * 60, 0.1]]);
    const after = run(tail, OPTS, state);
    assert.deepEqual(after.decisions.map((d) => d.kind), ['cleared']);
  });

  test('a maintenance window silences the device and breaks up evidence', () => {
    const w: MaintenanceWindow = { tenant: 't1', device: 'pump-1', startsAt: T0 + 10 * MIN, endsAt: T0 + 60 * MIN, reason: 'planned service' };
    const ctx: PolicyContext = { dataGapSince: null, maintenanceWindows: [w] };
    const { decisions } = run(series([[0, 0.9], [15, 0.9], [30, 0.9], [55, 0.9], [60, 0.9], [70, 0.9], [80, 0.9]], ctx));
    assert.deepEqual(decisions.map((d) => [d.kind, (d.at - T0) / MIN]), [['suppressed', 15], ['raised', 80]]);
  });

  test('stale data suppresses; a prediction not newer than the last one changes nothing', () => {
    const ctx: PolicyContext = { dataGapSince: T0 + 5 * MIN, maintenanceWindows: [] };
    const { decisions, state } = run(series([[0, 0.9], [10, 0.9], [30, 0.9], [60, 0.9]], ctx));
    assert.deepEqual(decisions.map((d) => d.kind), ['suppressed']);
    const again = stepAlertPolicy(state, prediction(T0 + 60 * MIN, 0.9), NO_CTX, OPTS);
    assert.equal(again.state, state);
    assert.deepEqual(again.decisions, []);
  });
});

// ---- property-based ----

const RISKS = [0.02, 0.2, 0.41, 0.5, 0.61, 0.7, 0.8, 0.93];

/** A longer flap window than the examples' so random oscillations hit flapping often. */
const PROP: AlertPolicyOptions = { ...OPTS, flapWindowMs: 12 * HOUR };

/** Random streams built from segments of steady risk (so episodes really open, clear and flap). */
const streamArb = fc
  .record({
    segments: fc.array(
      fc.record({
        lenMin: fc.integer({ min: 5, max: 900 }),
        /** An oscillating segment swings between its risk and near zero every `halfPeriodMin`: the flapping case. */
        oscillate: fc.boolean(),
        halfPeriodMin: fc.integer({ min: 20, max: 120 }),
        dtMin: fc.integer({ min: 1, max: 25 }),
        riskA: fc.constantFrom(...RISKS),
        riskB: fc.constantFrom(...RISKS),
        rul: fc.option(fc.integer({ min: 5, max: 400 }), { nil: null }),
        insufficientPct: fc.constantFrom(0, 0, 10, 40),
      }),
      { minLength: 1, maxLength: 40 },
    ),
    windows: fc.array(fc.record({ startMin: fc.integer({ min: 0, max: 4000 }), lenMin: fc.integer({ min: 10, max: 300 }) }), { maxLength: 3 }),
    gap: fc.option(fc.record({ startMin: fc.integer({ min: 0, max: 4000 }), lenMin: fc.integer({ min: 10, max: 300 }) }), { nil: null }),
  })
  .map(({ segments, windows, gap }) => {
    let t = T0;
    let n = 0;
    const maintenanceWindows = windows.map((w) => ({ tenant: 't1', device: 'pump-1', startsAt: T0 + w.startMin * MIN, endsAt: T0 + (w.startMin + w.lenMin) * MIN, reason: 'test' }));
    const inputs: Input[] = [];
    for (const seg of segments) {
      for (let e = 0; e < seg.lenMin; e += seg.dtMin) {
        t += seg.dtMin * MIN;
        const insufficient = (n++ * 37) % 100 < seg.insufficientPct;
        const inGap = gap !== null && t >= T0 + gap.startMin * MIN && t < T0 + (gap.startMin + gap.lenMin) * MIN;
        const low = seg.oscillate && Math.floor(e / seg.halfPeriodMin) % 2 === 1;
        const p = prediction(t, low ? 0.02 : seg.riskA, { rul: seg.rul, insufficient });
        if (!insufficient) p.risks.push({ ...p.risks[0]!, mode: 'seal_leak', risk: low ? 0.02 : seg.riskB });
        inputs.push({ p, ctx: { dataGapSince: inGap ? T0 + gap!.startMin * MIN : null, maintenanceWindows } });
      }
    }
    return { inputs, end: t, maintenanceWindows };
  });

/** Runs a multi-mode stream: one state per mode, as the episode service keeps them. */
function runKeys(inputs: Input[]) {
  const states = new Map<string, AlertPolicyState>();
  const out: { mode: string; d: AlertDecision }[] = [];
  for (const input of inputs) {
    const modes = input.p.status === 'ok' ? input.p.risks.map((r) => r.mode) : [...states.keys()];
    for (const mode of modes) {
      const before = states.get(mode) ?? initialPolicyState('t1', 'pump-1', mode);
      const r = stepAlertPolicy(before, input.p, input.ctx, PROP);
      states.set(mode, r.state);
      for (const d of r.decisions) out.push({ mode, d });
    }
  }
  return { states, out };
}

const lowTail = (from: number, modes: string[]): Input[] => {
  const tail: Input[] = [];
  for (let t = from + 10 * MIN; t <= from + 14 * HOUR; t += 10 * MIN) for (const mode of modes) tail.push({ p: prediction(t, 0.02, { mode }), ctx: NO_CTX });
  return tail;
};

describe('alert policy: properties over random prediction streams', () => {
  test('never two open episodes per key (raises and clears alternate)', () => {
    fc.assert(
      fc.property(streamArb, ({ inputs }) => {
        const { out } = runKeys(inputs);
        const open = new Map<string, boolean>();
        for (const { mode, d } of out) {
          if (d.kind === 'raised') {
            assert.ok(!open.get(mode), `second raise for ${mode} while open`);
            open.set(mode, true);
          }
          if (d.kind === 'cleared') {
            assert.ok(open.get(mode), `clear for ${mode} without an open episode`);
            open.set(mode, false);
          }
          if (d.kind === 'escalated' || d.kind === 'deescalated' || d.kind === 'flapping') assert.ok(open.get(mode), `${d.kind} without an open episode`);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('no flapping notifications: at most flapMaxRaises raises per key in any flap window, one flapping notice per episode', () => {
    fc.assert(
      fc.property(streamArb, ({ inputs }) => {
        const { out } = runKeys(inputs);
        for (const mode of ['bearing_wear', 'seal_leak']) {
          const raises = out.filter((o) => o.mode === mode && o.d.kind === 'raised').map((o) => o.d.at);
          for (const r of raises) {
            const inWindow = raises.filter((x) => x > r - PROP.flapWindowMs! && x <= r).length;
            assert.ok(inWindow <= PROP.flapMaxRaises!, `${inWindow} raises within a flap window`);
          }
          let flapsThisEpisode = 0;
          for (const o of out.filter((x) => x.mode === mode)) {
            if (o.d.kind === 'raised') flapsThisEpisode = 0;
            if (o.d.kind === 'flapping') assert.equal(++flapsThisEpisode, 1);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  test('every raise is eventually cleared when the stream ends with sustained low risk', () => {
    fc.assert(
      fc.property(streamArb, ({ inputs, end }) => {
        const { states, out } = runKeys([...inputs, ...lowTail(end, ['bearing_wear', 'seal_leak'])]);
        for (const [mode, s] of states) {
          assert.equal(s.status, 'idle', `${mode} still ${s.status}`);
          const raised = out.filter((o) => o.mode === mode && o.d.kind === 'raised').length;
          const cleared = out.filter((o) => o.mode === mode && o.d.kind === 'cleared').length;
          assert.equal(raised, cleared);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('insufficient_data changes nothing, and neither does replaying a prediction', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 0, max: 1000 }), ({ inputs }, cut) => {
        const prefix = inputs.slice(0, cut % (inputs.length + 1)).filter((i) => i.p.status === 'ok');
        const { state } = run(prefix, PROP);
        const last = prefix.at(-1);
        const insufficient = prediction((last?.p.at ?? T0) + MIN, 0, { insufficient: true });
        const r = stepAlertPolicy(state, insufficient, NO_CTX, PROP);
        assert.equal(r.state, state);
        assert.ok(r.decisions.every((d) => d.kind === 'suppressed'));
        if (last) {
          const replay = stepAlertPolicy(state, last.p, last.ctx, PROP);
          assert.equal(replay.state, state);
          assert.deepEqual(replay.decisions, []);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('maintenance windows and data gaps silence: nothing raises, clears or notifies inside them', () => {
    fc.assert(
      fc.property(streamArb, ({ inputs }) => {
        for (const { input, decisions } of run(inputs, PROP).log) {
          const silenced = input.ctx.dataGapSince !== null || input.ctx.maintenanceWindows.some((w) => input.p.at >= w.startsAt && input.p.at < w.endsAt);
          if (silenced) assert.ok(decisions.every((d) => d.kind === 'suppressed'), `decided ${decisions.map((d) => d.kind)} while silenced`);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('deterministic: the same stream gives the same decisions', () => {
    fc.assert(
      fc.property(streamArb, ({ inputs }) => {
        assert.deepEqual(runKeys(inputs).out, runKeys(inputs).out);
      }),
      { numRuns: 100 },
    );
  });
});
