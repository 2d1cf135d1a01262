import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfluxHttp, type InfluxSeries } from '../../platform/influx/influx-http.ts';
import { runScript as runScriptForResult } from './run-script.ts';

/**
 * Private service instances for tests: an InfluxDB and a Mosquitto per test file, each on free
 * loopback ports with its data in a fresh folder under `.test-data/instances/`, started through
 * the same scripts operators use (`scripts/influxdb.sh`, `scripts/mosquitto.sh`).
 *
 * Teardown: call `dispose()` on each instance (or `disposeAll()` in an `after` hook). Whatever a
 * test file leaves running is SIGKILLed, and its folder removed, when the process exits, and
 * by a watchdog if the process is killed before it can.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const INSTANCES_DIR = join(REPO, '.test-data', 'instances');

import { freePort } from './free-port.ts';

export { freePort };

export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Poll this often (default 100 ms). */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/** Polls `predicate` until it returns true; throws after `timeoutMs`. A throwing predicate counts as false. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: WaitForOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** A fresh name for an InfluxDB database, Redis key prefix, client id…: `<prefix>_<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping: everything started here, so nothing outlives the test process.

interface Tracked {
  readonly dir: string;
  /** Pid of the server process now, if it runs. */
  pid(): number | null;
  dispose(): Promise<void>;
}
const live = new Set<Tracked>();
let exitHookInstalled = false;
let manifest: string | null = null;

/**
 * A watchdog for a test process that dies without running its exit hook (SIGKILL, a runner
 * that gives up on it): a detached shell waits for this pid to end, then kills the servers
 * listed in the manifest (only if their command line still names their folder) and removes
 * the folders.
 */
function startWatchdog(): string {
  const file = join(INSTANCES_DIR, `.owner-${process.pid}`);
  writeFileSync(file, '');
  const script = `
    tail --pid=${process.pid} -f /dev/null 2>/dev/null
    while IFS= read -r dir; do
      [ -n "$dir" ] || continue
      for pidfile in "$dir"/*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/" && kill -9 "$pid"
      done
      rm -rf -- "$dir"
    done < "$1"
    rm -f -- "$1"`;
  spawn('bash', ['-c', script, 'watchdog', file], { detached: true, stdio: 'ignore' }).unref();
  return file;
}

function track(t: Tracked): void {
  live.add(t);
  manifest ??= startWatchdog();
  appendFileSync(manifest, `${t.dir}\n`);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const x of live) {
      const pid = x.pid();
      if (pid !== null) {
        process.stderr.write(`test/support/services: ${x.dir} was still running at exit (pid ${pid}); killed. Call dispose() in teardown.\n`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(x.dir, { recursive: true, force: true });
    }
    if (manifest) rmSync(manifest, { force: true });
  });
}

/** Stops every instance this module started and removes their folders (for an `after` hook). */
export async function disposeAll(): Promise<void> {
  await Promise.all([...live].map((x) => x.dispose()));
}

async function runScript(script: string, args: string[]): Promise<string> {
  const res = await runScriptForResult(script, args);
  const out = `${res.stdout}${res.stderr}`.trim();
  if (res.code !== 0) throw new Error(`${script} ${args.join(' ')} failed (exit ${res.code}):\n${out}`);
  return out;
}

/** The pid in `pidfile` if that process is alive (a zombie, left by a pid 1 that does not reap, is not). */
function readPid(pidfile: string): number | null {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? null : pid;
  } catch {
    return null;
  }
}

async function killHard(pidfile: string): Promise<void> {
  const pid = readPid(pidfile);
  if (pid === null) return;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => readPid(pidfile) === null, { timeoutMs: 5_000, intervalMs: 20, what: `pid ${pid} to die` });
}

async function twoFreePorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

function instanceDir(kind: string): string {
  mkdirSync(INSTANCES_DIR, { recursive: true });
  return mkdtempSync(join(INSTANCES_DIR, `${kind}-`));
}

// ---------------------------------------------------------------------------------------------
// InfluxDB

export interface StartInfluxOptions {
  /** HTTP port (default: a free one). */
  port?: number;
}

