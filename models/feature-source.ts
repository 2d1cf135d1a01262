/**
 * What the scoring service needs of the streaming features: fold a reading into a device's
 * state, read the device's current feature vector, and save/restore states across restarts.
 *
 * The feature math itself (models/feature-window.ts + feature-extractor.ts) is plain functions
 * over a state object; {@link StatefulFeatureSource} keeps one state per device over any such
 * set of functions, so the service never depends on which features a model uses.
 */
import { featureVector } from './feature-extractor.ts';
import { createFeatureState, deserialiseFeatureState, serialiseFeatureState, updateFeatureState, type FeatureState } from './feature-window.ts';

/** A reading as ingest hands it over: epoch ms and the metrics (`run_hours` and `state` included). */
export interface SourceReading {
  readonly ts: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** A device's feature vector at `at` (epoch ms of the newest reading), or why there is none. */
export type FeatureVector =
  | { readonly status: 'ok'; readonly names: readonly string[]; readonly values: Float64Array; readonly at: number }
  | { readonly status: 'insufficient_data'; readonly reason: string; readonly at: number };

/** A device's saved state: JSON-safe, for the `feature_state` table. */
export interface FeatureSnapshot {
  readonly tenant: string;
  readonly device: string;
  readonly equipmentType: string;
  readonly state: unknown;
}

export interface FeatureSource {
  /** Folds a reading into the device's state (created on first use). False when it was ignored (not newer). */
  update(tenant: string, device: string, equipmentType: string, reading: SourceReading): boolean;
  /** The device's current vector; undefined for a device never seen. */
  vector(tenant: string, device: string): FeatureVector | undefined;
  /** The saved form of one device's state; undefined for a device never seen. */
  snapshot(tenant: string, device: string): FeatureSnapshot | undefined;
  /** Replaces a device's state with a saved one. Throws (PRG_BAD_REQUEST) for a state it cannot read. */
  restore(snapshot: FeatureSnapshot): void;
  /** Devices with a state. */
  devices(): Iterable<{ tenant: string; device: string; equipmentType: string }>;
}

/** The feature math as plain functions over a per-device state (the shape of feature-window.ts). */
export interface FeatureMath<S> {
  create(equipmentType: string): S;
  update(state: S, reading: SourceReading): boolean;
  vector(state: S): FeatureVector;
  serialise(state: S): unknown;
  deserialise(raw: unknown): S;
}

interface Entry<S> {
  readonly tenant: string;
  readonly device: string;
  readonly equipmentType: string;
  state: S;
}

/** One state per device, in memory, over the given feature math. */
export class StatefulFeatureSource<S> implements FeatureSource {
  private readonly entries = new Map<string, Entry<S>>();

  constructor(private readonly math: FeatureMath<S>) {}

  update(tenant: string, device: string, equipmentType: string, reading: SourceReading): boolean {
    const key = keyOf(tenant, device);
    let entry = this.entries.get(key);
    // A device moved to another equipment type starts over: its old features mean nothing to the new model.
    if (!entry || entry.equipmentType !== equipmentType) {
      entry = { tenant, device, equipmentType, state: this.math.create(equipmentType) };
      this.entries.set(key, entry);
    }
    return this.math.update(entry.state, reading);
  }

  vector(tenant: string, device: string): FeatureVector | undefined {
    const entry = this.entries.get(keyOf(tenant, device));
    return entry && this.math.vector(entry.state);
  }

  snapshot(tenant: string, device: string): FeatureSnapshot | undefined {
    const entry = this.entries.get(keyOf(tenant, device));
    return entry && { tenant, device, equipmentType: entry.equipmentType, state: this.math.serialise(entry.state) };
  }

  restore(snapshot: FeatureSnapshot): void {
    const state = this.math.deserialise(snapshot.state);
    this.entries.set(keyOf(snapshot.tenant, snapshot.device), { tenant: snapshot.tenant, device: snapshot.device, equipmentType: snapshot.equipmentType, state });
  }

  *devices(): Iterable<{ tenant: string; device: string; equipmentType: string }> {
    for (const e of this.entries.values()) yield { tenant: e.tenant, device: e.device, equipmentType: e.equipmentType };
  }
}

/** Tenant and device ids are `[A-Za-z0-9._-]`, so a slash cannot be part of either. */
export function keyOf(tenant: string, device: string): string {
  return `${tenant}/${device}`;
}

/**
 * The product's features (models/feature-window.ts + feature-extractor.ts), the same functions
 * training folds over a history: one state per device.
 */
export function streamingFeatureSource(): FeatureSource {
  return new StatefulFeatureSource<FeatureState>({
    create: createFeatureState,
    update: updateFeatureState,
    vector: featureVector,
    serialise: serialiseFeatureState,
    deserialise: deserialiseFeatureState,
  });
}
