import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateReading } from '../../ingest/payload-schema.ts';
import { EQUIPMENT_TYPES } from '../../simulators/equipment-model.ts';
import { type EquipmentEvent, STATE_CODES } from '../../simulators/equipment-simulator.ts';
import { buildFleet, fleetUnit, simulatorFor } from '../../simulators/fleet.ts';

const START = Date.UTC(2025, 0, 1);
const fleetOf = (seed: number, devices = 6) => buildFleet({ tenant: 'demo', devices, seed, startMs: START });

/** Hourly readings and events of every device over `hours`. */
function run(seed: number, hours: number, devices = 6) {
  return fleetOf(seed, devices).map(({ simulator }) => {
    const readings: Record<string, number>[] = [];
    const events: EquipmentEvent[] = [];
    for (let h = 0; h < hours; h++) {
      events.push(...simulator.advance(3600));
      readings.push(simulator.readMetrics());
    }
    return { readings, events };
  });
}

test('the same seed gives identical readings and events; a different seed does not', () => {
  const a = run(11, 500);
  assert.deepEqual(a, run(11, 500));
  assert.notDeepEqual(a.map((d) => d.readings), run(12, 500).map((d) => d.readings));
});

test("device i's data does not depend on the size of the fleet", () => {
  const small = run(5, 200, 3);
  const large = run(5, 200, 9);
  assert.deepEqual(small, large.slice(0, 3));
  assert.deepEqual(fleetUnit({ tenant: 'demo', devices: 3, seed: 5, startMs: START }, 2), fleetUnit({ tenant: 'demo', devices: 900, seed: 5, startMs: START }, 2));
});

test('the fleet cycles through the three types with stable, topic-safe ids', () => {
  const units = fleetOf(1, 6).map((d) => d.unit);
  assert.deepEqual(units.map((u) => u.type), [...EQUIPMENT_TYPES, ...EQUIPMENT_TYPES]);
  assert.deepEqual(units.map((u) => u.device), ['pump-0001', 'compressor-0002', 'drive-0003', 'pump-0004', 'compressor-0005', 'drive-0006']);
  for (const u of units) assert.ok(Date.parse(u.installedAt) < START);
});

test('normal readings pass the ingest schema: finite numbers under valid names, with run_hours and state', () => {
  for (const { readings } of run(3, 300)) {
    for (const [i, metrics] of readings.entries()) {
      const now = START + i * 3_600_000;
      const r = validateReading(JSON.parse(JSON.stringify({ ts: now, seq: i + 1, metrics })), { now, maxFutureMs: 300_000, maxPastMs: 86_400_000 });
      assert.ok(r.ok, r.ok ? '' : r.rejection.detail);
      assert.ok(typeof metrics.run_hours === 'number' && typeof metrics.state === 'number');
    }
  }
});

test('splitting time into small or large steps gives the same wear and hour meter (speed only changes the pace)', () => {
  const unit = fleetUnit({ tenant: 'demo', devices: 3, seed: 21, startMs: START }, 2);
  const coarse = simulatorFor(unit, START);
  const fine = simulatorFor(unit, START);
  for (let h = 0; h < 100; h++) {
    coarse.advance(3600);
    for (let s = 0; s < 60; s++) fine.advance(60);
  }
  assert.ok(Math.abs(coarse.runHours - fine.runHours) < 1e-6);
  // Rates are held over a step (at most 15 simulated minutes), so rates that follow the ambient differ a hair.
  for (const [mode, d] of Object.entries(coarse.damage())) assert.ok(Math.abs(d - fine.damage()[mode]!) < 1e-3, `${mode}: ${d} vs ${fine.damage()[mode]}`);
});

test('the hour meter runs only while the machine runs; sim time always advances', () => {
  for (const { simulator } of fleetOf(8, 3)) {
    let last = simulator.runHours;
    for (let h = 0; h < 400; h++) {
      const code = simulator.stateCode;
      const before = simulator.simTimeMs;
      simulator.advance(600);
      assert.equal(simulator.simTimeMs - before, 600_000);
      if (code === STATE_CODES.failed || code === STATE_CODES.maintenance) assert.ok(simulator.runHours - last <= 600 / 3600 + 1e-9);
      assert.ok(simulator.runHours >= last && simulator.runHours - last <= 600 / 3600 + 1e-9);
      last = simulator.runHours;
    }
  }
});

