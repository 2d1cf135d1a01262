import type { RejectReason } from '../ingest/payload-schema.ts';
import { Rng } from './prng.ts';

/**
 * What a simulated device puts on the wire, faults included: most readings go out as the
 * ingest payload `{"ts", "seq", "metrics"}`; a few are lost before they are sent (the device's
 * `seq` still advanced, so ingest sees a gap), and a few are deliberately bad, the way field
 * firmware gets things wrong, so the ingest side's rejection and counting is exercised.
 */

export interface TelemetryReading {
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly seq: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export const BAD_PAYLOAD_KINDS = ['nan_string', 'missing_ts', 'malformed_json', 'bad_metric_name'] as const;
export type BadPayloadKind = (typeof BAD_PAYLOAD_KINDS)[number];

/** The reason ingest should give when it rejects each kind of bad payload. */
export const EXPECTED_REJECT_REASON: Readonly<Record<BadPayloadKind, RejectReason>> = {
  nan_string: 'non_finite_number',
  missing_ts: 'missing_field',
  malformed_json: 'malformed_json',
  bad_metric_name: 'bad_metric_name',
};

export interface LinkFaults {
  /** Share of readings lost before they are sent (seq gaps). */
  readonly dropoutRate: number;
  /** Share of sent readings that are deliberately bad. */
  readonly badRate: number;
}

export type Transmission =
  | { readonly kind: 'dropped' }
  | { readonly kind: 'sent'; readonly payload: string; readonly bad: BadPayloadKind | null };

export function encodeReading(r: TelemetryReading): string {
  return JSON.stringify({ ts: r.ts, seq: r.seq, metrics: r.metrics });
}

/** A reading spoiled in one of the ways `kind` names; `rng` picks which metric. */
export function encodeBadReading(r: TelemetryReading, kind: BadPayloadKind, rng: Rng): string {
  switch (kind) {
    case 'nan_string': {
      // Firmware that prints a failed ADC read with printf("%f") and quotes it.
      const names = Object.keys(r.metrics);
      const victim = names[Math.floor(rng.next() * names.length)] ?? 'value';
      return JSON.stringify({ ts: r.ts, seq: r.seq, metrics: { ...r.metrics, [victim]: 'NaN' } });
    }
    case 'missing_ts':
      return JSON.stringify({ seq: r.seq, metrics: r.metrics });
    case 'malformed_json': {
      // A torn write: the buffer was sent before the serialiser finished.
      const full = encodeReading(r);
      return full.slice(0, Math.max(1, Math.floor(full.length * rng.uniform(0.3, 0.9))));
    }
    case 'bad_metric_name':
      return JSON.stringify({ ts: r.ts, seq: r.seq, metrics: { ...r.metrics, 'bad metric': 1 } });
  }
}

/** Decides a reading's fate on the device's link stream and encodes it. */
export function transmitReading(r: TelemetryReading, rng: Rng, faults: LinkFaults): Transmission {
  // A fixed number of draws per reading, so one reading's fate never shifts the next one's.
  const lost = rng.next() < faults.dropoutRate;
  const bad = rng.next() < faults.badRate;
  const which = rng.next();
  const detailSeed = rng.nextUint32();
  if (lost) return { kind: 'dropped' };
  if (!bad) return { kind: 'sent', payload: encodeReading(r), bad: null };
  const kind = BAD_PAYLOAD_KINDS[Math.floor(which * BAD_PAYLOAD_KINDS.length)]!;
  return { kind: 'sent', payload: encodeBadReading(r, kind, new Rng(detailSeed)), bad: kind };
}
