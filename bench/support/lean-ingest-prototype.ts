import type { LineSink } from '../../ingest/influx-writer.ts';
import { readingToLineWithPoint } from '../../ingest/line-protocol.ts';
import type { LivenessMonitor } from '../../ingest/liveness-monitor.ts';
import { METRIC_NAME, MAX_METRICS_PER_READING, RESERVED_METRIC_NAMES, type Reading, type TimeWindow, validateReading } from '../../ingest/payload-schema.ts';
import type { SeqGapDetector } from '../../ingest/seq-gap-detector.ts';
import { type DeviceRef, parseTelemetryTopic } from '../../ingest/topics.ts';

/**
 * NOT product code: a prototype of the ingest hot path with the changes proposed in
 * bench/README.md, so `ingest-hot-path.ts` can put numbers on them next to the real
 * pipeline. Same rules, same output lines; what differs is what each message allocates and
 * how long it stays alive:
 *
 * - topic → device state cached (one Map lookup instead of split + two regexes + new object);
 * - a hand-written check of the common valid reading, with zod (`validateReading`) only when
 *   the check fails, so rejections keep the schema's reasons and details;
 * - the line built with a template and a per-device prefix (ids and metric names are already
 *   held to sets that need no escaping) instead of an influxdb-client `Point`;
 * - one promise per batch, not per message: a message hands its id to the batch, and the
 *   batch acknowledges all its ids in one loop when it is durable.
 *
 * Errors, dead letters, data-quality events and the spool are left out: the benchmark feeds
 * only valid, gap-free readings, which never reach them in the real pipeline either.
 */

interface DeviceEntry {
  ref: DeviceRef;
  /** `telemetry,device=…,tenant=… ` */
  linePrefix: string;
}

interface Batch {
  lines: string[];
  ids: number[];
}

export interface LeanPipelineDeps {
  sink: LineSink;
  seq: SeqGapDetector;
  liveness: LivenessMonitor;
  batchSize: number;
  flushMs: number;
  window: Omit<TimeWindow, 'now'>;
  /** Called once per durable batch with the message ids to acknowledge. */
  ack: (ids: readonly number[]) => void;
  /** Which of the proposed changes are on besides per-batch acknowledgement (all by default). */
  changes?: Partial<LeanChanges>;
}

export interface LeanChanges {
  /** Hand-written check first, zod only when it fails (else zod for every reading). */
  fastValidation: boolean;
  /** Template line with a cached per-device prefix (else influxdb-client `Point`). */
  templateLine: boolean;
  /** topic → device cached (else `parseTelemetryTopic` per message). */
  topicCache: boolean;
}

/** True for the plain valid reading (number ts, integer seq, finite numeric metrics with safe names). */
function isPlainValid(raw: unknown): raw is { ts: number; seq?: number; metrics: Record<string, number> } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const r = raw as Record<string, unknown>;
  if (typeof r.ts !== 'number' || !Number.isInteger(r.ts) || r.ts < 0) return false;
  if (r.seq !== undefined && (typeof r.seq !== 'number' || !Number.isInteger(r.seq) || r.seq < 0 || r.seq > Number.MAX_SAFE_INTEGER)) return false;
  const m = r.metrics;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  let n = 0;
  for (const k in m) {
    const v = (m as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !METRIC_NAME.test(k) || RESERVED_METRIC_NAMES.has(k)) return false;
    n++;
  }
  return n > 0 && n <= MAX_METRICS_PER_READING;
}

export class LeanPipeline {
  private readonly devices = new Map<string, DeviceEntry>();
  private batch: Batch = { lines: [], ids: [] };
  private timer: NodeJS.Timeout | null = null;
  private lane: Promise<void> = Promise.resolve();
  private readonly changes: LeanChanges;

  constructor(private readonly d: LeanPipelineDeps) {
    this.changes = { fastValidation: true, templateLine: true, topicCache: true, ...d.changes };
  }

  /** Takes one message; its id is acknowledged through `ack` once its batch is durable. */
  accept(messageId: number, topic: string, payload: Buffer): void {
    let dev = this.changes.topicCache ? this.devices.get(topic) : undefined;
    if (!dev) {
      const ref = parseTelemetryTopic(topic);
      if (!ref) throw new Error('prototype: valid topics only');
      dev = { ref, linePrefix: `telemetry,device=${ref.device},tenant=${ref.tenant} ` };
      this.devices.set(topic, dev);
    }
    const raw: unknown = JSON.parse(payload.toString('utf8'));
    const now = Date.now();
    let reading: Reading;
    if (this.changes.fastValidation && isPlainValid(raw) && raw.ts <= now + this.d.window.maxFutureMs && raw.ts >= now - this.d.window.maxPastMs) {
      reading = { ts: raw.ts, seq: raw.seq, metrics: raw.metrics };
    } else {
      const result = validateReading(raw, { now, ...this.d.window });
      if (!result.ok) throw new Error(`prototype: valid readings only (${result.rejection.detail})`);
      reading = result.reading;
    }
    if (reading.seq !== undefined) this.d.seq.observe(dev.ref.tenant, dev.ref.device, reading.seq, now);
    this.d.liveness.observe(dev.ref.tenant, dev.ref.device, reading.ts, now);
    const b = this.batch;
    if (this.changes.templateLine) {
      let fields = '';
      for (const k in reading.metrics) fields += `${fields ? ',' : ''}${k}=${reading.metrics[k]}`;
      b.lines.push(`${dev.linePrefix}${fields} ${reading.ts}`);
    } else {
      b.lines.push(readingToLineWithPoint(dev.ref, reading));
    }
    b.ids.push(messageId);
    if (b.lines.length >= this.d.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.d.flushMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const b = this.batch;
    if (b.lines.length > 0) {
      this.batch = { lines: [], ids: [] };
      this.lane = this.lane.then(async () => {
        await this.d.sink.write(b.lines.join('\n'));
        this.d.ack(b.ids);
      });
    }
    return this.lane;
  }
}
