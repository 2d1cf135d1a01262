import { join } from 'node:path';
import { BundleScorer } from '../../models/bundle-scorer.ts';
import { type FeatureSource, streamingFeatureSource } from '../../models/feature-source.ts';
import type { Prediction } from '../../models/prediction.ts';
import type { EquipmentType } from '../../simulators/equipment-model.ts';
import type { EquipmentEvent, EquipmentSimulator } from '../../simulators/equipment-simulator.ts';
import { type FleetUnit, fleetUnit, simulatorFor } from '../../simulators/fleet.ts';

const DEFAULT_MODELS = join(import.meta.dirname, '../../models/default');
const READ_EVERY_MS = 10 * 60_000;

/**
 * One simulated machine scored the way the service scores it: the simulator's physics, a
 * reading every 10 simulated minutes through the streaming feature extractor, and the shipped
 * default model bundle (BundleScorer: ONNX risk and RUL, TreeSHAP evidence) every `scoreEveryMs`.
 * Stands in for MQTT → ingest → scoring, which other tests cover.
 */
export class SimulatedDevice {
  readonly unit: FleetUnit;
  readonly sim: EquipmentSimulator;
  readonly events: EquipmentEvent[] = [];
  private readonly features: FeatureSource = streamingFeatureSource();
  private simMs: number;
  private lastScored = Number.NEGATIVE_INFINITY;
  /** Services performed (the technician's visits). */
  readonly services: { atMs: number; modes: string[] }[] = [];

  private constructor(
    readonly tenant: string,
    o: { seed: number; index: number; type: EquipmentType; startMs: number },
    private readonly scorer: BundleScorer,
    private readonly scoreEveryMs: number,
  ) {
    this.unit = fleetUnit({ tenant, devices: o.index + 1, seed: o.seed, startMs: o.startMs, types: [o.type] }, o.index);
    this.sim = simulatorFor(this.unit, o.startMs);
    this.simMs = o.startMs;
  }

  static async create(tenant: string, o: { seed: number; index: number; type: EquipmentType; startMs: number; scoreEveryMs?: number }): Promise<SimulatedDevice> {
    const scorer = await BundleScorer.load(join(DEFAULT_MODELS, o.type), { explain: 'above_threshold' });
    return new SimulatedDevice(tenant, o, scorer, o.scoreEveryMs ?? 30 * 60_000);
  }

  /** When the unserviced machine would first fail, and of what (a twin run of the same physics). */
  static firstFailure(o: { seed: number; index: number; type: EquipmentType; startMs: number }, withinMs: number): EquipmentEvent | null {
    const unit = fleetUnit({ tenant: 'twin', devices: o.index + 1, seed: o.seed, startMs: o.startMs, types: [o.type] }, o.index);
    const twin = simulatorFor(unit, o.startMs);
    for (let t = 0; t < withinMs; t += READ_EVERY_MS) {
      const f = twin.advance(READ_EVERY_MS / 1000).find((e) => e.kind === 'failure');
      if (f) return f;
    }
    return null;
  }

  get device(): string {
    return this.unit.device;
  }

  get now(): number {
    return this.simMs;
  }

  /** Runs the machine to `untilMs`, reading every 10 minutes; scores on the way when `score`. */
  async runTo(untilMs: number, score = true): Promise<Prediction[]> {
    const out: Prediction[] = [];
    while (this.simMs + READ_EVERY_MS <= untilMs) {
      this.events.push(...this.sim.advance(READ_EVERY_MS / 1000));
      this.simMs += READ_EVERY_MS;
      this.features.update(this.tenant, this.device, this.unit.type, { ts: this.simMs, metrics: this.sim.readMetrics() });
      if (score && this.simMs - this.lastScored >= this.scoreEveryMs) {
        this.lastScored = this.simMs;
        const [p] = await this.scorer.score([{ tenant: this.tenant, device: this.device, vector: this.features.vector(this.tenant, this.device)! }]);
        out.push(p!);
      }
    }
    return out;
  }

  /** A technician renews the parts of `modes` now. */
  service(modes: readonly string[]): void {
    this.services.push({ atMs: this.simMs, modes: [...modes] });
    this.events.push(this.sim.serviceVisit(modes, 'e2e technician'));
  }

  close(): Promise<void> {
    return this.scorer.close();
  }
}
