import type { Clock } from '../platform/clock.ts';
import { type DataQualityListener, deviceKey } from './data-quality.ts';
import type { DataQualityStore } from './data-quality-store.ts';
import type { DeadLetterStore } from './dead-letter-store.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import type { InfluxWriter } from './influx-writer.ts';
import { DeviceLineFormat } from './line-protocol.ts';
import type { LivenessMonitor } from './liveness-monitor.ts';
import { type Reading, type RejectReason, type TimeWindow, validateReading } from './payload-schema.ts';
import type { SeqGapDetector } from './seq-gap-detector.ts';
import { type DeviceRef, parseTelemetryTopic } from './topics.ts';

/** A telemetry topic's device, with what its readings reuse: the state key and the line format. */
interface KnownDevice {
  readonly ref: DeviceRef;
  readonly key: string;
  readonly lines: DeviceLineFormat;
}

export interface IngestLimits {
  maxPayloadBytes: number;
  maxReadingsPerMessage: number;
  maxFutureMs: number;
  maxPastMs: number;
}

export interface IngestPipelineDeps {
  writer: InfluxWriter;
  deadLetters: DeadLetterStore;
  dataQuality: DataQualityStore;
  seq: SeqGapDetector;
  liveness: LivenessMonitor;
  metrics: IngestMetrics;
  clock: Clock;
  limits: IngestLimits;
  /** Told of every accepted reading, after it is durable (feature windows hang off this). */
  onReadings?: (ref: DeviceRef, readings: readonly Reading[]) => void;
  onDataQuality?: DataQualityListener;
}

/**
 * One MQTT message in, durable results out. {@link accept} resolves when every reading of the
 * message is in InfluxDB or the spool and every rejected part is in the dead-letter table —
 * only then may the message be acknowledged. It never throws for bad input; it rejects only
 * when the store itself failed, and then the message must stay unacknowledged.
 */
export class IngestPipeline {
  /** Topic → device and its line format, remembered: a fleet publishes on the same few thousand topics all day. */
  private readonly devices = new Map<string, KnownDevice | null>();

  /** The acceptance window, updated per message rather than allocated per message. */
  private readonly window: { -readonly [K in keyof TimeWindow]: TimeWindow[K] };

  constructor(private readonly d: IngestPipelineDeps) {
    this.window = { now: 0, maxFutureMs: d.limits.maxFutureMs, maxPastMs: d.limits.maxPastMs };
  }

  accept(topic: string, payload: Buffer): Promise<void> {
    const { metrics, limits } = this.d;
    metrics.messages++;
    const known = this.device(topic);
    if (!known) return this.reject(topic, null, 'bad_topic', `topic must be prognos/<tenant>/<device>/telemetry with ids [A-Za-z0-9._-]{1,64}`, payload);
    const { ref } = known;
    if (payload.length > limits.maxPayloadBytes) {
      return this.reject(topic, ref, 'payload_too_large', `${payload.length} bytes > limit ${limits.maxPayloadBytes}`, payload);
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return this.reject(topic, ref, 'malformed_json', (err as Error).message, payload);
    }
    const many = Array.isArray(decoded);
    const count = many ? (decoded as unknown[]).length : 1;
    if (count === 0 || count > limits.maxReadingsPerMessage) {
      return this.reject(topic, ref, 'too_many_readings', `${count} readings; allowed 1..${limits.maxReadingsPerMessage}`, payload);
    }
    metrics.readingsReceived += count;

    const now = this.d.clock.now();
    const window = this.window;
    window.now = now;
    const { writer, onReadings } = this.d;
    // Only a listener needs the accepted readings gathered; ingest alone keeps none of them.
    const accepted: Reading[] | null = onReadings ? [] : null;
    let written = 0;
    // Side stores (rejections inside an array, data-quality events) are rare; the common
    // message holds only its batch's shared promise.
    let side: Promise<void>[] | null = null;
    for (let i = 0; i < count; i++) {
      const item: unknown = many ? (decoded as unknown[])[i] : decoded;
      const result = validateReading(item, window);
      if (!result.ok) {
        const { reason, detail } = result.rejection;
        const where = many ? `[${i}] ` : '';
        const part = many ? JSON.stringify(item) ?? 'undefined' : payload;
        (side ??= []).push(this.reject(topic, ref, reason, where + detail, part));
        continue;
      }
      // Every line of this message goes into the writer's current batch before commit().
      writer.add(known.lines.line(result.reading));
      written++;
      accepted?.push(result.reading);
      const stored = this.track(known, result.reading, now);
      if (stored) (side ??= []).push(stored);
    }
    const durable = written > 0 ? writer.commit() : null;
    const all = side === null ? durable : Promise.all(durable ? [durable, ...side] : side).then(() => undefined);
    if (!all) return Promise.resolve();
    return onReadings && accepted && accepted.length > 0 ? all.then(() => onReadings(ref, accepted)) : all;
  }

  private device(topic: string): KnownDevice | null {
    let known = this.devices.get(topic);
    if (known === undefined) {
      const ref = parseTelemetryTopic(topic);
      known = ref ? { ref, key: deviceKey(ref.tenant, ref.device), lines: DeviceLineFormat.of(ref) } : null;
      if (this.devices.size >= 100_000) this.devices.clear();
      this.devices.set(topic, known);
    }
    return known;
  }

  /** Seq and liveness tracking; returns the store's promise when an event was raised. */
  private track({ ref, key }: KnownDevice, reading: Reading, now: number): Promise<void> | null {
    const gap = reading.seq === undefined ? null : this.d.seq.observe(ref.tenant, ref.device, reading.seq, now, key);
    const live = this.d.liveness.observe(ref.tenant, ref.device, reading.ts, now, key);
    // The common reading raises nothing and allocates nothing here.
    if (gap === null && live === null) return null;
    const stored: Promise<void>[] = [];
    for (const e of [gap, live]) {
      if (e === null) continue;
      if (e.kind === 'seq_gap') {
        this.d.metrics.seqGaps++;
        this.d.metrics.seqMissing += e.detail.missing;
      }
      stored.push(this.d.dataQuality.record(e));
      this.d.onDataQuality?.(e);
    }
    return Promise.all(stored).then(() => undefined);
  }

  private reject(topic: string, ref: DeviceRef | null, reason: RejectReason, detail: string, payload: Buffer | string): Promise<void> {
    this.d.metrics.reject(reason);
    return this.d.deadLetters.record({ topic, tenant: ref?.tenant ?? null, device: ref?.device ?? null, reason, detail, payload });
  }
}
