import type { Clock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import { lockDirectory } from '../platform/dir-lock.ts';
import { isPrognosError } from '../platform/errors.ts';
import { InfluxHttp } from '../platform/influx/influx-http.ts';
import type { Logger } from '../platform/logger.ts';
import { type BrokerAuth, EmbeddedBroker } from '../platform/mqtt/embedded-broker.ts';
import type { Db } from '../platform/sql/database.ts';
import type { DataQualityEvent, DataQualityListener } from './data-quality.ts';
import { DataQualityStore } from './data-quality-store.ts';
import { DeadLetterStore } from './dead-letter-store.ts';
import { IngestMetrics } from './ingest-metrics.ts';
import { IngestPipeline } from './ingest-pipeline.ts';
import { InfluxWriter, type LineSink } from './influx-writer.ts';
import { LivenessMonitor } from './liveness-monitor.ts';
import { MqttSource } from './mqtt-source.ts';
import type { Reading } from './payload-schema.ts';
import { SeqGapDetector } from './seq-gap-detector.ts';
import { Spool } from './spool.ts';
import type { DeviceRef } from './topics.ts';

export interface IngestServiceDeps {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  onReadings?: (ref: DeviceRef, readings: readonly Reading[]) => void;
  onDataQuality?: DataQualityListener;
  /** Device authentication for the embedded broker (unset: anonymous, MQTT_AUTH=off). */
  brokerAuth?: BrokerAuth<any>;
}

/**
 * The ingest role: telemetry from the broker (external, or the embedded one) through
 * validation into InfluxDB or the spool, rejections into the dead-letter table, data-quality
 * events into the SQL store. Constructing it does no I/O; {@link start} does.
 */
export class IngestService {
  readonly metrics = new IngestMetrics();
  readonly influx: InfluxHttp;
  readonly deadLetters: DeadLetterStore;
  readonly dataQuality: DataQualityStore;
  readonly liveness: LivenessMonitor;
  readonly seq = new SeqGapDetector();
  private readonly spool: Spool;
  private readonly writer: InfluxWriter;
  private readonly pipeline: IngestPipeline;
  private broker: EmbeddedBroker | null = null;
  private source: MqttSource | null = null;
  private stopTimers: (() => void)[] = [];
  private running = false;
  private releaseSpoolLock: (() => void) | null = null;

  constructor(private readonly d: IngestServiceDeps) {
    const { config, db, clock, logger } = d;
    this.influx = new InfluxHttp(config.influx);
    this.deadLetters = new DeadLetterStore(db, clock);
    this.dataQuality = new DataQualityStore(db, clock);
    this.liveness = new LivenessMonitor({ gapFactor: config.ingest.gapFactor });
    this.spool = new Spool({ dir: config.ingest.spoolDir, maxBytes: config.ingest.spoolMaxBytes });
    this.writer = new InfluxWriter({
      sink: this.sinkCreatingDatabase(),
      spool: this.spool,
      clock,
      logger,
      metrics: this.metrics,
      batchSize: config.ingest.batchSize,
      flushMs: config.ingest.flushMs,
      onRejectedLine: async (line, why) => {
        this.metrics.reject('influx_rejected');
        const tags = /^telemetry,device=([^, ]+),tenant=([^, ]+) /.exec(line);
        await this.deadLetters.record({ topic: '(influx write)', tenant: tags?.[2] ?? null, device: tags?.[1] ?? null, reason: 'influx_rejected', detail: why, payload: line });
      },
    });
    this.pipeline = new IngestPipeline({
      writer: this.writer,
      deadLetters: this.deadLetters,
      dataQuality: this.dataQuality,
      seq: this.seq,
      liveness: this.liveness,
      metrics: this.metrics,
      clock,
      limits: config.ingest,
      onReadings: d.onReadings,
      onDataQuality: d.onDataQuality,
    });
    this.metrics.gauges = () => ({
      spool_bytes: this.spool.bytes,
      spooling: this.writer.isSpooling ? 1 : 0,
      in_flight_messages: this.source?.inFlightCount ?? 0,
      mqtt_connected: this.source ? (this.source.connected ? 1 : 0) : this.broker ? 1 : 0,
      devices_tracked: this.liveness.all().length,
    });
  }

  /**
   * Writes other measurements' lines (predictions) through the same batched, spooled path as
   * telemetry: resolves once they are in InfluxDB or in the spool.
   */
  writeLines(lines: readonly string[]): Promise<void> {
    return this.writer.write(lines);
  }

  /** Where devices publish: the external broker, or the embedded one once started. */
  get brokerUrl(): string {
    return this.d.config.mqtt.url ?? this.broker?.url ?? `mqtt://127.0.0.1:${this.d.config.mqtt.embeddedPort}`;
  }

  async start(): Promise<void> {
    const { config, logger } = this.d;
    this.releaseSpoolLock = lockDirectory(config.ingest.spoolDir, 'spool directory');
    this.spool.open();
    if (this.spool.tornFrames > 0) logger.warn({ segments: this.spool.tornFrames }, 'cut torn tails off spool segments');
    if (!this.spool.isEmpty) logger.info({ bytes: this.spool.bytes }, 'replaying spool left by an earlier run');
    for (const s of await this.dataQuality.loadDeviceStates()) {
      this.liveness.restore(s);
      if (s.lastSeq !== undefined) this.seq.restore(s.tenant, s.device, s.lastSeq);
    }
    if (await this.influx.ping()) await this.influx.ensureDatabase().catch((err) => logger.warn({ err: err.message }, 'could not create the InfluxDB database'));
    else logger.warn({ url: config.influx.url }, 'InfluxDB is not answering: readings will be spooled until it is');
    this.writer.start();

    const accept = (topic: string, payload: Buffer) => this.pipeline.accept(topic, payload);
    if (config.mqtt.url) {
      this.source = new MqttSource({ mqtt: { ...config.mqtt, url: config.mqtt.url }, maxInFlight: config.ingest.maxInFlight, handler: accept, logger });
      await this.source.start();
    } else {
      this.broker = new EmbeddedBroker({
        host: config.mqtt.embeddedHost,
        port: config.mqtt.embeddedPort,
        logger,
        auth: this.d.brokerAuth,
        intercept: (topic, payload) => (topic.startsWith('prognos/') && topic.endsWith('/telemetry') ? accept(topic, payload) : null),
      });
      await this.broker.start();
    }
    this.running = true;
    this.every(1000, () => this.checkLiveness());
    this.every(5000, () => this.saveDeviceStates());
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const stop of this.stopTimers) stop();
    this.stopTimers = [];
    await this.source?.stop();
    await this.broker?.stop();
    await this.writer.stop();
    await this.deadLetters.flush();
    await this.dataQuality.flush();
    await this.saveDeviceStates();
    await this.spool.close();
    this.releaseSpoolLock?.();
    this.releaseSpoolLock = null;
  }

  /** Flushes buffered readings and rows now (tests and the demo summary use it). */
  async flush(): Promise<void> {
    await this.writer.flush();
    await this.deadLetters.flush();
    await this.dataQuality.flush();
  }

  private checkLiveness(): void {
    for (const e of this.liveness.check(this.d.clock.now())) {
      this.metrics.dataGaps++;
      this.record(e);
    }
  }

  private record(e: DataQualityEvent): void {
    this.dataQuality.record(e).catch((err) => this.d.logger.error({ err }, 'could not store a data-quality event'));
    this.d.onDataQuality?.(e);
  }

  private async saveDeviceStates(): Promise<void> {
    const states = this.liveness.takeDirty().map((s) => ({ ...s, lastSeq: this.seq.lastSeq(s.tenant, s.device) }));
    await this.dataQuality.saveDeviceStates(states).catch((err) => this.d.logger.error({ err }, 'could not save device states'));
  }

  private every(ms: number, fn: () => void | Promise<void>): void {
    let cancel = () => {};
    const tick = () => {
      void Promise.resolve(fn()).finally(() => {
        if (this.running) cancel = this.d.clock.setTimer(tick, ms);
      });
    };
    cancel = this.d.clock.setTimer(tick, ms);
    this.stopTimers.push(() => cancel());
  }

  /** InfluxDB 1.x answers 404 for a database that does not exist yet: create it and retry. */
  private sinkCreatingDatabase(): LineSink {
    return {
      write: async (lines) => {
        try {
          await this.influx.write(lines);
        } catch (err) {
          if (!isPrognosError(err, 'PRG_INFLUX_UNAVAILABLE') || !/database not found/.test(err.message)) throw err;
          await this.influx.ensureDatabase();
          await this.influx.write(lines);
        }
      },
    };
  }
}
