import type { RejectReason } from './payload-schema.ts';

const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * Ingest counters, rendered in the Prometheus text format. Plain numbers bumped in place: the
 * hot path pays an increment, not a call into a metrics library.
 */
export class IngestMetrics {
  messages = 0;
  readingsReceived = 0;
  written = 0;
  spooled = 0;
  replayed = 0;
  writeErrors = 0;
  seqGaps = 0;
  seqMissing = 0;
  dataGaps = 0;
  readonly rejected = new Map<RejectReason, number>();
  private readonly latencyCounts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  private latencySum = 0;
  private latencyCount = 0;
  /** Set by the owner of the numbers; read at render time. */
  gauges: () => Record<string, number> = () => ({});

  reject(reason: RejectReason, n = 1): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + n);
  }

  get rejectedTotal(): number {
    let n = 0;
    for (const v of this.rejected.values()) n += v;
    return n;
  }

  observeWrite(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.latencyCounts[i]!++;
    this.latencySum += ms;
    this.latencyCount++;
  }

  snapshot() {
    return {
      messages: this.messages,
      readingsReceived: this.readingsReceived,
      written: this.written,
      spooled: this.spooled,
      replayed: this.replayed,
      writeErrors: this.writeErrors,
      rejected: Object.fromEntries(this.rejected),
      rejectedTotal: this.rejectedTotal,
      seqGaps: this.seqGaps,
      seqMissing: this.seqMissing,
      dataGaps: this.dataGaps,
      gauges: this.gauges(),
    };
  }

  renderPrometheus(): string {
    const out: string[] = [];
    const counter = (name: string, help: string, value: number) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
    };
    counter('prognos_ingest_messages_total', 'MQTT messages received on telemetry topics.', this.messages);
    counter('prognos_ingest_readings_received_total', 'Readings decoded from messages (valid or not).', this.readingsReceived);
    counter('prognos_ingest_readings_written_total', 'Readings written to InfluxDB (directly or by replay).', this.written);
    counter('prognos_ingest_readings_spooled_total', 'Readings written to the on-disk spool while InfluxDB was unavailable.', this.spooled);
    counter('prognos_ingest_readings_replayed_total', 'Readings replayed from the spool into InfluxDB.', this.replayed);
    counter('prognos_ingest_write_errors_total', 'Failed InfluxDB write attempts.', this.writeErrors);
    counter('prognos_ingest_seq_gaps_total', 'Gaps found in per-device sequence numbers.', this.seqGaps);
    counter('prognos_ingest_seq_missing_total', 'Sequence numbers missing inside those gaps.', this.seqMissing);
    counter('prognos_ingest_data_gaps_total', 'Devices that fell silent for longer than their usual interval allows.', this.dataGaps);
    out.push('# HELP prognos_ingest_rejected_total Rejected messages or readings, by reason.', '# TYPE prognos_ingest_rejected_total counter');
    for (const [reason, n] of this.rejected) out.push(`prognos_ingest_rejected_total{reason="${reason}"} ${n}`);
    out.push('# HELP prognos_ingest_write_latency_ms InfluxDB write latency.', '# TYPE prognos_ingest_write_latency_ms histogram');
    let cumulative = 0;
    LATENCY_BUCKETS_MS.forEach((le, i) => {
      cumulative += this.latencyCounts[i]!;
      out.push(`prognos_ingest_write_latency_ms_bucket{le="${le}"} ${cumulative}`);
    });
    cumulative += this.latencyCounts[LATENCY_BUCKETS_MS.length]!;
    out.push(`prognos_ingest_write_latency_ms_bucket{le="+Inf"} ${cumulative}`);
    out.push(`prognos_ingest_write_latency_ms_sum ${this.latencySum}`, `prognos_ingest_write_latency_ms_count ${this.latencyCount}`);
    for (const [name, value] of Object.entries(this.gauges())) {
      out.push(`# TYPE prognos_ingest_${name} gauge`, `prognos_ingest_${name} ${value}`);
    }
    return `${out.join('\n')}\n`;
  }
}
