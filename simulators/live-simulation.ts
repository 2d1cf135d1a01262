import { telemetryTopic } from '../ingest/topics.ts';
import type { Clock } from '../platform/clock.ts';
import { type BadPayloadKind, transmitReading } from './device-payload.ts';
import type { EquipmentEvent } from './equipment-simulator.ts';
import type { FleetDevice, FleetUnit } from './fleet.ts';
import { deriveSeed, Rng } from './prng.ts';

/**
 * Runs a fleet in real time on an injected clock: every `intervalMs` each device advances its
 * physics by `intervalMs × speed` and sends one reading stamped with `clock.now()` and the next
 * `seq`. Sending goes through `send`, which waits while the transport's window is full; a device
 * waits with it (the simulation falls behind rather than piling up messages), then resumes on
 * its schedule without a catch-up burst.
 */

export interface OutgoingTelemetry {
  readonly deviceIndex: number;
  readonly topic: string;
  readonly payload: string;
}

export interface LiveSimulationOptions {
  readonly devices: readonly FleetDevice[];
  readonly clock: Clock;
  /** Resolves once the transport has taken the message (not when it is acknowledged). */
  send(message: OutgoingTelemetry): Promise<void>;
  /** Real milliseconds between two readings of one device. Default 1000. */
  readonly intervalMs?: number;
  /** Simulated seconds of equipment physics per real second. Default 1. */
  readonly speed?: number;
  /** Share of readings sent deliberately bad. Default 0.001. */
  readonly badRate?: number;
  /** Share of readings lost before sending (seq gaps). Default 0.005. */
  readonly dropoutRate?: number;
  /** Told of each failure, maintenance and repair. */
  onEvent?(unit: FleetUnit, event: EquipmentEvent): void;
  /** Told when `send` fails (the reading is then lost). */
  onSendError?(unit: FleetUnit, err: unknown): void;
}

export interface LiveSimulationStats {
  readings: number;
  sent: number;
  dropped: number;
  bad: Record<BadPayloadKind, number>;
  sendErrors: number;
  failures: number;
  maintenance: number;
  repairs: number;
}

interface Runner {
  readonly device: FleetDevice;
  readonly link: Rng;
  seq: number;
  ticks: number;
  nextDue: number;
  cancel: (() => void) | null;
  running: Promise<void> | null;
}

export class LiveSimulation {
  readonly stats: LiveSimulationStats = {
    readings: 0,
    sent: 0,
    dropped: 0,
    bad: { nan_string: 0, missing_ts: 0, malformed_json: 0, bad_metric_name: 0 },
    sendErrors: 0,
    failures: 0,
    maintenance: 0,
    repairs: 0,
  };
  private readonly runners: Runner[];
  private readonly intervalMs: number;
  private readonly simSecondsPerTick: number;
  private stopped = false;

  constructor(private readonly o: LiveSimulationOptions) {
    this.intervalMs = o.intervalMs ?? 1000;
    this.simSecondsPerTick = (this.intervalMs / 1000) * (o.speed ?? 1);
    this.runners = o.devices.map((device) => ({
      device,
      link: new Rng(deriveSeed(device.unit.seed, 'link')),
      seq: 0,
      ticks: 0,
      nextDue: 0,
      cancel: null,
      running: null,
    }));
  }

  start(): void {
    const now = this.o.clock.now();
    for (const r of this.runners) {
      // Each device keeps its own phase, so a fleet does not publish in lockstep.
      r.nextDue = now + Math.floor(r.link.next() * this.intervalMs);
      this.schedule(r);
    }
  }

  /** Stops scheduling and waits for readings already being sent (the transport's stop releases them). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.runners) {
      r.cancel?.();
      r.cancel = null;
    }
    await Promise.allSettled(this.runners.map((r) => r.running));
  }

  /** A technician services `device` now (see EquipmentSimulator.serviceVisit). False if unknown. */
  serviceVisit(device: string, modeIds: readonly string[], detail?: string): boolean {
    const r = this.runners.find((x) => x.device.unit.device === device);
    if (!r) return false;
    this.noteEvent(r.device.unit, r.device.simulator.serviceVisit(modeIds, detail));
    return true;
  }

  private schedule(r: Runner): void {
    if (this.stopped) return;
    const delay = Math.max(0, r.nextDue - this.o.clock.now());
    r.cancel = this.o.clock.setTimer(() => {
      r.cancel = null;
      r.running = this.tick(r).finally(() => {
        r.running = null;
        r.nextDue = Math.max(r.nextDue + this.intervalMs, this.o.clock.now());
        this.schedule(r);
      });
    }, delay);
  }

  private async tick(r: Runner): Promise<void> {
    const { unit, simulator } = r.device;
    if (r.ticks > 0) {
      for (const e of simulator.advance(this.simSecondsPerTick)) this.noteEvent(unit, e);
    }
    r.ticks++;
    r.seq++;
    this.stats.readings++;
    const reading = { ts: this.o.clock.now(), seq: r.seq, metrics: simulator.readMetrics() };
    const tx = transmitReading(reading, r.link, { dropoutRate: this.o.dropoutRate ?? 0.005, badRate: this.o.badRate ?? 0.001 });
    if (tx.kind === 'dropped') {
      this.stats.dropped++;
      return;
    }
    if (tx.bad) this.stats.bad[tx.bad]++;
    try {
      await this.o.send({ deviceIndex: unit.index, topic: telemetryTopic(unit), payload: tx.payload });
      this.stats.sent++;
    } catch (err) {
      // A reading turned away because we are stopping is not an error.
      if (this.stopped) return;
      this.stats.sendErrors++;
      this.o.onSendError?.(unit, err);
    }
  }

  private noteEvent(unit: FleetUnit, e: EquipmentEvent): void {
    if (e.kind === 'failure') this.stats.failures++;
    else if (e.kind === 'maintenance') this.stats.maintenance++;
    else this.stats.repairs++;
    this.o.onEvent?.(unit, e);
  }
}
