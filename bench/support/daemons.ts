import { freePort } from '../../test/support/free-port.ts';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Private InfluxDB and Mosquitto instances for a benchmark: loopback only, free ports, data
 * under a directory the caller owns and removes. Started with the project's scripts
 * (`scripts/influxdb.sh`, `scripts/mosquitto.sh`: the configuration we recommend) when they
 * exist, else spawned directly with the same settings; either way the daemon's pid is known,
 * so its CPU is measured from /proc, and {@link Daemon.stop} ends it.
 */

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** How it was started (the project script, or spawned by the benchmark). */
  readonly startedBy: string;
  /** A graceful stop, then a kill after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const SCRIPTS = fileURLToPath(new URL('../../scripts/', import.meta.url));

function runScript(script: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(SCRIPTS, script), ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/${script} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A daemon started by a project script that writes `<dir>/<pidFile>` and stops it with `stop`. */
async function startWithScript(name: string, script: string, dir: string, pidFile: string, args: string[], url: (port: number) => string, port: number): Promise<Daemon> {
  const common = ['--dir', dir, '--port', String(port)];
  await runScript(script, ['start', ...common, ...args], 120_000);
  const pid = Number(readFileSync(join(dir, pidFile), 'utf8').trim());
  if (!Number.isInteger(pid) || !alive(pid)) throw new Error(`scripts/${script} start: no live pid in ${join(dir, pidFile)}`);
  return {
    name,
    pid,
    port,
    url: url(port),
    startedBy: `scripts/${script}`,
    async stop(graceMs = 20_000) {
      await runScript(script, ['stop', ...common], graceMs + 10_000).catch(() => undefined);
      // The scripts escalate to SIGKILL themselves; this is the last resort if one failed outright.
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      await waitUntil(() => !alive(pid), 5000, `${name} (pid ${pid}) to exit`).catch(() => undefined);
    },
  };
}

export { freePort };

/** Polls `probe` every `intervalMs` until it is true; throws after `timeoutMs`. */
export async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Waits for a child to exit, escalating to SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function spawnDaemon(name: string, cmd: string, args: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (err) => (log += `\n${name}: ${err.message}`));
  return { child, log: () => log };
}

async function ready(name: string, d: { child: ChildProcess; log: () => string }, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  try {
    await waitUntil(async () => {
      if (d.child.exitCode !== null) throw new Error(`${name} exited with ${d.child.exitCode}`);
      return probe();
    }, timeoutMs, name);
  } catch (err) {
    d.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${d.log()}`);
  }
}

/** InfluxDB 1.x on a free loopback HTTP port (and a free RPC port), data in `dir`. */
export async function startInfluxd(dir: string): Promise<Daemon> {
  const port = await freePort();
  const rpc = await freePort();
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(SCRIPTS, 'influxdb.sh'))) {
    return startWithScript('influxd', 'influxdb.sh', dir, 'influxd.pid', ['--rpc-port', String(rpc)], (p) => `http://127.0.0.1:${p}`, port);
  }
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
  const d = spawnDaemon('influxd', 'influxd', ['-config', conf]);
  const url = `http://127.0.0.1:${port}`;
  await ready(
    'influxd',
    d,
    async () => {
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        return res.status === 204;
      } catch {
        return false;
      }
    },
    30_000,
  );
  return { name: 'influxd', pid: d.child.pid!, port, url, startedBy: 'spawned by the benchmark', stop: (graceMs = 10_000) => stopChild(d.child, graceMs) };
}

/**
 * Mosquitto with the project's recommended broker settings (`scripts/mosquitto/prognos.conf`:
 * queues bounded by bytes, so a backlog is kept rather than cut at 1,000 messages) on a free
 * loopback port with a private persistence directory: through `scripts/mosquitto.sh` when it
 * exists, else spawned here from the same file (or equivalent settings when it is absent).
 */
export async function startMosquitto(dir: string): Promise<Daemon> {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (existsSync(join(SCRIPTS, 'mosquitto.sh'))) {
    return startWithScript('mosquitto', 'mosquitto.sh', dir, 'mosquitto.pid', [], (p) => `mqtt://127.0.0.1:${p}`, port);
  }
  const recommended = new URL('../../scripts/mosquitto/prognos.conf', import.meta.url);
  const base = existsSync(recommended)
    ? readFileSync(recommended, 'utf8')
    : ['allow_anonymous true', 'persistence true', 'max_queued_messages 0', 'max_queued_bytes 4294967296', 'max_inflight_messages 1000'].join('\n');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    base
      .split('\n')
      .filter((l) => !/^\s*(listener|port|bind_address|persistence_location|log_dest|log_type|pid_file)\b/.test(l))
      .concat([`listener ${port} 127.0.0.1`, `persistence_location ${dir}/data/`, 'log_dest stderr', 'log_type error', 'log_type warning', ''])
      .join('\n'),
  );
  const d = spawnDaemon('mosquitto', 'mosquitto', ['-c', conf]);
  await ready('mosquitto', d, () => tcpAccepts(port), 10_000);
  return { name: 'mosquitto', pid: d.child.pid!, port, url: `mqtt://127.0.0.1:${port}`, startedBy: 'spawned by the benchmark', stop: (graceMs = 10_000) => stopChild(d.child, graceMs) };
}
