import type { DamageLaw } from './degradation-laws.ts';
import type { Rng } from './prng.ts';

/**
 * What an equipment type is to the simulator: its sensors, its operating regimes, its failure
 * modes and how the sensors answer an operating point. The three types live in their own files
 * (`centrifugal-pump.ts`, `air-compressor.ts`, `motor-gearbox.ts`); they are plain data plus
 * pure functions, and `equipment-simulator.ts` drives them through time.
 */

export const EQUIPMENT_TYPES = ['centrifugal_pump', 'air_compressor', 'motor_gearbox'] as const;
export type EquipmentType = (typeof EQUIPMENT_TYPES)[number];

export interface SensorSpec {
  /** Metric name in the payload (a valid InfluxDB field key). */
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  /** σ of the measurement noise, in the sensor's unit. */
  readonly noise: number;
  /** Digits after the decimal point the sensor reports. */
  readonly decimals: number;
  /** σ of a per-unit multiplicative bias (mounting, calibration, unit-to-unit spread). Default 0. */
  readonly unitSpread?: number;
  /** Time constant (s) of a first-order thermal lag towards the steady state. Default: none. */
  readonly lagSeconds?: number;
  /** The sensor never reads below this (flows, currents). Default: no floor. */
  readonly min?: number;
  /** The sensor never reads above this (percentages). Default: no ceiling. */
  readonly max?: number;
}

/** An operating regime the process puts the machine in; the machine dwells in it a random while. */
export interface OperatingRegime {
  readonly name: string;
  /** Relative frequency with which this regime is chosen next. */
  readonly weight: number;
  /** Mean dwell (simulated hours, exponentially distributed). */
  readonly meanDwellHours: number;
  /** False while the process keeps the machine stopped: the hour meter and wear stand still. */
  readonly running: boolean;
  /** The operating point as a fraction of rated (speed, load or air demand; see the model). */
  readonly level: number;
}

/** Everything the sensors and wear rates depend on at one moment. */
export interface OperatingPoint {
  /** True when the regime runs the machine and it is neither failed nor in maintenance. */
  readonly running: boolean;
  /** The regime's level with this dwell's small set-point jitter; 0 while not running. */
  readonly level: number;
  readonly ambientC: number;
  /** Damage per failure mode id, 0 (new) … 1 (failed). */
  readonly damage: Readonly<Record<string, number>>;
}

/** A hidden initiation phase: no defect yet, the part is using up its fatigue life. */
export interface InitiationSpec {
  /** Weibull shape β and scale η (hours at reference conditions) of the initiation life. */
  readonly shape: number;
  readonly scaleHours: number;
  /** Initiation life used per running hour at this operating point (1 = reference conditions). */
  rate(op: OperatingPoint): number;
  /** Damage of the freshly initiated defect. */
  readonly seedDamage: number;
}

export interface FailureModeSpec {
  readonly id: string;
  readonly description: string;
  /** Where the degradation law's form comes from (physical law, standard). */
  readonly source: string;
  readonly law: DamageLaw;
  /** Sensors that move with this damage. */
  readonly symptoms: readonly string[];
  /** The law's rate r (per running hour) at this operating point, before the unit's susceptibility. */
  rate(op: OperatingPoint): number;
  readonly initiation?: InitiationSpec;
  /** A unit starts with damage drawn uniformly from [0, this] (its age since the last overhaul). Default 0. */
  readonly initialDamageMax?: number;
  /** Per-unit asymptote D∞ for `asymptotic` laws. */
  asymptote?(rng: Rng): number;
  /** σ of the per-unit log-normal susceptibility multiplying the rate (manufacturing spread). */
  readonly susceptibilitySpread: number;
  /** Chance that a preventive maintenance visit renews this part when it looks new; damage D adds D². */
  readonly pmRenewChance: number;
  /** Median downtime (hours) to repair this failure (log-normal, σ 0.4). */
  readonly repairHours: number;
}

export interface MaintenancePlan {
  /** Mean running hours between preventive maintenance visits. */
  readonly intervalHours: number;
  /** Relative σ of each interval (visits are not exactly on schedule). */
  readonly intervalSpread: number;
  /** Downtime (hours) of one visit. */
  readonly downtimeHours: number;
}

export interface EquipmentModel {
  readonly type: EquipmentType;
  /** Make and model written to fleet.json. */
  readonly model: string;
  readonly description: string;
  /** The sensor that exposes the operating regime, so models can normalise by it. */
  readonly regimeMetric: string;
  readonly sensors: readonly SensorSpec[];
  readonly regimes: readonly OperatingRegime[];
  readonly failureModes: readonly FailureModeSpec[];
  readonly maintenance: MaintenancePlan;
  /** Noise-free steady-state sensor values at an operating point (before thermal lag and bias). */
  sense(op: OperatingPoint): Record<string, number>;
}

/** A failure mode's damage at an operating point (0 when the mode is unknown). */
export function damageOf(op: OperatingPoint, modeId: string): number {
  return op.damage[modeId] ?? 0;
}
