import assert from 'node:assert/strict';
import { test } from 'node:test';
import { airCompressor } from '../../simulators/air-compressor.ts';
import { centrifugalPump } from '../../simulators/centrifugal-pump.ts';
import { EQUIPMENT_CATALOGUE } from '../../simulators/equipment-catalogue.ts';
import { EQUIPMENT_TYPES, type EquipmentModel, type OperatingPoint } from '../../simulators/equipment-model.ts';
import { EquipmentSimulator } from '../../simulators/equipment-simulator.ts';
import { motorGearbox } from '../../simulators/motor-gearbox.ts';
import { METRIC_NAME, RESERVED_METRIC_NAMES } from '../../ingest/payload-schema.ts';

const at = (level: number, damage: Record<string, number> = {}, ambientC = 20): OperatingPoint => ({ running: true, level, ambientC, damage });

/** Each failure mode's symptoms and the direction the issue (and the model's comments) promise. */
const directions: [EquipmentModel, string, level: number, rises: string[], falls: string[]][] = [
  [centrifugalPump, 'bearing_wear', 0.85, ['vibration_rms_mm_s', 'bearing_temp_c'], []],
  [centrifugalPump, 'seal_wear', 0.85, ['motor_current_a'], ['flow_m3h', 'discharge_pressure_bar']],
  [airCompressor, 'valve_wear', 0.5, ['duty_cycle_pct', 'discharge_temp_c', 'vibration_rms_mm_s', 'motor_current_a'], []],
  [airCompressor, 'cooler_fouling', 0.5, ['discharge_temp_c', 'aftercooler_outlet_temp_c', 'oil_temp_c'], []],
  [motorGearbox, 'winding_insulation', 0.85, ['motor_current_a', 'winding_temp_c'], []],
  [motorGearbox, 'gear_wear', 0.85, ['gear_mesh_vib_g', 'oil_debris_ppm', 'oil_temp_c'], []],
  [motorGearbox, 'gear_tooth_crack', 0.85, ['gear_mesh_vib_g', 'vibration_rms_mm_s', 'oil_debris_ppm'], []],
];

for (const [model, mode, level, rises, falls] of directions) {
  test(`${model.type} ${mode}: damage moves its symptoms the documented way at a fixed regime`, () => {
    const healthy = model.sense(at(level));
    const worn = model.sense(at(level, { [mode]: 0.8 }));
    for (const s of rises) assert.ok(worn[s]! > healthy[s]! * 1.02, `${s} should rise: ${healthy[s]} → ${worn[s]}`);
    for (const s of falls) assert.ok(worn[s]! < healthy[s]! * 0.98, `${s} should fall: ${healthy[s]} → ${worn[s]}`);
  });
}

test('every type has ≥ 5 sensors and ≥ 2 failure modes, each naming its law and source; metric names are valid', () => {
  for (const type of EQUIPMENT_TYPES) {
    const m = EQUIPMENT_CATALOGUE[type].model;
    assert.equal(m.type, type);
    assert.ok(m.sensors.length >= 5, type);
    assert.ok(m.failureModes.length >= 2, type);
    assert.ok(m.sensors.some((s) => s.name === m.regimeMetric), `${type} exposes its regime`);
    for (const f of m.failureModes) {
      assert.ok(f.source.length > 20, `${f.id} names its source`);
      for (const s of f.symptoms) assert.ok(m.sensors.some((x) => x.name === s), `${f.id} symptom ${s} is a sensor`);
    }
    for (const s of [...m.sensors.map((x) => x.name), 'run_hours', 'state']) {
      assert.match(s, METRIC_NAME);
      assert.ok(!RESERVED_METRIC_NAMES.has(s));
    }
  }
});

