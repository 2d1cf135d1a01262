/**
 * Online scoring: readings in (ingest's `onReadings` hook), predictions out. Per device it folds
 * each reading into the feature state, and when the device is due (every `everyMs` of device
 * time, or every `everyReadings` readings) queues it; queued devices are scored together in
 * micro-batches per equipment type with the bundle active at that moment, written to InfluxDB,
 * fed to the drift monitor and handed to `onPrediction` listeners (alerts).
 *
 * Feature windows survive a restart: dirty states are saved to `feature_state` every
 * `persistEveryMs` and on stop, and restored on start. A device's equipment type comes from the
 * fleet registry (`devices`); readings of an unregistered device are dropped (and counted) until
 * it is registered.
 */
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Db } from '../platform/sql/database.ts';
import type { BundleScorer } from './bundle-scorer.ts';
import type { DriftMonitor } from './drift-monitor.ts';
import { keyOf, type FeatureSource, type SourceReading } from './feature-source.ts';
import type { Prediction } from './prediction.ts';
import type { PredictionWriter } from './prediction-writer.ts';

export interface ScoringServiceOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly features: FeatureSource;
  /** The bundle serving each equipment type now (a `LiveModels`). */
  readonly models: { current(equipmentType: string): BundleScorer | undefined };
  /** Where predictions are stored; omitted = not stored (listeners still get them). */
  readonly writer?: PredictionWriter;
  readonly drift?: DriftMonitor;
  /** A device's equipment type, null when it is not registered. Default: the `devices` table. */
  readonly equipmentTypeOf?: (tenant: string, device: string) => Promise<string | null>;
  /** Device-time ms between two predictions of one device. Default 900 000 (15 min). */
  readonly everyMs?: number;
  /** Also score after this many readings of a device, whatever the time. Default: off. */
  readonly everyReadings?: number;
  /** Queued devices that make a full batch (scored at once). Default 256. */
  readonly maxBatch?: number;
  /** Longest a queued device waits for company, in clock ms. Default 1000. */
  readonly flushMs?: number;
  /** How often changed feature states are saved, in clock ms. Default 60 000. */
  readonly persistEveryMs?: number;
  /** How long an unregistered device is remembered as such before asking again, in clock ms. Default 60 000. */
  readonly unknownDeviceRetryMs?: number;
}

export type PredictionListener = (p: Prediction) => void;

export interface ScoringStats {
  readings: number;
  predictions: number;
  insufficient: number;
  batches: number;
  /** Readings of devices the registry does not know. */
  unknownDeviceReadings: number;
  /** Due devices not scored because their equipment type has no active model. */
  noModel: number;
  failedBatches: number;
  /** Readings the feature math refused (an equipment type it has no spec for). */
  featureErrors: number;
  persisted: number;
}

interface DeviceCadence {
  lastScoredTs: number;
  readingsSince: number;
}

/** Readings that wait for a device's equipment type to be looked up. */
const MAX_PENDING_PER_DEVICE = 10_000;
const PERSIST_CHUNK = 50;

export class ScoringService {
  readonly stats: ScoringStats = { readings: 0, predictions: 0, insufficient: 0, batches: 0, unknownDeviceReadings: 0, noModel: 0, failedBatches: 0, featureErrors: 0, persisted: 0 };
  private readonly listeners = new Set<PredictionListener>();
  /** Equipment type per device; null = not registered (until `unknownSince` + retry). */
  private readonly types = new Map<string, string | null>();
  private readonly unknownSince = new Map<string, number>();
  private readonly pending = new Map<string, { tenant: string; device: string; readings: SourceReading[] }>();
  private readonly cadence = new Map<string, DeviceCadence>();
  private queue = new Map<string, { tenant: string; device: string; equipmentType: string }>();
  private readonly dirty = new Set<string>();
  private readonly work = new Set<Promise<unknown>>();
  private cancelFlush: (() => void) | undefined;
  private cancelPersist: (() => void) | undefined;
  private persisting: Promise<void> | undefined;
  private readonly missingModelLogged = new Set<string>();
  private running = false;

  constructor(private readonly o: ScoringServiceOptions) {}

