import { fatigueLifeConsumption, montsingerAgeingFactor } from './degradation-laws.ts';
import { damageOf, type EquipmentModel, type OperatingPoint } from './equipment-model.ts';

/**
 * A conveyor drive: 30 kW 4-pole induction motor (class F insulation) on a 20:1 helical
 * gearbox. The regime is the load (torque as % of rated, from the drive); current, winding
 * temperature and gear-mesh vibration all scale with it.
 *
 * Lifetimes are compressed (insulation ~×250, gears ~×20 against the field) so failures happen
 * within weeks of simulated time; the shapes are the physical ones.
 */

const MAGNETISING_A = 21;
const TORQUE_A_AT_RATED = 54;
const RATED_A = Math.hypot(MAGNETISING_A, TORQUE_A_AT_RATED);
const CLASS_F_C = 155;
/** Hot-spot allowance over the average (resistance-method) winding temperature. */
const HOT_SPOT_K = 10;
/** Insulation life at the class temperature, compressed from the field's ~20 000 h. */
const INSULATION_LIFE_AT_CLASS_H = 80;

function motorCurrent(op: OperatingPoint): number {
  if (!op.running) return 0;
  const torque = TORQUE_A_AT_RATED * op.level * (1 + 0.05 * damageOf(op, 'gear_wear'));
  // Degraded insulation lets turn-to-turn leakage currents circulate.
  const insulation = damageOf(op, 'winding_insulation');
  return Math.hypot(MAGNETISING_A, torque) * (1 + 0.1 * insulation * insulation);
}

/** Average winding temperature at steady state: copper losses ∝ I² (class F rise 95 K at rated current). */
function windingTempC(op: OperatingPoint): number {
  const insulation = damageOf(op, 'winding_insulation');
  return op.ambientC + (op.running ? 95 * Math.pow(motorCurrent(op) / RATED_A, 2) + 12 * insulation * insulation : 0);
}

