import type { Clock } from '../platform/clock.ts';
import { isPrognosError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import type { Spool } from './spool.ts';

/** What the writer needs of InfluxDB: one batched line-protocol write (UTF-8, lines joined by `\n`). */
export interface LineSink {
  write(lines: string | Uint8Array): Promise<void>;
}

export interface InfluxWriterOptions {
  sink: LineSink;
  spool: Spool;
  clock: Clock;
  logger: Logger;
  metrics: IngestMetrics;
  /** Lines per write; a full buffer flushes at once. */
  batchSize: number;
  /** A partial buffer flushes this long after its first line. */
  flushMs: number;
  /** Quick retries of a failed write before the batch goes to the spool. Default 2. */
  retries?: number;
  /** Called with each line InfluxDB refuses (400) even when written on its own. */
  onRejectedLine: (line: string, why: string) => Promise<void>;
}

/**
 * One batch: its lines, already encoded, and the one promise every writer of those lines holds.
 * Lines go into the buffer as they are added, so the strings die young instead of waiting for
 * the flush (that wait used to promote every line to V8's old generation under load).
 */
interface Pending {
  buf: Buffer;
  /** Bytes used; every line is followed by `\n`. */
  bytes: number;
  lines: number;
  durable: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const MIN_BATCH_BYTES = 64 * 1024;

function newBatch(capacity: number): Pending {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const durable = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers attach their own handlers; this keeps a batch nobody waits on from being "unhandled".
  durable.catch(() => undefined);
  return { buf: Buffer.allocUnsafe(Math.max(MIN_BATCH_BYTES, capacity)), bytes: 0, lines: 0, durable, resolve, reject };
}

/** The batch's line protocol without the last line's `\n`. */
function bodyOf(batch: Pending): Buffer {
  return batch.buf.subarray(0, batch.bytes - 1);
}

/**
 * Batches lines to InfluxDB. {@link write} resolves once its lines are durable: in InfluxDB,
 * or fsync'd in the spool while InfluxDB is down. Batches leave in acceptance order, one at a
 * time; once anything is spooled, later batches queue behind it in the spool until the replay
 * has drained it, so InfluxDB receives everything in order.
 */
export class InfluxWriter {
  private buffer: Pending = newBatch(MIN_BATCH_BYTES);
  private cancelTimer: (() => void) | null = null;
  /** The serial lane every batch and mode switch runs on. */
  private lane: Promise<void> = Promise.resolve();
  private spooling = false;
  private replaying: Promise<void> | null = null;
  private stopped = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly o: InfluxWriterOptions) {}

  /** Starts replaying whatever an earlier run left in the spool. */
  start(): void {
    if (!this.o.spool.isEmpty) {
      this.spooling = true;
      this.ensureReplay();
    }
  }

  /**
   * Adds lines to the current batch and returns that batch's promise. Every caller of one batch
   * shares one promise: per message there is no promise or closure to keep alive until the
   * batch is durable (they used to be most of ingest's garbage-collection work).
   */
  write(lines: readonly string[]): Promise<void> {
    for (const l of lines) this.add(l);
    return this.commit();
  }

  /**
   * Encodes one line into the current batch. A caller adds all of one message's lines and then
   * calls {@link commit}; nothing flushes in between, so they all land in one batch.
   */
  add(line: string): void {
    const b = this.buffer;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; +1 for the newline.
    const worst = b.bytes + line.length * 3 + 1;
    if (worst > b.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(worst, b.buf.length * 2));
      b.buf.copy(bigger, 0, 0, b.bytes);
      b.buf = bigger;
    }
    b.bytes += b.buf.write(line, b.bytes, 'utf8');
    b.buf[b.bytes++] = 0x0a;
    b.lines++;
  }

  /** Ends a run of {@link add}: flushes a full batch, and returns the promise of the batch those lines are in. */
  commit(): Promise<void> {
    const b = this.buffer;
    if (b.lines === 0) return Promise.resolve();
    if (b.lines >= this.o.batchSize) void this.flush();
    else if (!this.cancelTimer) this.cancelTimer = this.o.clock.setTimer(() => void this.flush(), this.o.flushMs);
    return b.durable;
  }

  /** Sends the buffer now; resolves when every batch so far is durable. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    const batch = this.buffer;
    if (batch.lines > 0) {
      // Sized like this one (plus a margin), so a steady stream rarely grows a buffer.
      this.buffer = newBatch(batch.bytes + (batch.bytes >> 2));
      this.lane = this.lane.then(() => this.persist(batch));
    }
    return this.lane;
  }

  get isSpooling(): boolean {
    return this.spooling;
  }

  /** Flushes what is buffered, then stops the replay (the spool keeps the rest for next time). */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    for (const wake of this.sleepers) wake();
    await this.replaying;
  }

  private async persist(batch: Pending): Promise<void> {
    const body = bodyOf(batch);
    try {
      if (!this.spooling && (await this.tryWrite(batch.lines, body))) {
        // written (tryWrite counted it)
      } else {
        await this.o.spool.append(body);
        this.o.metrics.spooled += batch.lines;
        if (!this.spooling) this.o.logger.warn({ lines: batch.lines }, 'InfluxDB unavailable: spooling to disk');
        this.spooling = true;
        this.ensureReplay();
      }
      batch.resolve();
    } catch (err) {
      // Only the disk failing gets here; the messages stay unacknowledged and are redelivered.
      this.o.logger.error({ err }, 'could not persist a batch');
      batch.reject(err);
    }
  }

  /** True when written; false when InfluxDB is unavailable after the quick retries. */
  private async tryWrite(lines: number, body: Buffer): Promise<boolean> {
    const retries = this.o.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      try {
        await this.o.sink.write(body);
        this.o.metrics.observeWrite(performance.now() - t0);
        this.o.metrics.written += lines;
        return true;
      } catch (err) {
        if (isPrognosError(err, 'PRG_INFLUX_REJECTED')) {
          await this.writeEachLine(body.toString('utf8').split('\n'));
          return true;
        }
        this.o.metrics.writeErrors++;
        if (attempt >= retries) return false;
        await this.sleep(100 * 4 ** attempt);
      }
    }
  }

  /**
   * A 400 names one bad line but may still have stored the others. Writing line by line
   * (idempotent) tells exactly which lines InfluxDB refuses, and those become dead letters.
   */
  private async writeEachLine(lines: string[]): Promise<void> {
    for (const line of lines) {
      try {
        await this.o.sink.write(line);
        this.o.metrics.written++;
      } catch (err) {
        if (!isPrognosError(err, 'PRG_INFLUX_REJECTED')) throw err;
        await this.o.onRejectedLine(line, err.message);
      }
    }
  }

  private ensureReplay(): void {
    if (this.replaying || this.stopped) return;
    this.replaying = this.replay().finally(() => {
      this.replaying = null;
    });
  }

  private async replay(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      const segment = await this.o.spool.oldest();
      if (!segment) {
        // Switch back to direct writes on the lane, so no batch is between "empty" and the switch.
        let drained = false;
        await (this.lane = this.lane.then(() => {
          drained = this.o.spool.isEmpty;
          if (drained) this.spooling = false;
        }));
        if (drained) {
          this.o.logger.info('spool drained: writing to InfluxDB directly again');
          return;
        }
        continue;
      }
      try {
        for (const frame of segment.frames) {
          await this.replayFrame(frame);
        }
        this.o.spool.remove(segment.id);
        backoff = 500;
      } catch {
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 15_000);
      }
    }
  }

  private async replayFrame(frame: string): Promise<void> {
    const lines = frame.split('\n');
    try {
      await this.o.sink.write(frame);
      this.o.metrics.written += lines.length;
    } catch (err) {
      if (!isPrognosError(err, 'PRG_INFLUX_REJECTED')) throw err;
      await this.writeEachLine(lines);
    }
    this.o.metrics.replayed += lines.length;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        cancel();
        this.sleepers.delete(wake);
        resolve();
      };
      const cancel = this.o.clock.setTimer(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