export interface InfluxInstance {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Backup/restore RPC port (influxd's `bind-address`). */
  readonly rpcPort: number;
  /** Data folder (config, meta/, data/, wal/, influxd.pid, influxd.log). */
  readonly dir: string;
  /** Starts the server again on the same ports with the same data. */
  start(): Promise<void>;
  /** SIGTERM; keeps the data. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: only what reached the WAL survives); keeps the data. */
  kill(): Promise<void>;
  /** Stops the server for good and removes its folder. */
  dispose(): Promise<void>;
  /** Runs InfluxQL (against `database`, when given); the series of the first statement. */
  query(influxql: string, database?: string): Promise<InfluxSeries[]>;
  /** Writes line protocol with millisecond timestamps. */
  write(lines: string, database: string): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

/** A private InfluxDB 1.x (Debian's influxd via scripts/influxdb.sh) on free loopback ports. */
export async function startInflux(opts: StartInfluxOptions = {}): Promise<InfluxInstance> {
  const [freeHttp, rpcPort] = await twoFreePorts();
  const port = opts.port ?? freeHttp;
  const dir = instanceDir('influx');
  const url = `http://127.0.0.1:${port}`;
  const args = ['--dir', dir, '--port', String(port), '--rpc-port', String(rpcPort), '--timeout', '30'];
  const pidfile = join(dir, 'influxd.pid');
  const client = (database: string) => new InfluxHttp({ url, database, token: undefined, retentionPolicy: undefined });
  let disposed = false;
  const instance: InfluxInstance & Tracked = {
    url,
    port,
    rpcPort,
    dir,
    pid: () => readPid(pidfile),
    async start() {
      await runScript('influxdb.sh', ['start', ...args]);
    },
    async stop() {
      await runScript('influxdb.sh', ['stop', ...args]);
    },
    kill: () => killHard(pidfile),
    async dispose() {
      if (disposed) return;
      disposed = true;
      live.delete(instance);
      await runScript('influxdb.sh', ['stop', ...args]).catch(() => killHard(pidfile));
      rmSync(dir, { recursive: true, force: true });
    },
    query: (influxql, database = '') => client(database).query(influxql),
    write: (lines, database) => client(database).write(lines),
    createDatabase: async (name) => {
      await client('').query(`CREATE DATABASE "${name}"`);
    },
  };
  track(instance);
  try {
    await instance.start();
  } catch (err) {
    await instance.dispose();
    throw err;
  }
  return instance;
}

// ---------------------------------------------------------------------------------------------
// Mosquitto

export interface StartMosquittoOptions {
  /** Listener port (default: a free one). */
  port?: number;
  /**
   * `true`: Mosquitto's own defaults (max_queued_messages 1000, no persistence) instead of the
   * recommended scripts/mosquitto/prognos.conf. Default false.
   */
  defaults?: boolean;
  /**
   * A config template instead of scripts/mosquitto/prognos.conf (scripts/mosquitto.sh --config: its
   * listener, persistence_location, pid_file, log_dest and user lines are replaced). Ignored with `defaults`.
   */
  config?: string;
}

export interface MosquittoInstance {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Starts the broker again on the same port with the same persistence folder. */
  start(): Promise<void>;
  /** SIGTERM (Mosquitto saves its persistence snapshot); keeps the data. */
  stop(): Promise<void>;
  /** SIGKILL: whatever arrived since the last autosave is lost. */
  kill(): Promise<void>;
  /** Stops the broker for good and removes its folder. */
  dispose(): Promise<void>;
  /** The broker's log so far (for failure messages). */
  log(): string;
}

/** A private Mosquitto (scripts/mosquitto.sh with prognos.conf, or its defaults) on a free loopback port. */
export async function startMosquitto(opts: StartMosquittoOptions = {}): Promise<MosquittoInstance> {
  const port = opts.port ?? (await freePort());
  const dir = instanceDir('mosquitto');
  const args = ['--dir', dir, '--port', String(port), ...(opts.defaults ? ['--defaults'] : opts.config ? ['--config', opts.config] : [])];
  const pidfile = join(dir, 'mosquitto.pid');
  let disposed = false;
  const instance: MosquittoInstance & Tracked = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    pid: () => readPid(pidfile),
    async start() {
      await runScript('mosquitto.sh', ['start', ...args]);
    },
    async stop() {
      await runScript('mosquitto.sh', ['stop', ...args]);
    },
    kill: () => killHard(pidfile),
    async dispose() {
      if (disposed) return;
      disposed = true;
      live.delete(instance);
      await runScript('mosquitto.sh', ['stop', ...args]).catch(() => killHard(pidfile));
      rmSync(dir, { recursive: true, force: true });
    },
    log() {
      try {
        return readFileSync(join(dir, 'mosquitto.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
  track(instance);
  try {
    await instance.start();
  } catch (err) {
    await instance.dispose();
    throw err;
  }
  return instance;
}
