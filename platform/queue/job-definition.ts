import type { z } from 'zod';

/**
 * One kind of job: which queue it goes to, the zod schema of its payload (the same schema types
 * the producer and validates in the worker), and how its idempotent id is made. A job enqueued
 * twice with the same id runs once: that is what makes "a worker crashed, the step is retried"
 * safe for every producer.
 */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  readonly queue: string;
  readonly name: string;
  readonly schema: S;
  /** The idempotency key: equal payload facts → equal id. Characters [A-Za-z0-9._-] only. */
  readonly jobId: (payload: z.infer<S>) => string;
  /** Attempts before the job fails for good. Default 5. */
  readonly attempts: number;
  /** First retry delay; doubles each attempt. Default 2000 ms. */
  readonly backoffMs: number;
}

export function defineJob<S extends z.ZodType>(
  d: Pick<JobDefinition<S>, 'queue' | 'name' | 'schema' | 'jobId'> & Partial<Pick<JobDefinition<S>, 'attempts' | 'backoffMs'>>,
): JobDefinition<S> {
  return { attempts: 5, backoffMs: 2000, ...d };
}

const SAFE_ID = /[^A-Za-z0-9._-]/g;

/** Joins id parts into a job id BullMQ accepts (no ':' — it separates Redis key parts). */
export function jobIdOf(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(SAFE_ID, '_')).join('.');
}
