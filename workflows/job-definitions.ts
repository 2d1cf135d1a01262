import { z } from 'zod';
import { defineJob, jobIdOf } from '../platform/queue/job-definition.ts';

/**
 * Every BullMQ job of the service workflow, with its payload schema and idempotent id. The flow:
 *
 *   episode raised ─▶ ticket.open ─▶ visit.plan ─▶ proactive message (notification outbox) ─▶ escalate (delayed)
 *   customer confirms ─▶ (booked) ─▶ notify.reminder (delayed, 24 h before) ─▶ visit.start (delayed, at the visit)
 *   visit done ─▶ visit.verify (delayed: telemetry after maintenance) ─▶ ticket closed with an honest outcome
 *
 * Ids are facts, not counters: the same episode can only ever open one ticket job, the same
 * ticket only one proactive message, the same visit only one reminder. A worker that crashes
 * mid-step is retried (stalled recovery) and the retry finds the work done or does it once.
 */

const Tenant = z.string().min(1).max(64);

/**
 * One BullMQ queue per job kind: a BullMQ worker takes every job of its queue, and JobQueues
 * runs one worker per definition, so kinds sharing a queue would take each other's jobs.
 */
const queueOf = (name: string) => `workflow-${name.replace(/[^a-z]+/g, '-')}`;

export const ticketOpenJob = defineJob({
  queue: queueOf('ticket.open'),
  name: 'ticket.open',
  schema: z.object({ tenant: Tenant, episodeId: z.string().min(1) }),
  jobId: (p) => jobIdOf('ticket-open', p.episodeId),
});

export const visitPlanJob = defineJob({
  queue: queueOf('visit.plan'),
  name: 'visit.plan',
  // `round` makes a re-plan (cancellation, changed risk, customer asked for other times) a new job.
  schema: z.object({ tenant: Tenant, ticketId: z.string().min(1), round: z.number().int().nonnegative() }),
  jobId: (p) => jobIdOf('visit-plan', p.ticketId, p.round),
});

export const escalateJob = defineJob({
  queue: queueOf('escalate'),
  name: 'escalate',
  schema: z.object({ tenant: Tenant, ticketId: z.string().min(1), round: z.number().int().nonnegative(), step: z.number().int().nonnegative() }),
  jobId: (p) => jobIdOf('escalate', p.ticketId, p.round, p.step),
});

export const reminderJob = defineJob({
  queue: queueOf('notify.reminder'),
  name: 'notify.reminder',
  schema: z.object({ tenant: Tenant, ticketId: z.string().min(1), visitId: z.string().min(1) }),
  jobId: (p) => jobIdOf('reminder', p.visitId),
});

export const visitStartJob = defineJob({
  queue: queueOf('visit.start'),
  name: 'visit.start',
  schema: z.object({ tenant: Tenant, ticketId: z.string().min(1), visitId: z.string().min(1) }),
  jobId: (p) => jobIdOf('visit-start', p.visitId),
});

export const verifyJob = defineJob({
  queue: queueOf('visit.verify'),
  name: 'visit.verify',
  schema: z.object({ tenant: Tenant, ticketId: z.string().min(1), visitId: z.string().min(1), attempt: z.number().int().nonnegative() }),
  jobId: (p) => jobIdOf('verify', p.visitId, p.attempt),
});

/** Every workflow job by name: the relay (workflow-outbox.ts) finds a row's definition here. */
export const WORKFLOW_JOBS = {
  [ticketOpenJob.name]: ticketOpenJob,
  [visitPlanJob.name]: visitPlanJob,
  [escalateJob.name]: escalateJob,
  [reminderJob.name]: reminderJob,
  [visitStartJob.name]: visitStartJob,
  [verifyJob.name]: verifyJob,
} as const;

/** Every queue of the workflow (status and tests). */
export const WORKFLOW_QUEUES: readonly string[] = [...new Set(Object.values(WORKFLOW_JOBS).map((d) => d.queue))];
