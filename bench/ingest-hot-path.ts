/**
 * The ingest hot path in one process, without MQTT or InfluxDB: what CPU and garbage
 * collection each message costs between "the MQTT client handed it over" and "its PUBACK may
 * leave". Two variants, each run in fresh processes, alternating:
 *
 *   current   the real IngestPipeline + InfluxWriter (ingest/), fed the way mqtt-source.ts
 *             feeds them (per message: accept → .finally → PUBACK gate .then), in-flight bound
 *   proposed  bench/support/lean-ingest-prototype.ts: the changes proposed in bench/README.md
 *
 * InfluxDB is a sink that answers after 2 ms + 1 ms per 24 kB (about the write rate measured by
 * ingest-e2e.ts). Every reading is valid and gap-free, as in ingest-e2e.ts.
 *
 *   node --import tsx bench/ingest-hot-path.ts [--messages 300000] [--devices 1000] [--repeat 3] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import type { DataQualityStore } from '../ingest/data-quality-store.ts';
import type { DeadLetterStore } from '../ingest/dead-letter-store.ts';
import { IngestMetrics } from '../ingest/ingest-metrics.ts';
import { IngestPipeline } from '../ingest/ingest-pipeline.ts';
import { InfluxWriter, type LineSink } from '../ingest/influx-writer.ts';
import { LivenessMonitor } from '../ingest/liveness-monitor.ts';
import { SeqGapDetector } from '../ingest/seq-gap-detector.ts';
import { Spool } from '../ingest/spool.ts';
import { systemClock } from '../platform/clock.ts';
import { fleetPayload, telemetryTopicOf } from './support/fleet-payload.ts';
import { type LeanChanges, LeanPipeline } from './support/lean-ingest-prototype.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '300000' },
    devices: { type: 'string', default: '1000' },
    'max-in-flight': { type: 'string', default: '20000' },
    'batch-size': { type: 'string', default: '5000' },
    repeat: { type: 'string', default: '3' },
    variant: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});
const N = Number(values.messages);
const DEVICES = Number(values.devices);
const MAX_IN_FLIGHT = Number(values['max-in-flight']);
const BATCH = Number(values['batch-size']);
const LIMITS = { maxPayloadBytes: 256 * 1024, maxReadingsPerMessage: 1000, maxFutureMs: 5 * 60_000, maxPastMs: 30 * 86_400_000 };

interface RunResult {
  variant: string;
  messages: number;
  acked: number;
  seconds: number;
  msgsPerS: number;
  cpuUsPerMessage: number;
  gcMs: number;
  gcShareOfCpu: number;
  peakHeapMiB: number;
}

const sink: LineSink = { write: (body) => new Promise((r) => setTimeout(r, 2 + body.length / 24_000)) };

function messages(): { topics: string[]; payloads: Buffer[] } {
  const baseTs = Date.now() - Math.ceil(N / DEVICES) - 60_000;
  const topics: string[] = [];
  const payloads: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    const device = i % DEVICES;
    topics.push(telemetryTopicOf('bench', `d-${String(device + 1).padStart(4, '0')}`));
    payloads.push(Buffer.from(fleetPayload(baseTs, Math.floor(i / DEVICES) + 1)));
  }
  return { topics, payloads };
}

/**
 * Feeds messages like a socket read loop (a few per macrotask) while fewer than the bound are
 * unacknowledged; resolves when every message is acknowledged (or after 120 s).
 */
function drive(handle: (id: number, i: number) => void, ackedSoFar: () => number, inFlight: () => number): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    const deadline = Date.now() + 120_000;
    const pump = () => {
      if (ackedSoFar() >= N) return resolve();
      if (Date.now() > deadline) return reject(new Error(`deadline: ${ackedSoFar()}/${N} acknowledged`));
      for (let k = 0; k < 64 && next < N && inFlight() < MAX_IN_FLIGHT; k++, next++) handle((next % 65535) + 1, next);
      setImmediate(pump);
    };
    pump();
  });
}

