import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { JobDefinition } from '../platform/queue/job-definition.ts';
import type { JobQueues } from '../platform/queue/job-queues.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Database } from '../platform/sql/schema.ts';
import { WORKFLOW_JOBS } from './job-definitions.ts';

/**
 * The transactional outbox of the workflow: {@link writeJob} records a job as a row in the
 * caller's transaction; {@link WorkflowRelay} moves unrelayed rows into BullMQ under the job's
 * idempotent id and marks them. Crash after commit, before the add: the row is still there and
 * the next relay pass adds it. Crash after the add, before the mark: the next pass adds it again,
 * and BullMQ ignores a job id it already has.
 */

/** Writes one job row (a no-op when that job id was written before). `at`: clock time it is due. */
export async function writeJob<S extends z.ZodType>(db: Kysely<Database>, clock: Clock, def: JobDefinition<S>, payload: z.infer<S>, at?: number): Promise<string> {
  const parsed = def.schema.safeParse(payload);
  if (!parsed.success) throw new PrognosError('PRG_BAD_REQUEST', `job ${def.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const data = parsed.data as Record<string, unknown>;
  const jobId = def.jobId(parsed.data);
  await db
    .insertInto('workflow_outbox')
    .values({
      job_id: jobId,
      tenant: String(data.tenant ?? ''),
      name: def.name,
      payload: JSON.stringify(data),
      run_at: at === undefined ? null : new Date(at),
      created_at: new Date(clock.now()),
    })
    .onConflict((oc) => oc.column('job_id').doNothing())
    .execute();
  return jobId;
}

export interface WorkflowRelayOptions {
  /** Real milliseconds between passes over the table (rows other processes wrote). Default 1000. */
  pollMs?: number;
  /** Rows per pass. Default 200. */
  batch?: number;
}

export class WorkflowRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Rows relayed by this relay so far. */
  relayed = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly jobs: JobQueues,
    private readonly logger: Logger,
    private readonly options: WorkflowRelayOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
    this.kick();
  }

  /** Runs a pass soon (after a commit that wrote rows). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.relayAll()
      .then(() => undefined)
      .catch((err) => this.logger.warn({ err }, 'workflow relay pass failed; retrying on the next one'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.kick();
      this.schedule();
    }, this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Relays every pending row; returns how many were added. */
  async relayAll(): Promise<number> {
    let n = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('workflow_outbox')
        .selectAll()
        .where('relayed_at', 'is', null)
        .orderBy('created_at')
        .orderBy('job_id')
        .limit(this.options.batch ?? 200)
        .execute();
      if (rows.length === 0) return n;
      for (const r of rows) {
        const def = WORKFLOW_JOBS[r.name as keyof typeof WORKFLOW_JOBS];
        const payload = typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload;
        if (!def) {
          this.logger.error({ job: r.job_id, name: r.name }, 'workflow outbox row names no known job; marking it relayed');
        } else {
          await this.jobs.enqueue(def as JobDefinition, payload, r.run_at === null ? {} : { at: new Date(r.run_at).getTime() });
        }
        await this.db.updateTable('workflow_outbox').set({ relayed_at: new Date() }).where('job_id', '=', r.job_id).execute();
        n++;
        this.relayed++;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
