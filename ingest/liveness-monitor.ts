import { type DataQualityEvent, deviceKey } from './data-quality.ts';

export interface DeviceLiveness {
  tenant: string;
  device: string;
  /** When ingest last heard from the device (ingest's clock). */
  lastSeen: number;
  /** The device's own timestamp of its newest reading. */
  lastReadingTs: number;
  /** Smoothed interval between readings, from the device timestamps. */
  intervalMs: number | null;
  inGap: boolean;
}

export interface LivenessOptions {
  /** Silent for more than `gapFactor` × the usual interval is a gap. */
  gapFactor: number;
  /** Never call a gap sooner than this. Default 2000 ms. */
  minGapMs?: number;
}

/**
 * Knows when each device last spoke and how often it usually does, and reports a device that
 * has fallen silent (once per silence) and when it comes back.
 */
export class LivenessMonitor {
  private readonly devices = new Map<string, DeviceLiveness>();
  private readonly dirty = new Set<string>();

  constructor(private readonly opts: LivenessOptions) {}

  restore(state: DeviceLiveness): void {
    this.devices.set(deviceKey(state.tenant, state.device), { ...state });
  }

  /** `key`: the caller's cached {@link deviceKey}, to save building it per reading. */
  observe(tenant: string, device: string, readingTs: number, now: number, key: string = deviceKey(tenant, device)): DataQualityEvent | null {
    const d = this.devices.get(key);
    this.dirty.add(key);
    if (!d) {
      this.devices.set(key, { tenant, device, lastSeen: now, lastReadingTs: readingTs, intervalMs: null, inGap: false });
      return null;
    }
    const delta = readingTs - d.lastReadingTs;
    if (delta > 0) {
      // Smooth, and clip a single long pause so one outage does not teach "this device is slow".
      const clipped = d.intervalMs === null ? delta : Math.min(delta, d.intervalMs * 4);
      d.intervalMs = d.intervalMs === null ? clipped : d.intervalMs * 0.8 + clipped * 0.2;
      d.lastReadingTs = readingTs;
    }
    const silentMs = now - d.lastSeen;
    d.lastSeen = now;
    if (d.inGap) {
      d.inGap = false;
      return { kind: 'data_resumed', tenant, device, at: now, detail: { silentMs } };
    }
    return null;
  }

  /** Devices that have just crossed their silence threshold. */
  check(now: number): DataQualityEvent[] {
    const events: DataQualityEvent[] = [];
    const minGap = this.opts.minGapMs ?? 2000;
    for (const [key, d] of this.devices) {
      if (d.inGap || d.intervalMs === null) continue;
      const threshold = Math.max(minGap, this.opts.gapFactor * d.intervalMs);
      const silentMs = now - d.lastSeen;
      if (silentMs > threshold) {
        d.inGap = true;
        this.dirty.add(key);
        events.push({
          kind: 'data_gap',
          tenant: d.tenant,
          device: d.device,
          at: now,
          detail: { lastSeenAt: new Date(d.lastSeen).toISOString(), silentMs, expectedIntervalMs: Math.round(d.intervalMs) },
        });
      }
    }
    return events;
  }

  get(tenant: string, device: string): DeviceLiveness | undefined {
    return this.devices.get(deviceKey(tenant, device));
  }

  all(): DeviceLiveness[] {
    return [...this.devices.values()];
  }

  /** The devices changed since the last call (for persisting). */
  takeDirty(): DeviceLiveness[] {
    const out: DeviceLiveness[] = [];
    for (const key of this.dirty) {
      const d = this.devices.get(key);
      if (d) out.push({ ...d });
    }
    this.dirty.clear();
    return out;
  }
}