test('operating regime shifts sensor levels: models must normalise by it', () => {
  const slow = centrifugalPump.sense(at(0.7));
  const fast = centrifugalPump.sense(at(1));
  // Affinity laws: Q ∝ N, head ∝ N².
  assert.ok(Math.abs(fast.flow_m3h! / slow.flow_m3h! - 1 / 0.7) < 1e-9);
  assert.ok(fast.vibration_rms_mm_s! > slow.vibration_rms_mm_s!);
  const light = motorGearbox.sense(at(0.3));
  const heavy = motorGearbox.sense(at(1));
  assert.ok(heavy.motor_current_a! > light.motor_current_a! && heavy.winding_temp_c! > light.winding_temp_c!);
  assert.equal(heavy.load_pct, 100);
});

test('wear rates follow their stress: Arrhenius ageing with load, Archard wear with speed, fatigue with torque', () => {
  const rate = (model: EquipmentModel, id: string, op: OperatingPoint) => model.failureModes.find((f) => f.id === id)!.rate(op);
  const insulation = [0.5, 0.85, 1.08].map((l) => rate(motorGearbox, 'winding_insulation', at(l)));
  assert.ok(insulation[0]! < insulation[1]! && insulation[1]! < insulation[2]!);
  // 10 K hotter ambient, twice the ageing (Montsinger).
  const hot = rate(motorGearbox, 'winding_insulation', at(0.85, {}, 30));
  assert.ok(Math.abs(hot / insulation[1]! - 2) < 1e-9);
  assert.ok(rate(centrifugalPump, 'seal_wear', at(1)) > rate(centrifugalPump, 'seal_wear', at(0.7)));
  const crackInit = motorGearbox.failureModes.find((f) => f.id === 'gear_tooth_crack')!.initiation!;
  assert.ok(crackInit.rate(at(1.08)) > 4 * crackInit.rate(at(0.85)));
});

test('bearing wear raises speed-normalised vibration and bearing temperature over simulated time, up to a failure', () => {
  // Find a pump whose bearing fails within a year of running, hour by hour.
  const start = Date.UTC(2025, 0, 1);
  for (let seed = 1; seed < 50; seed++) {
    const sim = new EquipmentSimulator({ model: centrifugalPump, seed, startMs: start });
    const trace: { vib: number; temp: number; damage: number }[] = [];
    for (let h = 0; h < 24 * 365; h++) {
      const events = sim.advance(3600);
      const failure = events.find((e) => e.kind === 'failure');
      if (failure && failure.failureModes[0] === 'bearing_wear') {
        // From the first reading with a defect present to the failure.
        let born = trace.length;
        while (born > 0 && trace[born - 1]!.damage > 0) born--;
        const defect = trace.slice(born);
        assert.ok(defect.length >= 20, `a visible P–F interval (${defect.length} h)`);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const early = defect.slice(0, 10);
        const late = defect.slice(-5);
        assert.ok(mean(late.map((t) => t.vib)) > 2 * mean(early.map((t) => t.vib)), 'vibration rises');
        assert.ok(mean(late.map((t) => t.vib)) > 2.8, 'and ends beyond ISO 10816 zone B');
        assert.ok(mean(late.map((t) => t.temp)) > mean(early.map((t) => t.temp)) + 5, 'bearing temperature rises');
        for (let i = 1; i < defect.length; i++) assert.ok(defect[i]!.damage >= defect[i - 1]!.damage, 'damage never falls between renewals');
        assert.equal(sim.stateCode, 2, 'the pump reports the failed state');
        return;
      }
      if (events.some((e) => e.kind === 'maintenance' && e.failureModes.includes('bearing_wear'))) trace.length = 0;
      const m = sim.readMetrics();
      if (m.state !== 0 || m.speed_rpm! < 1500) continue;
      // Normalise by regime: vibration ∝ speed; temperature over ambient.
      trace.push({ vib: m.vibration_rms_mm_s! / (m.speed_rpm! / 2950), temp: m.bearing_temp_c! - m.ambient_temp_c!, damage: sim.damage().bearing_wear! });
    }
  }
  assert.fail('no pump bearing failed within a year in 50 seeds');
});
