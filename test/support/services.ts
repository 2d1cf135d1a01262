import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxHttp, type InfluxSeries } from '../../platform/influx/influx-http.ts';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export interface InfluxInstance {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server, keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  dispose(): Promise<void>;
  query(influxql: string, database: string): Promise<InfluxSeries[]>;
}

/** A private InfluxDB 1.x on free loopback ports with its data in a temp dir (removed at the final stop). */
export async function startInflux(): Promise<InfluxInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-influx-'));
  const port = await freePort();
  const rpc = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]',
      `  dir = "${dir}/meta"`,
      '[data]',
      `  dir = "${dir}/data"`,
      `  wal-dir = "${dir}/wal"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = '';
  const start = async () => {
    child = spawn('influxd', ['-config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const probe = new InfluxHttp({ url, database: '_internal', token: undefined, retentionPolicy: undefined });
    await waitFor(() => probe.ping(), { timeoutMs: 30_000, what: `influxd on ${url}` }).catch((err: Error) => {
      throw new Error(`${err.message}\n${log}`);
    });
  };
  const stopServer = async () => {
    const c = child;
    child = null;
    if (!c) return;
    c.kill('SIGTERM');
    await waitForExit(c, 10_000);
  };
  await start();
  return {
    url,
    port,
    dir,
    start,
    stop: stopServer,
    async dispose() {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
    query(influxql, database) {
      return new InfluxHttp({ url, database, token: undefined, retentionPolicy: undefined }).query(influxql);
    },
  };
}

export interface MosquittoInstance {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** A private Mosquitto on a free loopback port, configured with the project's recommended prognos.conf. */
export async function startMosquitto(): Promise<MosquittoInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-mosquitto-'));
  const port = await freePort();
  mkdirSync(join(dir, 'data'));
  const template = readFileSync(new URL('../../scripts/mosquitto/prognos.conf', import.meta.url), 'utf8');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    template
      .split('\n')
      .filter((l) => !/^\s*(listener|persistence_location|log_dest|pid_file)\b/.test(l))
      .concat([`listener ${port} 127.0.0.1`, `persistence_location ${dir}/data/`, 'log_dest stderr', ''])
      .join('\n'),
  );
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(true)); // port taken: mosquitto is listening
        s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
      }),
    { timeoutMs: 10_000, what: `mosquitto on ${port}` },
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${log}`);
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
