import { damageOf, type EquipmentModel, type OperatingPoint } from './equipment-model.ts';

/**
 * A 37 kW two-stage reciprocating air compressor (6 m³/min free air delivery at 10 bar) under
 * load/unload control on its receiver. The regime is the plant's air demand; the compressor
 * answers with its duty cycle (loaded share of time), so a compressor that delivers less air
 * per stroke runs loaded longer for the same demand.
 *
 * Lifetimes are compressed (~×20 against the field); the shapes are the physical ones.
 */

/** Delivered air per loaded hour relative to new: leaking valves re-expand and back-flow. */
function capacity(op: OperatingPoint): number {
  return 1 - 0.4 * damageOf(op, 'valve_wear');
}

/** Loaded share of time needed to meet the demand (1 = cannot keep up). */
function dutyCycle(op: OperatingPoint): number {
  return op.running ? Math.min(1, op.level / capacity(op)) : 0;
}

export const airCompressor: EquipmentModel = {
  type: 'air_compressor',
  model: 'Prognos RC-37 two-stage reciprocating (37 kW, 6 m³/min at 10 bar)',
  description: 'Two-stage reciprocating air compressor with intercooler and aftercooler, load/unload control',
  regimeMetric: 'demand_pct',
  sensors: [
    { name: 'demand_pct', unit: '%', description: 'plant air demand as % of rated free air delivery (the regime)', noise: 1, decimals: 1, min: 0 },
    { name: 'duty_cycle_pct', unit: '%', description: 'loaded share of time over the last cycle', noise: 1.5, decimals: 1, min: 0, max: 100 },
    { name: 'discharge_pressure_bar', unit: 'bar', description: 'receiver pressure (gauge); sawtooth between 8.5 and 10 bar', noise: 0.25, decimals: 2 },
    { name: 'discharge_temp_c', unit: '°C', description: 'second-stage discharge temperature', noise: 0.8, decimals: 1, unitSpread: 0.02, lagSeconds: 900 },
    { name: 'aftercooler_outlet_temp_c', unit: '°C', description: 'air temperature after the aftercooler', noise: 0.3, decimals: 1, lagSeconds: 600 },
    { name: 'oil_temp_c', unit: '°C', description: 'crankcase oil temperature', noise: 0.3, decimals: 1, lagSeconds: 2700 },
    { name: 'motor_current_a', unit: 'A', description: 'motor phase current, averaged over load/unload', noise: 0.8, decimals: 1, unitSpread: 0.03, min: 0 },
    { name: 'vibration_rms_mm_s', unit: 'mm/s', description: 'frame velocity RMS', noise: 0.15, decimals: 2, unitSpread: 0.12, min: 0 },
    { name: 'ambient_temp_c', unit: '°C', description: 'compressor room temperature', noise: 0.2, decimals: 1 },
  ],
  regimes: [
    { name: 'off', weight: 1, meanDwellHours: 6, running: false, level: 0 },
    { name: 'light', weight: 2, meanDwellHours: 4, running: true, level: 0.3 },
    { name: 'medium', weight: 4, meanDwellHours: 6, running: true, level: 0.55 },
    { name: 'heavy', weight: 3, meanDwellHours: 4, running: true, level: 0.8 },
  ],
  failureModes: [
    {
      id: 'valve_wear',
      description: 'Suction/discharge valve plates and seats wear and leak: less air per stroke, hotter discharge, longer duty cycle',
      source: "Archard's wear law (impact and sliding wear of plate on seat): wear ∝ loaded strokes, i.e. linear in loaded hours",
      law: { kind: 'linear' },
      symptoms: ['duty_cycle_pct', 'discharge_temp_c', 'vibration_rms_mm_s', 'discharge_pressure_bar'],
      // Hot running (fouled coolers) softens the plates and coke deposits abrade them.
      rate: (op) => (dutyCycle(op) * (1 + 0.5 * damageOf(op, 'cooler_fouling'))) / 1500,
      initialDamageMax: 0.5,
      susceptibilitySpread: 0.3,
      pmRenewChance: 0.3,
      repairHours: 16,
    },
    {
      id: 'cooler_fouling',
      description: 'Intercooler/aftercooler fouling (oil carry-over, dust): heat transfer falls until the high-temperature trip',
      source:
        'Kern–Seaton asymptotic fouling model dRf/dt = (Rf∞ − Rf)/τ; 1/U = 1/U_clean + Rf, so approach and discharge temperatures rise with Rf. Damage 1 = high discharge temperature trip',
      law: { kind: 'asymptotic' },
      symptoms: ['discharge_temp_c', 'aftercooler_outlet_temp_c', 'oil_temp_c'],
      // Deposits come with the air flow.
      rate: (op) => dutyCycle(op) / 600,
      // Some units settle below the trip point and never fail from fouling.
      asymptote: (rng) => rng.uniform(0.95, 1.6),
      initialDamageMax: 0.3,
      susceptibilitySpread: 0.25,
      pmRenewChance: 0.35,
      repairHours: 8,
    },
  ],
  maintenance: { intervalHours: 1000, intervalSpread: 0.25, downtimeHours: 3 },
  sense(op) {
    const valve = damageOf(op, 'valve_wear');
    const fouling = damageOf(op, 'cooler_fouling');
    const duty = dutyCycle(op);
    // Demand the compressor cannot meet drains the receiver.
    const shortfall = op.running && op.level > 0 ? Math.max(0, op.level - capacity(op)) / op.level : 0;
    const amb = op.ambientC;
    return {
      demand_pct: op.level * 100,
      duty_cycle_pct: duty * 100,
      discharge_pressure_bar: op.running ? 9.25 - 6 * shortfall : 6.5,
      // Compression heat (T2 = T1·r^((k−1)/k)) rises when leaking valves recompress hot gas; a fouled intercooler feeds stage 2 hotter air.
      discharge_temp_c: amb + (op.running ? 125 * (0.55 + 0.45 * duty) * (1 + 0.35 * valve) + 60 * fouling : 0),
      // Approach temperature ∝ 1/UA, and fouling adds resistance.
      aftercooler_outlet_temp_c: amb + (op.running ? 8 * (0.5 + 0.5 * duty) * (1 + 3 * fouling) : 0),
      oil_temp_c: amb + (op.running ? 32 * (0.5 + 0.5 * duty) + 8 * fouling : 0),
      motor_current_a: op.running ? 24 + 44 * duty * (1 + 0.05 * valve) : 0,
      // Reciprocating machines run rough (ISO 10816-6); valve flutter and knock add to it.
      vibration_rms_mm_s: op.running ? 3.2 * (0.6 + 0.4 * duty) + 2.2 * valve * valve : 0.08,
      ambient_temp_c: amb,
    };
  },
};
