import { type DataQualityEvent, deviceKey } from './data-quality.ts';

/** A drop this far below the last seq is a device restart, not a late message. */
const RESET_DISTANCE = 1000;

/**
 * Finds gaps in each device's `seq`. Redelivered or slightly late messages (seq at or below the
 * last one) are not gaps; a large step back is a counter reset (e.g. the device rebooted).
 */
export class SeqGapDetector {
  private readonly last = new Map<string, number>();

  /** Restores a device's last seq (from stored state after a restart). */
  restore(tenant: string, device: string, seq: number): void {
    this.last.set(deviceKey(tenant, device), seq);
  }

  /** `key`: the caller's cached {@link deviceKey}, to save building it per reading. */
  observe(tenant: string, device: string, seq: number, at: number, key: string = deviceKey(tenant, device)): DataQualityEvent | null {
    const prev = this.last.get(key);
    if (prev === undefined) {
      this.last.set(key, seq);
      return null;
    }
    if (seq === prev + 1) {
      this.last.set(key, seq);
      return null;
    }
    if (seq > prev + 1) {
      this.last.set(key, seq);
      return { kind: 'seq_gap', tenant, device, at, detail: { after: prev, next: seq, missing: seq - prev - 1 } };
    }
    if (prev - seq >= RESET_DISTANCE || seq <= 1) {
      this.last.set(key, seq);
      return { kind: 'seq_reset', tenant, device, at, detail: { from: prev, to: seq } };
    }
    return null;
  }

  lastSeq(tenant: string, device: string): number | undefined {
    return this.last.get(deviceKey(tenant, device));
  }
}
