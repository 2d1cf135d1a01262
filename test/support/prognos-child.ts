import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/prognos.mjs', import.meta.url));

export interface PrognosChild {
  readonly process: ChildProcess;
  /** Everything the child wrote to stderr/stdout so far (for failure messages). */
  output(): string;
  /** GET a JSON path on the child's HTTP port. */
  status(): Promise<{ ingest: Record<string, number> }>;
  /** SIGTERM and wait for a graceful exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<void>;
}

/**
 * Runs `prognos <command> [args…]` as its own process, with only the given environment on top of PATH,
 * and waits until its HTTP port answers.
 */
export async function startPrognos(commandLine: string | readonly string[], env: Record<string, string>, httpPort: number): Promise<PrognosChild> {
  const args = typeof commandLine === 'string' ? [commandLine] : [...commandLine];
  const command = args.join(' ');
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env, PROGNOS_HTTP_PORT: String(httpPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const base = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prognos ${command} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prognos ${command} did not answer on ${base} within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    output: () => out,
    async status() {
      const res = await fetch(`${base}/api/v1/status`);
      return (await res.json()) as { ingest: Record<string, number> };
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
