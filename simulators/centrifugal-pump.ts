import { fatigueLifeConsumption } from './degradation-laws.ts';
import { damageOf, type EquipmentModel, type OperatingPoint } from './equipment-model.ts';

/**
 * A 55 kW end-suction centrifugal pump on a variable-speed drive (2950 rpm, 120 m³/h, 4.9 bar
 * at rated speed). The regime is the drive's speed; flow, head and power follow the pump
 * affinity laws (Q ∝ N, H ∝ N², P ∝ N³), so every sensor must be read against `speed_rpm`.
 *
 * Lifetimes are compressed (~×20 against the field) so a fleet fails within weeks of simulated
 * time; the shapes of the curves are the physical ones.
 */

const RATED_RPM = 2950;
const RATED_FLOW_M3H = 120;
const RATED_HEAD_BAR = 4.9;

/** Fraction of the flow lost to recirculation through the worn seal / wear-ring gap. */
function recirculation(op: OperatingPoint): number {
  // Leakage through an annular gap grows faster than the gap (laminar flow ∝ clearance³), hence the power.
  return 0.22 * Math.pow(damageOf(op, 'seal_wear'), 1.5);
}

export const centrifugalPump: EquipmentModel = {
  type: 'centrifugal_pump',
  model: 'Prognos CP-100-250 (55 kW, 2950 rpm)',
  description: 'End-suction centrifugal pump on a variable-speed drive',
  regimeMetric: 'speed_rpm',
  sensors: [
    { name: 'speed_rpm', unit: 'rpm', description: 'shaft speed (the regime: drive set point)', noise: 4, decimals: 0, min: 0 },
    { name: 'flow_m3h', unit: 'm³/h', description: 'discharge flow', noise: 1.2, decimals: 1, unitSpread: 0.02, min: 0 },
    { name: 'suction_pressure_bar', unit: 'bar', description: 'suction pressure (gauge)', noise: 0.02, decimals: 3, unitSpread: 0.02 },
    { name: 'discharge_pressure_bar', unit: 'bar', description: 'discharge pressure (gauge)', noise: 0.04, decimals: 3, unitSpread: 0.02 },
    { name: 'motor_current_a', unit: 'A', description: 'motor phase current', noise: 0.6, decimals: 1, unitSpread: 0.03, min: 0 },
    { name: 'vibration_rms_mm_s', unit: 'mm/s', description: 'bearing housing velocity RMS, 10–1000 Hz', noise: 0.08, decimals: 2, unitSpread: 0.12, min: 0 },
    { name: 'bearing_temp_c', unit: '°C', description: 'drive-end bearing temperature', noise: 0.3, decimals: 1, lagSeconds: 1800 },
    { name: 'ambient_temp_c', unit: '°C', description: 'pump room temperature', noise: 0.2, decimals: 1 },
  ],
  regimes: [
    { name: 'stopped', weight: 1, meanDwellHours: 3, running: false, level: 0 },
    { name: 'low', weight: 2, meanDwellHours: 8, running: true, level: 0.7 },
    { name: 'normal', weight: 4, meanDwellHours: 10, running: true, level: 0.85 },
    { name: 'high', weight: 3, meanDwellHours: 6, running: true, level: 1 },
  ],
  failureModes: [
    {
      id: 'bearing_wear',
      description: 'Rolling-element bearing fatigue: a sub-surface crack initiates, then a spall grows and feeds itself',
      source:
        'Initiation: ISO 281 rating life L10 = (C/P)^3, consumed ∝ speed × load³ (Weibull β 1.5). Growth: exponential spall growth (P–F curve). Symptom levels: ISO 10816-3 group 2 zones (A/B 1.4, B/C 2.8, C/D 4.5 mm/s)',
      law: { kind: 'exponential' },
      symptoms: ['vibration_rms_mm_s', 'bearing_temp_c'],
      initiation: {
        shape: 1.5,
        scaleHours: 900,
        // Radial load: rotor weight plus hydraulic radial thrust, which scales with head (∝ N²).
        rate: (op) => fatigueLifeConsumption(op.level, 0.6 + 0.4 * op.level * op.level, 3),
        seedDamage: 0.05,
      },
      // Defect impacts per hour scale with speed: ~160 h from seed to failure at 85 % speed.
      rate: (op) => op.level / 45,
      susceptibilitySpread: 0.25,
      pmRenewChance: 0.25,
      repairHours: 24,
    },
    {
      id: 'seal_wear',
      description: 'Mechanical seal faces and wear rings wear open: internal recirculation lowers flow and head',
      source: "Archard's wear law V = k·F·s/H: face load ∝ seal-chamber pressure (∝ N²) times sliding distance (∝ N), so wear rate ∝ N³",
      law: { kind: 'linear' },
      symptoms: ['flow_m3h', 'discharge_pressure_bar', 'motor_current_a'],
      rate: (op) => Math.pow(op.level, 3) / 1100,
      initialDamageMax: 0.5,
      susceptibilitySpread: 0.3,
      pmRenewChance: 0.2,
      repairHours: 10,
    },
  ],
  maintenance: { intervalHours: 1000, intervalSpread: 0.25, downtimeHours: 4 },
  sense(op) {
    const f = op.running ? op.level : 0;
    const bearing = damageOf(op, 'bearing_wear');
    const leak = recirculation(op);
    const flow = RATED_FLOW_M3H * f * (1 - leak);
    // Suction-line friction loss ∝ Q².
    const suction = 1.5 - 0.25 * Math.pow(flow / RATED_FLOW_M3H, 2);
    return {
      speed_rpm: RATED_RPM * f,
      flow_m3h: flow,
      suction_pressure_bar: suction,
      discharge_pressure_bar: suction + RATED_HEAD_BAR * f * f * (1 - 0.9 * leak),
      // No-load current plus hydraulic power ∝ N³; recirculated flow is work done for nothing.
      motor_current_a: op.running ? 28 + 72 * Math.pow(f, 3) * (1 + 0.6 * leak) : 0,
      // Unbalance and defect impact velocity both scale with speed; 5.6 mm/s more at a failed bearing (zone D).
      vibration_rms_mm_s: op.running ? f * (1.1 + 5.6 * bearing) : 0.05,
      // Friction heat rises late in the spall's life: hence D².
      bearing_temp_c: op.ambientC + (op.running ? 28 * Math.pow(f, 1.5) + 30 * bearing * bearing : 0),
      ambient_temp_c: op.ambientC,
    };
  },
};
