import { ambientTemperatureC } from './ambient-temperature.ts';
import { growDamage, hoursUntilFailure } from './degradation-laws.ts';
import type { EquipmentModel, FailureModeSpec, OperatingPoint, OperatingRegime } from './equipment-model.ts';
import { deriveSeed, Rng } from './prng.ts';

/**
 * One simulated machine through simulated time: regime changes, wear, failures, repairs and
 * preventive maintenance, and the readings its sensors give. Pure: it owns no timer and reads
 * no clock; the caller says how far to advance and when to read. Given the same seed and the
 * same sequence of calls it produces the same events and readings.
 */

export type EquipmentStatus = 'running' | 'failed' | 'maintenance';

/** The `state` metric: what the machine is doing when it reports. */
export const STATE_CODES = { running: 0, idle: 1, failed: 2, maintenance: 3 } as const;

export type EquipmentEventKind = 'failure' | 'maintenance' | 'repair';

export interface EquipmentEvent {
  /** Simulated time (ms since the epoch): for a failure, the moment damage reached 1.0. */
  readonly atMs: number;
  readonly kind: EquipmentEventKind;
  /** failure: the mode that failed; repair: the mode repaired; maintenance: the parts renewed (may be none). */
  readonly failureModes: readonly string[];
  readonly runHours: number;
  readonly detail: string;
}

export interface EquipmentSimulatorOptions {
  model: EquipmentModel;
  /** This unit's seed (derived per device from the fleet seed). */
  seed: number;
  /** Simulated time at the start, ms since the epoch. */
  startMs: number;
  /** The hour meter at the start. Default 0. */
  initialRunHours?: number;
  /** Mean air temperature at the site (°C). Default 20. */
  siteMeanC?: number;
  /**
   * Start late in the life of one failure mode: a developed defect set to fail after
   * {@link WORN_START_HOURS} of running, so a short demo shows predictions, tickets and visits.
   * Default false (histories and the live fleet start the usual way).
   */
  wornStart?: boolean;
}

/** Running hours to failure of a worn-start unit's failing mode, drawn uniformly. */
export const WORN_START_HOURS: readonly [number, number] = [150, 450];

/** Longest step taken at once: resolves regime dwell and maintenance timing to 15 simulated minutes. */
const MAX_STEP_H = 0.25;
const EPSILON_H = 1e-9;
/** Set-point jitter within a regime (relative σ). */
const LEVEL_JITTER = 0.03;

interface ModeState {
  readonly spec: FailureModeSpec;
  damage: number;
  /** Initiation life left (hours at reference conditions); 0 once a defect exists or for modes without initiation. */
  initiationLeft: number;
  susceptibility: number;
  readonly asymptote: number;
}

export class EquipmentSimulator {
  readonly model: EquipmentModel;
  private simMs: number;
  private hours: number;
  private state: EquipmentStatus = 'running';
  private downtimeLeftH = 0;
  private downtimeTotalH = 0;
  private failedMode: ModeState | null = null;
  private regime: OperatingRegime;
  private regimeLeftH: number;
  private level: number;
  private nextPmAtH: number;
  private readonly modes: ModeState[];
  private readonly bias: ReadonlyMap<string, number>;
  private readonly lagged = new Map<string, number>();
  private readonly siteMeanC: number;
  /** Regimes, initiation lives, maintenance and repairs. */
  private readonly life: Rng;
  /** Measurement noise only, so reading more or less often never changes the physics. */
  private readonly noise: Rng;

