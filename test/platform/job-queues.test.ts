import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { z } from 'zod';
import { AcceleratedClock, systemClock } from '../../platform/clock.ts';
import { PrognosError } from '../../platform/errors.ts';
import { createLogger } from '../../platform/logger.ts';
import { defineJob, jobIdOf } from '../../platform/queue/job-definition.ts';
import { JobQueues } from '../../platform/queue/job-queues.ts';
import { uniqueName, waitFor } from '../support/services.ts';

const REDIS = 'redis://127.0.0.1:6379';
const logger = createLogger({ log: { level: 'silent' } });
const open: JobQueues[] = [];

function queues(prefix: string, extra: Partial<ConstructorParameters<typeof JobQueues>[0]> = {}) {
  const q = new JobQueues({ redisUrl: REDIS, prefix, clock: systemClock, logger, ...extra });
  open.push(q);
  return q;
}

after(async () => {
  await Promise.all(open.map((q) => q.close()));
});

const schema = z.object({ ticket: z.string(), n: z.number().int() });

describe('JobQueues on real Redis', () => {
  test('the same job id enqueued twice runs once', async () => {
    const prefix = uniqueName('jq');
    const def = defineJob({ queue: 'notify', name: 'send', schema, jobId: (p) => jobIdOf('send', p.ticket) });
    const jobs = queues(prefix);
    const runs: number[] = [];
    const id1 = await jobs.enqueue(def, { ticket: 'T:1', n: 1 });
    const id2 = await jobs.enqueue(def, { ticket: 'T:1', n: 2 });
    assert.equal(id1, 'send.T_1');
    assert.equal(id1, id2);
    jobs.work(def, async (p) => void runs.push(p.n));
    await waitFor(async () => (await jobs.counts('notify')).completed === 1);
    // A third enqueue after completion is still a no-op: the completed job keeps its id.
    await jobs.enqueue(def, { ticket: 'T:1', n: 3 });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(runs, [1]);
    await jobs.obliterate(['notify']);
  });

  test('a payload that fails the schema is refused at enqueue and fails without retries in the worker', async () => {
    const prefix = uniqueName('jq');
    const def = defineJob({ queue: 'plan', name: 'plan', schema, jobId: (p) => p.ticket, attempts: 5, backoffMs: 50 });
    const jobs = queues(prefix);
    await assert.rejects(jobs.enqueue(def, { ticket: 'x', n: 1.5 }), (e: unknown) => e instanceof PrognosError && e.code === 'PRG_BAD_REQUEST');
    // A producer that bypasses the schema (old version, hand-made job) still cannot make it retry.
    const raw = new Queue('plan', { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    await raw.add('plan', { ticket: 7 }, { jobId: 'raw1', attempts: 5, backoff: { type: 'fixed', delay: 50 } });
    let calls = 0;
    jobs.work(def, async () => void calls++);
    await waitFor(async () => (await jobs.counts('plan')).failed === 1);
    const job = await raw.getJob('raw1');
    assert.equal(job?.attemptsMade, 1);
    assert.match(job?.failedReason ?? '', /bad payload/);
    assert.equal(calls, 0);
    await raw.obliterate({ force: true });
    await raw.close();
  });

  test('a transient fault is retried with backoff; a permanent coded error is not', async () => {
    const prefix = uniqueName('jq');
    const def = defineJob({ queue: 'verify', name: 'verify', schema, jobId: (p) => p.ticket, attempts: 4, backoffMs: 20 });
    const jobs = queues(prefix);
    const attempts = new Map<string, number[]>();
    jobs.work(def, async (p, ctx) => {
      attempts.set(p.ticket, [...(attempts.get(p.ticket) ?? []), ctx.attempt]);
      if (p.ticket === 'flaky' && ctx.attempt < 3) throw new Error('InfluxDB timeout');
      if (p.ticket === 'gone') throw new PrognosError('PRG_NOT_FOUND', 'no such ticket');
    });
    await jobs.enqueue(def, { ticket: 'flaky', n: 0 });
    await jobs.enqueue(def, { ticket: 'gone', n: 0 });
    await waitFor(async () => {
      const c = await jobs.counts('verify');
      return c.completed === 1 && c.failed === 1;
    });
    assert.deepEqual(attempts.get('flaky'), [1, 2, 3]);
    assert.deepEqual(attempts.get('gone'), [1]);
    await jobs.obliterate(['verify']);
  });

  test('a delay in clock time is divided by the clock rate (an accelerated hour passes in a second)', async () => {
    const prefix = uniqueName('jq');
    const clock = new AcceleratedClock(3600);
    const def = defineJob({ queue: 'remind', name: 'remind', schema, jobId: (p) => p.ticket });
    const jobs = queues(prefix, { clock });
    let ranAt = 0;
    jobs.work(def, async () => void (ranAt = Date.now()));
    const start = Date.now();
    await jobs.enqueue(def, { ticket: 'r', n: 0 }, { at: clock.now() + 3_600_000 });
    assert.equal((await jobs.counts('remind')).delayed, 1);
    await waitFor(() => ranAt > 0, { timeoutMs: 10_000 });
    assert.ok(ranAt - start >= 900, `ran after ${ranAt - start} ms`);
    await jobs.obliterate(['remind']);
  });

  test('a worker killed mid-job: the job is recovered as stalled and completed by another worker', async () => {
    const prefix = uniqueName('jq');
    const queue = 'escalate';
    const def = defineJob({ queue, name: 'step', schema: z.object({ n: z.number() }), jobId: (p) => `step.${p.n}` });
    const fixture = fileURLToPath(new URL('./fixtures/hanging-worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, prefix, queue], { stdio: ['ignore', 'pipe', 'inherit'] });
    const taken = new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('taken') && r()));
    const producer = queues(prefix);
    await producer.enqueue(def, { n: 1 });
    await taken;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const survivor = queues(prefix, { lockDurationMs: 1000, stalledIntervalMs: 500 });
    const done: number[] = [];
    survivor.work(def, async (p) => void done.push(p.n));
    await waitFor(() => done.length === 1, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(done, [1]);
    await producer.obliterate([queue]);
  });

  test('close() waits for a running job to finish', async () => {
    const prefix = uniqueName('jq');
    const def = defineJob({ queue: 'slow', name: 'slow', schema, jobId: (p) => p.ticket });
    const jobs = new JobQueues({ redisUrl: REDIS, prefix, clock: systemClock, logger });
    let started = false;
    let finished = false;
    jobs.work(def, async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 400));
      finished = true;
    });
    await jobs.enqueue(def, { ticket: 's', n: 0 });
    await waitFor(() => started);
    await jobs.close();
    assert.equal(finished, true);
    const cleanup = queues(prefix);
    await cleanup.obliterate(['slow']);
  });
});
