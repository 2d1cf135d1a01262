import { type ConnectionOptions, type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { z } from 'zod';
import { type Clock, realDelayMs } from '../clock.ts';
import { isPrognosError, PrognosError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobDefinition } from './job-definition.ts';

export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run. */
  readonly attempt: number;
  /** Aborted when the worker shuts down; long steps should honour it. */
  readonly signal: AbortSignal;
}

export type JobHandler<S extends z.ZodType> = (payload: z.infer<S>, ctx: JobContext) => Promise<unknown>;

export interface JobQueuesOptions {
  readonly redisUrl: string;
  /** Redis key prefix; tests use a fresh one each. Default `prognos`. */
  readonly prefix?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * How long a worker holds a job's lock, and how often stalled jobs (their worker died) are
   * moved back to waiting. Defaults 30 s / 15 s; tests shorten them to see recovery quickly.
   */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** Completed jobs are kept this long so a re-enqueued id stays a no-op. Default 7 days. */
  readonly keepCompletedMs?: number;
}

/** Codes that mean "this input will never succeed": the job fails at once instead of retrying. */
const PERMANENT = new Set(['PRG_BAD_REQUEST', 'PRG_NOT_FOUND', 'PRG_FORBIDDEN']);

/**
 * Owns the Redis connections of the job system: typed enqueue (idempotent ids, delays in clock
 * time) and workers (payload validated by the job's schema, bad input → UnrecoverableError,
 * transient faults → retries with exponential backoff, graceful close that waits for running
 * jobs, stalled-job recovery by BullMQ's lock expiry).
 */
export class JobQueues {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly connection: ConnectionOptions;
  private readonly abort = new AbortController();

  constructor(private readonly o: JobQueuesOptions) {
    const u = new URL(o.redisUrl);
    this.connection = {
      host: u.hostname,
      port: Number(u.port || 6379),
      username: u.username || undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
      tls: u.protocol === 'rediss:' ? {} : undefined,
      // Workers block on Redis; BullMQ requires unlimited retries per request for them.
      maxRetriesPerRequest: null,
    };
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.o.prefix ?? 'prognos' });
      q.on('error', (err) => this.o.logger.warn({ err, queue: name }, 'queue connection error'));
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Adds a job unless one with the same id exists (then this is a no-op and the id is returned).
   * `at` is a time on the injected clock; the delay Redis sees is converted to real time.
   */
  async enqueue<S extends z.ZodType>(def: JobDefinition<S>, payload: z.infer<S>, opts: { at?: number } = {}): Promise<string> {
    const parsed = def.schema.safeParse(payload);
    if (!parsed.success) throw new PrognosError('PRG_BAD_REQUEST', `job ${def.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const jobId = def.jobId(parsed.data);
    const delay = opts.at === undefined ? 0 : realDelayMs(this.o.clock, opts.at - this.o.clock.now());
    await this.queue(def.queue).add(def.name, parsed.data, {
      jobId,
      delay: Math.round(delay),
      attempts: def.attempts,
      backoff: { type: 'exponential', delay: def.backoffMs },
      removeOnComplete: { age: Math.round((this.o.keepCompletedMs ?? 7 * 86_400_000) / 1000) },
      removeOnFail: { age: 30 * 86_400 },
    });
    return jobId;
  }

  /** Runs `handler` for every job of `def` (one worker per definition's queue and name). */
  work<S extends z.ZodType>(def: JobDefinition<S>, handler: JobHandler<S>, opts: { concurrency?: number } = {}): void {
    const worker = new Worker(
      def.queue,
      async (job: Job) => {
        if (job.name !== def.name) throw new UnrecoverableError(`queue ${def.queue} has no handler for job ${job.name}`);
        const parsed = def.schema.safeParse(job.data);
        if (!parsed.success) throw new UnrecoverableError(`bad payload for ${def.name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
        try {
          return await handler(parsed.data, { jobId: job.id ?? '', attempt: job.attemptsMade + 1, signal: this.abort.signal });
        } catch (err) {
          if (isPrognosError(err) && PERMANENT.has(err.code)) throw new UnrecoverableError(`${err.code}: ${err.message}`);
          throw err;
        }
      },
      {
        connection: this.connection,
        prefix: this.o.prefix ?? 'prognos',
        concurrency: opts.concurrency ?? 4,
        lockDuration: this.o.lockDurationMs ?? 30_000,
        stalledInterval: this.o.stalledIntervalMs ?? 15_000,
        maxStalledCount: 2,
      },
    );
    worker.on('failed', (job, err) => this.o.logger.warn({ err, job: job?.id, name: def.name, attempt: job?.attemptsMade }, 'job failed'));
    worker.on('error', (err) => this.o.logger.warn({ err, queue: def.queue }, 'worker error'));
    this.workers.push(worker);
  }

  /** Counts per state for one queue (for status and tests). */
  async counts(queue: string): Promise<Record<string, number>> {
    return this.queue(queue).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  }

  /** Stops taking jobs, waits for running ones, closes every connection. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  /** Deletes every key of the given queues (tests). */
  async obliterate(queues: string[]): Promise<void> {
    for (const name of queues) await this.queue(name).obliterate({ force: true });
  }
}