export const motorGearbox: EquipmentModel = {
  type: 'motor_gearbox',
  model: 'Prognos MG-30 (30 kW 4-pole motor, helical gearbox 20:1)',
  description: 'Induction motor with a helical reduction gearbox driving a conveyor',
  regimeMetric: 'load_pct',
  sensors: [
    { name: 'load_pct', unit: '%', description: 'torque as % of rated, from the drive (the regime)', noise: 1, decimals: 1, min: 0 },
    { name: 'speed_rpm', unit: 'rpm', description: 'motor shaft speed (slip grows with load)', noise: 1.5, decimals: 0, min: 0 },
    { name: 'motor_current_a', unit: 'A', description: 'motor phase current', noise: 0.5, decimals: 1, unitSpread: 0.03, min: 0 },
    { name: 'winding_temp_c', unit: '°C', description: 'stator winding temperature (embedded PT100)', noise: 0.4, decimals: 1, lagSeconds: 2400 },
    { name: 'gear_mesh_vib_g', unit: 'g', description: 'acceleration amplitude in the gear-mesh frequency band', noise: 0.02, decimals: 3, unitSpread: 0.1, min: 0 },
    { name: 'vibration_rms_mm_s', unit: 'mm/s', description: 'gearbox housing velocity RMS, 10–1000 Hz', noise: 0.07, decimals: 2, unitSpread: 0.1, min: 0 },
    { name: 'oil_temp_c', unit: '°C', description: 'gearbox sump oil temperature', noise: 0.3, decimals: 1, lagSeconds: 3600 },
    { name: 'oil_debris_ppm', unit: 'ppm', description: 'ferrous debris concentration in the gear oil (inline sensor)', noise: 1.5, decimals: 1, min: 0 },
    { name: 'ambient_temp_c', unit: '°C', description: 'ambient temperature at the drive', noise: 0.2, decimals: 1 },
  ],
  regimes: [
    { name: 'stopped', weight: 1, meanDwellHours: 4, running: false, level: 0 },
    { name: 'idle', weight: 1.5, meanDwellHours: 2, running: true, level: 0.15 },
    { name: 'partial', weight: 3, meanDwellHours: 6, running: true, level: 0.5 },
    { name: 'full', weight: 3, meanDwellHours: 6, running: true, level: 0.85 },
    { name: 'overload', weight: 0.5, meanDwellHours: 1, running: true, level: 1.08 },
  ],
  failureModes: [
    {
      id: 'winding_insulation',
      description: 'Stator insulation thermal ageing until a turn-to-turn or ground fault',
      source:
        "Arrhenius thermal ageing in Montsinger's form (life halves per 10 K, IEEE Std 117 / IEC 60034-18-21), summed with Miner's rule; hot spot = winding + 10 K against class F 155 °C",
      law: { kind: 'linear' },
      symptoms: ['motor_current_a', 'winding_temp_c'],
      rate: (op) => (op.running ? montsingerAgeingFactor(windingTempC(op) + HOT_SPOT_K, CLASS_F_C) / INSULATION_LIFE_AT_CLASS_H : 0),
      initialDamageMax: 0.4,
      susceptibilitySpread: 0.2,
      pmRenewChance: 0.05,
      repairHours: 48,
    },
    {
      id: 'gear_wear',
      description: 'Sliding wear of the gear tooth flanks: profile error raises mesh vibration, oil carries the debris',
      source: "Archard's wear law V = k·F·s/H: tooth load ∝ torque, sliding distance ∝ speed, so wear rate ∝ load × speed",
      law: { kind: 'linear' },
      symptoms: ['gear_mesh_vib_g', 'oil_debris_ppm', 'oil_temp_c', 'vibration_rms_mm_s'],
      rate: (op) => (op.running ? op.level : 0) / 1400,
      initialDamageMax: 0.5,
      susceptibilitySpread: 0.3,
      pmRenewChance: 0.15,
      repairHours: 36,
    },
    {
      id: 'gear_tooth_crack',
      description: 'Bending-fatigue crack at a tooth root, growing until the tooth breaks',
      source:
        "Initiation: Basquin S–N fatigue, life used ∝ torque^6 (Weibull β 2). Growth: Paris' law da/dN = C·ΔK^m, m = 3, ΔK ∝ torque·√a ⇒ dD/dt ∝ torque³·D^1.5",
      law: { kind: 'power', exponent: 1.5 },
      symptoms: ['gear_mesh_vib_g', 'vibration_rms_mm_s', 'oil_debris_ppm'],
      initiation: {
        shape: 2,
        scaleHours: 2500,
        rate: (op) => (op.running ? fatigueLifeConsumption(1, op.level / 0.85, 6) : 0),
        seedDamage: 0.05,
      },
      // ~125 h from seed to a broken tooth at full load.
      rate: (op) => (op.running ? 0.055 * Math.pow(op.level / 0.85, 3) : 0),
      susceptibilitySpread: 0.3,
      pmRenewChance: 0.05,
      repairHours: 72,
    },
  ],
  maintenance: { intervalHours: 1200, intervalSpread: 0.25, downtimeHours: 6 },
  sense(op) {
    const L = op.running ? op.level : 0;
    const wear = damageOf(op, 'gear_wear');
    const crack = damageOf(op, 'gear_tooth_crack');
    return {
      load_pct: L * 100,
      speed_rpm: op.running ? 1500 - 22 * L : 0,
      motor_current_a: motorCurrent(op),
      winding_temp_c: windingTempC(op),
      // Worn profiles raise transmission error at the mesh frequency; a cracked tooth adds a once-per-rev impact.
      gear_mesh_vib_g: op.running ? (0.25 + 0.35 * L) * (1 + 3.5 * Math.pow(wear, 1.3)) + 2 * crack * crack : 0.01,
      // ISO 10816-3 group 2: healthy ~1.3 mm/s (zone A/B), a breaking tooth drives it into zone D.
      vibration_rms_mm_s: op.running ? 1.3 * (0.5 + 0.5 * L) + 1.1 * wear + 4.2 * crack * crack : 0.05,
      oil_temp_c: op.ambientC + (op.running ? 30 * (0.3 + 0.7 * L) * (1 + 0.35 * wear) : 0),
      // The oil carries the worn metal whether or not the drive turns.
      oil_debris_ppm: 6 + 150 * Math.pow(wear, 1.5) + 80 * Math.pow(crack, 3),
      ambient_temp_c: op.ambientC,
    };
  },
};