  /** Restores saved feature states, then starts the periodic save. */
  async start(): Promise<void> {
    const rows = await this.o.db.selectFrom('feature_state').selectAll().execute();
    let restored = 0;
    for (const r of rows) {
      try {
        this.o.features.restore({ tenant: r.tenant, device: r.device, equipmentType: r.equipment_type, state: r.state });
        restored++;
      } catch (err) {
        // A state of an older format is dropped: the window refills from new readings.
        this.o.logger.warn({ err, tenant: r.tenant, device: r.device }, 'saved feature state not restored');
      }
    }
    this.o.logger.info({ restored, saved: rows.length }, 'feature windows restored');
    this.running = true;
    this.schedulePersist();
  }

  /** Scores what is queued, waits for batches in flight, saves every changed state. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelPersist?.();
    this.cancelFlush?.();
    await this.settle();
    await this.flush();
    await this.persist();
  }

  /** Resolves when the work started so far (look-ups, batches, saves) is done. */
  async settle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Adds a listener for every prediction (ok and insufficient_data); returns its remover. */
  onPrediction(listener: PredictionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Ingest's hook (`IngestPipelineDeps.onReadings`): readings that are already durable, of one
   * device, oldest first. Never throws; the work it starts is awaited by {@link stop}.
   */
  readonly onReadings = (ref: { tenant: string; device: string }, readings: readonly SourceReading[]): void => {
    const key = keyOf(ref.tenant, ref.device);
    const type = this.types.get(key);
    if (typeof type === 'string') return this.fold(key, ref.tenant, ref.device, type, readings);
    if (type === null && this.o.clock.now() - (this.unknownSince.get(key) ?? 0) < (this.o.unknownDeviceRetryMs ?? 60_000)) {
      this.stats.unknownDeviceReadings += readings.length;
      return;
    }
    let waiting = this.pending.get(key);
    if (waiting) {
      if (waiting.readings.length + readings.length <= MAX_PENDING_PER_DEVICE) waiting.readings.push(...readings);
      return;
    }
    this.pending.set(key, (waiting = { tenant: ref.tenant, device: ref.device, readings: [...readings] }));
    this.track(this.lookUp(key, waiting));
  };

  /** Scores every queued device now (a partial batch too). Resolves when those predictions are out. */
  flush(): Promise<void> {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    if (this.queue.size === 0) return Promise.resolve();
    const due = this.queue;
    this.queue = new Map();
    const byType = new Map<string, { tenant: string; device: string }[]>();
    for (const d of due.values()) {
      let list = byType.get(d.equipmentType);
      if (!list) byType.set(d.equipmentType, (list = []));
      list.push(d);
    }
    const batches = [...byType].map(([type, list]) =>
      this.scoreType(type, list).catch((err: unknown) => {
        this.stats.failedBatches++;
        this.o.logger.error({ err, equipmentType: type }, 'scoring batch failed');
      }),
    );
    return this.track(Promise.all(batches).then(() => undefined));
  }

  /** Saves the feature states that changed since the last save. One save at a time. */
  persist(): Promise<void> {
    this.persisting ??= this.doPersist().finally(() => (this.persisting = undefined));
    return this.persisting;
  }

  private async lookUp(key: string, waiting: { tenant: string; device: string; readings: SourceReading[] }): Promise<void> {
    let type: string | null;
    try {
      type = await (this.o.equipmentTypeOf ?? this.registryType)(waiting.tenant, waiting.device);
    } catch (err) {
      this.o.logger.warn({ err, tenant: waiting.tenant, device: waiting.device }, 'equipment type lookup failed; readings dropped');
      type = null;
    }
    this.pending.delete(key);
    this.types.set(key, type);
    if (type === null) {
      this.unknownSince.set(key, this.o.clock.now());
      this.stats.unknownDeviceReadings += waiting.readings.length;
      return;
    }
    this.unknownSince.delete(key);
    this.fold(key, waiting.tenant, waiting.device, type, waiting.readings);
  }

  private readonly registryType = async (tenant: string, device: string): Promise<string | null> => {
    const row = await this.o.db.selectFrom('devices').select('equipment_type').where('tenant', '=', tenant).where('id', '=', device).executeTakeFirst();
    return row?.equipment_type ?? null;
  };

  private fold(key: string, tenant: string, device: string, equipmentType: string, readings: readonly SourceReading[]): void {
    let c = this.cadence.get(key);
    if (!c) this.cadence.set(key, (c = { lastScoredTs: NaN, readingsSince: 0 }));
    const everyMs = this.o.everyMs ?? 900_000;
    const everyReadings = this.o.everyReadings ?? Infinity;
    let due = false;
    let newest = NaN;
    for (const r of readings) {
      this.stats.readings++;
      let accepted: boolean;
      try {
        accepted = this.o.features.update(tenant, device, equipmentType, r);
      } catch (err) {
        // E.g. an equipment type without a feature spec: this device cannot be scored.
        this.stats.featureErrors++;
        if (this.stats.featureErrors === 1 || this.stats.featureErrors % 10_000 === 0) this.o.logger.warn({ err, tenant, device, equipmentType }, 'reading not folded into the features');
        continue;
      }
      if (!accepted) continue;
      this.dirty.add(key);
      c.readingsSince++;
      newest = r.ts;
      if (Number.isNaN(c.lastScoredTs) || r.ts - c.lastScoredTs >= everyMs || c.readingsSince >= everyReadings) due = true;
    }
    if (!due) return;
    c.lastScoredTs = newest;
    c.readingsSince = 0;
    this.queue.set(key, { tenant, device, equipmentType });
    if (this.queue.size >= (this.o.maxBatch ?? 256)) void this.flush();
    else this.cancelFlush ??= this.o.clock.setTimer(() => {
      this.cancelFlush = undefined;
      void this.flush();
    }, this.o.flushMs ?? 1000);
  }

  private async scoreType(equipmentType: string, devices: { tenant: string; device: string }[]): Promise<void> {
    const scorer = this.o.models.current(equipmentType);
    if (!scorer) {
      this.stats.noModel += devices.length;
      if (!this.missingModelLogged.has(equipmentType)) {
        this.missingModelLogged.add(equipmentType);
        this.o.logger.warn({ equipmentType }, 'no active model for this equipment type; its devices are not scored');
      }
      return;
    }
    this.missingModelLogged.delete(equipmentType);
    const inputs = [];
    for (const d of devices) {
      const vector = this.o.features.vector(d.tenant, d.device);
      if (vector) inputs.push({ ...d, vector });
    }
    let predictions: Prediction[];
    try {
      // Called in the same tick as current(): a swap that follows waits for this batch.
      predictions = await scorer.score(inputs);
    } catch (err) {
      this.stats.failedBatches++;
      this.o.logger.error({ err, equipmentType, devices: inputs.length }, 'scoring batch failed');
      return;
    }
    this.stats.batches++;
    this.stats.predictions += predictions.length;
    if (this.o.drift) for (const input of inputs) this.o.drift.observe(scorer.bundle, input.vector);
    for (const p of predictions) {
      if (p.status !== 'ok') this.stats.insufficient++;
      for (const listener of this.listeners) {
        try {
          listener(p);
        } catch (err) {
          this.o.logger.error({ err }, 'prediction listener failed');
        }
      }
    }
    if (this.o.writer) {
      try {
        await this.o.writer.write(predictions);
      } catch (err) {
        this.stats.failedBatches++;
        this.o.logger.error({ err, equipmentType, predictions: predictions.length }, 'predictions not written');
      }
    }
  }

  private schedulePersist(): void {
    if (!this.running) return;
    this.cancelPersist = this.o.clock.setTimer(() => {
      this.track(this.persist().catch((err: unknown) => this.o.logger.warn({ err }, 'feature states not saved; retrying at the next save'))).finally(() => this.schedulePersist());
    }, this.o.persistEveryMs ?? 60_000);
  }

  private async doPersist(): Promise<void> {
    const keys = [...this.dirty];
    this.dirty.clear();
    try {
      for (let i = 0; i < keys.length; i += PERSIST_CHUNK) {
        const now = new Date(this.o.clock.now());
        const rows = [];
        for (const key of keys.slice(i, i + PERSIST_CHUNK)) {
          const [tenant, device] = splitKey(key);
          const snap = this.o.features.snapshot(tenant, device);
          if (snap) rows.push({ tenant, device, equipment_type: snap.equipmentType, state: JSON.stringify(snap.state), updated_at: now });
        }
        if (rows.length === 0) continue;
        await this.o.db
          .insertInto('feature_state')
          .values(rows)
          .onConflict((oc) =>
            oc.columns(['tenant', 'device']).doUpdateSet((eb) => ({
              equipment_type: eb.ref('excluded.equipment_type'),
              state: eb.ref('excluded.state'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
        this.stats.persisted += rows.length;
      }
    } catch (err) {
      // Saved next time instead.
      for (const k of keys) this.dirty.add(k);
      throw err;
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.work.add(p);
    void p.finally(() => this.work.delete(p)).catch(() => {});
    return p;
  }
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('/');
  return [key.slice(0, at), key.slice(at + 1)];
}