  constructor(o: EquipmentSimulatorOptions) {
    this.model = o.model;
    this.simMs = o.startMs;
    this.hours = o.initialRunHours ?? 0;
    this.siteMeanC = o.siteMeanC ?? 20;
    const unit = new Rng(deriveSeed(o.seed, 'unit'));
    this.life = new Rng(deriveSeed(o.seed, 'life'));
    this.noise = new Rng(deriveSeed(o.seed, 'noise'));

    const bias = new Map<string, number>();
    for (const s of o.model.sensors) bias.set(s.name, 1 + (s.unitSpread ?? 0) * unit.normal());
    this.bias = bias;

    this.modes = o.model.failureModes.map((spec) => {
      const susceptibility = Math.exp(spec.susceptibilitySpread * unit.normal());
      const asymptote = spec.asymptote ? spec.asymptote(unit) : Infinity;
      // Units start part-way through their life since the last overhaul, so the fleet does not fail in step.
      const initiationLeft = spec.initiation ? unit.weibull(spec.initiation.shape, spec.initiation.scaleHours) * unit.uniform(0.3, 1) : 0;
      const damage = spec.initiation ? 0 : Math.min(unit.uniform(0, spec.initialDamageMax ?? 0), 0.9 * asymptote);
      return { spec, damage, initiationLeft, susceptibility, asymptote };
    });

    if (o.wornStart) this.wearOneMode(new Rng(deriveSeed(o.seed, 'worn')));
    this.nextPmAtH = this.hours + this.drawPmInterval() * unit.uniform(0.1, 1);
    this.regime = o.model.regimes[0]!;
    this.regimeLeftH = 0;
    this.level = 0;
    this.enterRegime();
    const steady = o.model.sense(this.operatingPoint());
    for (const s of o.model.sensors) if (s.lagSeconds) this.lagged.set(s.name, steady[s.name] ?? 0);
  }

  get simTimeMs(): number {
    return this.simMs;
  }

  /** The hour meter: simulated hours the machine has run. */
  get runHours(): number {
    return this.hours;
  }

  get status(): EquipmentStatus {
    return this.state;
  }

  get stateCode(): number {
    if (this.state === 'failed') return STATE_CODES.failed;
    if (this.state === 'maintenance') return STATE_CODES.maintenance;
    return this.regime.running ? STATE_CODES.running : STATE_CODES.idle;
  }