async function runCurrent(topics: string[], payloads: Buffer[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-hot-path-'));
  const metrics = new IngestMetrics();
  const writer = new InfluxWriter({
    sink,
    spool: new Spool({ dir, maxBytes: 1 << 30 }),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    metrics,
    batchSize: BATCH,
    flushMs: 50,
    onRejectedLine: async () => {},
  });
  // Valid, gap-free readings never reach the SQL stores.
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not expected in this benchmark')) });
  const pipeline = new IngestPipeline({
    writer,
    deadLetters: unused as DeadLetterStore,
    dataQuality: unused as DataQualityStore,
    seq: new SeqGapDetector(),
    liveness: new LivenessMonitor({ gapFactor: 5 }),
    metrics,
    clock: systemClock,
    limits: LIMITS,
  });
  writer.start();
  // Per message, what mqtt-source.ts does: onMessage's bookkeeping and the PUBACK gate's .then.
  const persisting = new Map<number, Promise<void>>();
  const outstanding = new Set<Promise<void>>();
  let inFlight = 0;
  let acked = 0;
  await drive(
    (id, i) => {
      inFlight++;
      const done = pipeline.accept(topics[i]!, payloads[i]!).finally(() => {
        inFlight--;
        outstanding.delete(done);
      });
      outstanding.add(done);
      persisting.set(id, done);
      const persisted = persisting.get(id)!;
      persisting.delete(id);
      persisted.then(() => acked++);
    },
    () => acked,
    () => inFlight,
  );
  await writer.stop();
  rmSync(dir, { recursive: true, force: true });
  return acked;
}

const VARIANTS: Record<string, Partial<LeanChanges> | 'current'> = {
  current: 'current',
  'batch-acks': { fastValidation: false, templateLine: false, topicCache: false },
  '+fast-validation': { fastValidation: true, templateLine: false, topicCache: false },
  '+template-line': { fastValidation: true, templateLine: true, topicCache: false },
  proposed: { fastValidation: true, templateLine: true, topicCache: true },
};

async function runLean(topics: string[], payloads: Buffer[], changes: Partial<LeanChanges>): Promise<number> {
  let inFlight = 0;
  let acked = 0;
  const pipeline = new LeanPipeline({
    sink,
    seq: new SeqGapDetector(),
    liveness: new LivenessMonitor({ gapFactor: 5 }),
    batchSize: BATCH,
    flushMs: 50,
    window: { maxFutureMs: LIMITS.maxFutureMs, maxPastMs: LIMITS.maxPastMs },
    ack: (ids) => {
      inFlight -= ids.length;
      acked += ids.length;
    },
    changes,
  });
  await drive(
    (id, i) => {
      inFlight++;
      pipeline.accept(id, topics[i]!, payloads[i]!);
    },
    () => acked,
    () => inFlight,
  );
  await pipeline.flush();
  return acked;
}

async function runVariant(variant: string): Promise<RunResult> {
  const { topics, payloads } = messages();
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const changes = VARIANTS[variant];
  if (!changes) throw new Error(`--variant: one of ${Object.keys(VARIANTS).join(', ')}`);
  const acked = changes === 'current' ? await runCurrent(topics, payloads) : await runLean(topics, payloads, changes);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 50)); // let the last gc entries arrive
  obs.disconnect();
  const cpuUs = cpu.user + cpu.system;
  return {
    variant,
    messages: N,
    acked,
    seconds,
    msgsPerS: acked / seconds,
    cpuUsPerMessage: cpuUs / N,
    gcMs,
    gcShareOfCpu: (gcMs * 1000) / cpuUs,
    peakHeapMiB: peakHeap / 1024 / 1024,
  };
}

if (values.variant) {
  process.stdout.write(`${JSON.stringify(await runVariant(values.variant))}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const runs: RunResult[] = [];
  for (let r = 0; r < Number(values.repeat); r++) {
    for (const variant of Object.keys(VARIANTS)) {
      const args = ['--import', 'tsx', self, '--variant', variant, '--messages', String(N), '--devices', String(DEVICES), '--max-in-flight', String(MAX_IN_FLIGHT), '--batch-size', String(BATCH)];
      const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 180_000 });
      if (child.status !== 0) throw new Error(`${variant}: exit ${child.status}\n${child.stderr}`);
      runs.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as RunResult);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(`ingest hot path, ${N.toLocaleString('en-US')} messages, ${DEVICES} devices, ${MAX_IN_FLIGHT} in flight, batches of ${BATCH} (median of ${values.repeat})\n`);
  process.stdout.write('variant            msg/s     CPU µs/msg  GC ms  GC % of CPU  peak heap MiB\n');
  for (const variant of Object.keys(VARIANTS)) {
    const mine = runs.filter((r) => r.variant === variant);
    if (mine.some((r) => r.acked !== N)) throw new Error(`${variant}: not every message was acknowledged`);
    process.stdout.write(
      `${variant.padEnd(17)}  ${Math.round(median(mine.map((r) => r.msgsPerS))).toLocaleString('en-US').padStart(8)}  ${median(mine.map((r) => r.cpuUsPerMessage)).toFixed(1).padStart(10)}  ${Math.round(median(mine.map((r) => r.gcMs))).toString().padStart(5)}  ${(100 * median(mine.map((r) => r.gcShareOfCpu))).toFixed(0).padStart(10)} %  ${median(mine.map((r) => r.peakHeapMiB)).toFixed(0).padStart(13)}\n`,
    );
  }
  const out = values.out ?? fileURLToPath(new URL(`./results/ingest-hot-path-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url));
  const command = `node --import tsx bench/ingest-hot-path.ts ${process.argv.slice(2).join(' ')}`.trim();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ benchmark: 'ingest-hot-path', date: new Date().toISOString(), command, node: process.version, options: { messages: N, devices: DEVICES, maxInFlight: MAX_IN_FLIGHT, batchSize: BATCH }, runs }, null, 2)}\n`);
  process.stdout.write(`wrote ${relative(process.cwd(), out)}\n`);
}