test('preventive maintenance resets the wear of the parts it renews', () => {
  let renewals = 0;
  for (const { simulator } of fleetOf(4, 9)) {
    for (let h = 0; h < 24 * 200; h++) {
      const before = simulator.damage();
      const events = simulator.advance(3600);
      for (const e of events.filter((x) => x.kind === 'maintenance')) {
        for (const mode of e.failureModes) {
          renewals++;
          // Renewed during this hour: at most an hour of fresh wear on top of zero.
          assert.ok(simulator.damage()[mode]! < Math.max(0.01, before[mode]! / 2), `${mode}: ${before[mode]} → ${simulator.damage()[mode]}`);
        }
      }
    }
  }
  assert.ok(renewals > 5, `saw ${renewals} renewals`);
});

test('a failure happens when damage reaches 1.0: the machine reports failed, then is repaired and runs again', () => {
  let checked = 0;
  for (const { simulator } of fleetOf(2, 9)) {
    let failedMode: string | null = null;
    for (let h = 0; h < 24 * 200; h++) {
      const events = simulator.advance(3600);
      for (const e of events) {
        if (e.kind === 'failure') {
          failedMode = e.failureModes[0]!;
          if (!events.some((x) => x.kind === 'repair' && x.atMs > e.atMs)) {
            assert.equal(simulator.damage()[failedMode], 1);
            assert.equal(simulator.readMetrics().state, STATE_CODES.failed);
            assert.equal(simulator.readMetrics().speed_rpm ?? 0, 0);
          }
        }
        if (e.kind === 'repair') {
          assert.equal(e.failureModes[0], failedMode);
          checked++;
        }
      }
    }
  }
  assert.ok(checked >= 3, `saw ${checked} repairs`);
});

test('a service visit renews the named parts, takes the machine down for maintenance, then it runs again', () => {
  const { simulator } = fleetOf(5, 1)[0]!;
  // Wear the machine for a while, without letting it reach a failure.
  for (let h = 0; h < 200; h++) simulator.advance(3600);
  const before = simulator.damage();
  const worn = Object.entries(before).sort((a, b) => b[1] - a[1])[0]![0];
  const event = simulator.serviceVisit([worn, 'no_such_mode'], 'prognos visit V-1');
  assert.equal(event.kind, 'maintenance');
  assert.deepEqual(event.failureModes, [worn]);
  assert.match(event.detail, /prognos visit V-1/);
  assert.equal(simulator.damage()[worn], 0);
  for (const [mode, d] of Object.entries(before)) if (mode !== worn) assert.equal(simulator.damage()[mode], d);
  assert.equal(simulator.stateCode, STATE_CODES.maintenance);
  simulator.advance(3600 * 48);
  assert.notEqual(simulator.stateCode, STATE_CODES.maintenance);
});

test("worn starts (the demo's): those devices fail early, the others are the same machines as without", () => {
  const plain = buildFleet({ tenant: 'demo', devices: 40, seed: 5, startMs: START });
  const worn = buildFleet({ tenant: 'demo', devices: 40, seed: 5, startMs: START, wornShare: 0.25 });
  const wornUnits = worn.filter((d) => d.unit.wornStart);
  assert.ok(wornUnits.length >= 4 && wornUnits.length <= 18, `about a quarter worn (${wornUnits.length} of 40)`);
  for (let i = 0; i < 40; i++) {
    const { wornStart, ...identity } = worn[i]!.unit;
    const { wornStart: never, ...same } = plain[i]!.unit;
    assert.equal(never, false);
    assert.deepEqual(identity, same, 'the identity does not depend on worn starts');
    if (!wornStart) assert.deepEqual(worn[i]!.simulator.damage(), plain[i]!.simulator.damage(), 'an unworn device starts as before');
  }
  // A worn device fails within weeks (150–450 h of full-load running; regimes run below full
  // load), unless its own preventive maintenance comes first, as it may in the field.
  let failed = 0;
  for (const { simulator } of wornUnits) {
    let first: EquipmentEvent | null = null;
    let atH = 0;
    for (let h = 0; h < 24 * 60 && first === null; h++) {
      first = simulator.advance(3600).find((e) => e.kind === 'failure' || e.kind === 'maintenance') ?? null;
      atH = h;
    }
    assert.ok(first !== null && atH >= 24, `a failure or a maintenance after a day and within 60 days (${first?.kind ?? 'none'} at ${atH} h)`);
    if (first.kind === 'failure') failed++;
  }
  assert.ok(failed >= wornUnits.length / 2, `most worn devices fail (${failed} of ${wornUnits.length})`);
});