  /** Ground truth: damage per failure mode (0 new … 1 failed). Real equipment cannot report this. */
  damage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.modes) out[m.spec.id] = m.damage;
    return out;
  }

  /** Moves simulated time forward; returns what happened, in time order. */
  advance(seconds: number): EquipmentEvent[] {
    const events: EquipmentEvent[] = [];
    let left = seconds / 3600;
    while (left > EPSILON_H) {
      if (this.state === 'running' && this.regime.running && this.hours >= this.nextPmAtH - EPSILON_H) {
        this.startMaintenance(events);
        continue;
      }
      let step = Math.min(left, MAX_STEP_H);
      if (this.state === 'running') {
        step = Math.min(step, this.regimeLeftH);
        if (this.regime.running) step = Math.min(step, this.nextPmAtH - this.hours);
      } else {
        step = Math.min(step, this.downtimeLeftH);
      }
      step = Math.max(step, EPSILON_H);

      const op = this.operatingPoint();
      let failed: ModeState | null = null;
      if (op.running) {
        const rates = this.modes.map((m) => m.spec.rate(op) * m.susceptibility);
        // Stop the step at the first failure, so the event carries the moment damage hit 1.0.
        for (let i = 0; i < this.modes.length; i++) {
          const m = this.modes[i]!;
          if (m.initiationLeft > 0) continue;
          const t = hoursUntilFailure(m.spec.law, m.damage, rates[i]!, m.asymptote);
          if (t !== null && t < step) {
            step = Math.max(t, 0);
            failed = m;
          }
        }
        for (let i = 0; i < this.modes.length; i++) this.grow(this.modes[i]!, rates[i]!, op, step);
        this.hours += step;
      }
      this.simMs += step * 3_600_000;
      left -= step;
      this.coolOrHeat(op, step * 3600);

      if (failed) {
        this.fail(failed, events);
      } else if (this.state === 'running') {
        this.regimeLeftH -= step;
        if (this.regimeLeftH <= EPSILON_H) this.enterRegime();
      } else {
        this.downtimeLeftH -= step;
        if (this.downtimeLeftH <= EPSILON_H) this.returnToService(events);
      }
    }
    return events;
  }

  /** One reading of every sensor, with noise, plus `run_hours` and `state`. */
  readMetrics(): Record<string, number> {
    const steady = this.model.sense(this.operatingPoint());
    const metrics: Record<string, number> = {};
    for (const s of this.model.sensors) {
      const truth = (s.lagSeconds ? this.lagged.get(s.name) : steady[s.name]) ?? 0;
      let v = truth * (this.bias.get(s.name) ?? 1) + s.noise * this.noise.normal();
      // A stopped shaft, no flow, no current: the transmitter reads a clean zero.
      if (truth === 0 && s.min === 0) v = 0;
      if (s.min !== undefined) v = Math.max(s.min, v);
      if (s.max !== undefined) v = Math.min(s.max, v);
      metrics[s.name] = round(v, s.decimals);
    }
    metrics.run_hours = round(this.hours, 3);
    metrics.state = this.stateCode;
    return metrics;
  }

  private operatingPoint(): OperatingPoint {
    const running = this.state === 'running' && this.regime.running;
    return {
      running,
      level: running ? this.level : 0,
      ambientC: ambientTemperatureC(this.simMs, this.siteMeanC),
      damage: this.damage(),
    };
  }

  /**
   * One mode (any that can reach failure) gets a developed defect whose damage leaves about
   * `hours` of running at full load before failure (solved on the mode's own law by bisection).
   */
  private wearOneMode(rng: Rng): void {
    const candidates = this.modes.filter((m) => m.asymptote > 1);
    if (candidates.length === 0) return;
    const m = candidates[Math.min(candidates.length - 1, Math.floor(rng.uniform(0, candidates.length)))]!;
    const hours = rng.uniform(WORN_START_HOURS[0], WORN_START_HOURS[1]);
    const op: OperatingPoint = { running: true, level: 1, ambientC: this.siteMeanC, damage: {} };
    const rate = m.spec.rate(op) * m.susceptibility;
    let [lo, hi] = [m.spec.initiation?.seedDamage ?? 0.01, 0.999];
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      const left = hoursUntilFailure(m.spec.law, mid, rate, m.asymptote);
      if (left === null || left > hours) lo = mid;
      else hi = mid;
    }
    m.initiationLeft = 0;
    m.damage = lo;
  }

  private grow(m: ModeState, rate: number, op: OperatingPoint, hours: number): void {
    const init = m.spec.initiation;
    if (init && m.initiationLeft > 0) {
      m.initiationLeft -= init.rate(op) * m.susceptibility * hours;
      // A defect is born: the rest of this short step is not worth resolving.
      if (m.initiationLeft <= 0) {
        m.initiationLeft = 0;
        m.damage = init.seedDamage;
      }
      return;
    }
    m.damage = growDamage(m.spec.law, m.damage, rate, hours, m.asymptote).damage;
  }

  private coolOrHeat(op: OperatingPoint, seconds: number): void {
    const steady = this.model.sense(op);
    for (const s of this.model.sensors) {
      if (!s.lagSeconds) continue;
      const target = steady[s.name] ?? 0;
      const current = this.lagged.get(s.name) ?? target;
      // Exact first-order response: the same curve whatever the step.
      this.lagged.set(s.name, target + (current - target) * Math.exp(-seconds / s.lagSeconds));
    }
  }

  private enterRegime(): void {
    const regimes = this.model.regimes;
    this.regime = regimes[this.life.pickWeighted(regimes.map((r) => r.weight))]!;
    this.regimeLeftH = this.life.exponential(this.regime.meanDwellHours);
    this.level = Math.max(0, this.regime.level * (1 + LEVEL_JITTER * this.life.normal()));
  }

  private fail(m: ModeState, events: EquipmentEvent[]): void {
    m.damage = 1;
    this.state = 'failed';
    this.failedMode = m;
    this.downtimeTotalH = this.life.lognormal(m.spec.repairHours, 0.4);
    this.downtimeLeftH = this.downtimeTotalH;
    events.push({
      atMs: Math.round(this.simMs),
      kind: 'failure',
      failureModes: [m.spec.id],
      runHours: this.hours,
      detail: `${m.spec.id} damage reached 1.0`,
    });
  }

  private startMaintenance(events: EquipmentEvent[]): void {
    const renewed: string[] = [];
    const found: string[] = [];
    for (const m of this.modes) {
      // Some parts are replaced on schedule; others when they look worn, and wear shows late (hence D²).
      if (this.life.chance(Math.min(1, m.spec.pmRenewChance + m.damage * m.damage))) {
        renewed.push(m.spec.id);
        found.push(`${m.spec.id} at damage ${m.damage.toFixed(2)}`);
        this.renew(m);
      }
    }
    this.state = 'maintenance';
    this.downtimeTotalH = this.model.maintenance.downtimeHours * this.life.uniform(0.75, 1.5);
    this.downtimeLeftH = this.downtimeTotalH;
    this.nextPmAtH = this.hours + this.drawPmInterval();
    events.push({
      atMs: Math.round(this.simMs),
      kind: 'maintenance',
      failureModes: renewed,
      runHours: this.hours,
      detail: `preventive maintenance, ${this.downtimeTotalH.toFixed(1)} h; renewed: ${found.length ? found.join(', ') : 'nothing'}`,
    });
  }

  /**
   * A technician's visit from outside the simulation (a booked prognos visit): the named parts
   * are renewed now and the machine is down for the plan's maintenance time. A failed machine
   * is repaired as well. Unknown mode ids are ignored; the event says what was renewed.
   */
  serviceVisit(modeIds: readonly string[], detail = 'service visit'): EquipmentEvent {
    const renewed: string[] = [];
    for (const m of this.modes) {
      if (modeIds.includes(m.spec.id) || this.failedMode === m) {
        renewed.push(m.spec.id);
        this.renew(m);
      }
    }
    this.failedMode = null;
    this.state = 'maintenance';
    this.downtimeTotalH = this.model.maintenance.downtimeHours;
    this.downtimeLeftH = this.downtimeTotalH;
    this.nextPmAtH = this.hours + this.drawPmInterval();
    return {
      atMs: Math.round(this.simMs),
      kind: 'maintenance',
      failureModes: renewed,
      runHours: this.hours,
      detail: `${detail}; renewed: ${renewed.length ? renewed.join(', ') : 'nothing'}`,
    };
  }

  private returnToService(events: EquipmentEvent[]): void {
    const failed = this.failedMode;
    if (this.state === 'failed' && failed) {
      this.renew(failed);
      events.push({
        atMs: Math.round(this.simMs),
        kind: 'repair',
        failureModes: [failed.spec.id],
        runHours: this.hours,
        detail: `corrective repair after ${this.downtimeTotalH.toFixed(1)} h down; renewed ${failed.spec.id}`,
      });
    }
    this.failedMode = null;
    this.state = 'running';
    this.downtimeLeftH = 0;
    this.enterRegime();
  }

  /** A new part: no damage, a fresh initiation life and its own manufacturing spread. */
  private renew(m: ModeState): void {
    m.damage = 0;
    m.initiationLeft = m.spec.initiation ? this.life.weibull(m.spec.initiation.shape, m.spec.initiation.scaleHours) : 0;
    m.susceptibility = Math.exp(m.spec.susceptibilitySpread * this.life.normal());
  }

  private drawPmInterval(): number {
    const plan = this.model.maintenance;
    return Math.max(0.2, 1 + plan.intervalSpread * this.life.normal()) * plan.intervalHours;
  }
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
