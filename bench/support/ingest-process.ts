import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild, waitUntil } from './daemons.ts';

const BIN = fileURLToPath(new URL('../../bin/prognos.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('./ingest-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How the ingest process is started: the real CLI, or the same command without the rest of the CLI. */
export interface IngestLaunch {
  args: string[];
  description: string;
}

/**
 * `bin/prognos.mjs ingest` (through tsx) when the CLI loads; otherwise `cli/commands/ingest.ts`
 * on its own. `compiled`: compile first (`scripts/build.mjs`) and run `.build/cli/main.js`.
 */
export function chooseIngestLaunch(compiled = false): IngestLaunch {
  if (compiled) {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) throw new Error(`scripts/build.mjs failed: ${build.stderr}`);
    return { args: [`${ROOT}/.build/cli/main.js`, 'ingest', '--no-scoring'], description: 'node .build/cli/main.js ingest --no-scoring (compiled by scripts/build.mjs)' };
  }
  const probe = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status === 0) return { args: [BIN, 'ingest', '--no-scoring'], description: 'node bin/prognos.mjs ingest --no-scoring' };
  const why = (probe.stderr || probe.error?.message || '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${probe.status}`;
  return { args: ['--import', 'tsx', ENTRY, 'ingest', '--no-scoring'], description: `bench/support/ingest-entry.ts (cli/commands/ingest.ts; bin/prognos.mjs did not load: ${why.trim()})` };
}

export interface IngestStatus {
  messages: number;
  readingsReceived: number;
  written: number;
  spooled: number;
  replayed: number;
  writeErrors: number;
  rejectedTotal: number;
  rejected: Record<string, number>;
  seqGaps: number;
  seqMissing: number;
  dataGaps: number;
  gauges: Record<string, number>;
}

/** The ingest role as its own process, with the environment given and nothing inherited but PATH and HOME. */
export class IngestProcess {
  private child: ChildProcess | null = null;
  private output = '';
  readonly baseUrl: string;

  constructor(
    private readonly launch: IngestLaunch,
    private readonly env: Record<string, string>,
    httpPort: number,
    /** Extra node flags, e.g. `--cpu-prof` (Node 20 refuses it in NODE_OPTIONS). */
    private readonly nodeArgs: string[] = [],
    /** Also append everything it prints to this file (e.g. for `--trace-gc`). */
    private readonly logFile?: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${httpPort}`;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** Last lines of its stdout/stderr (for failure messages). */
  tail(): string {
    return this.output.slice(-3000);
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [...this.nodeArgs, ...this.launch.args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
      if (this.logFile) appendFileSync(this.logFile, d);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`ingest exited with ${child.exitCode}:\n${this.tail()}`);
        try {
          const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
          await res.body?.cancel();
          return res.ok;
        } catch {
          return false;
        }
      },
      timeoutMs,
      'ingest /healthz',
    );
  }

  async status(): Promise<IngestStatus> {
    const res = await fetch(`${this.baseUrl}/api/v1/status`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { ingest: IngestStatus };
    return body.ingest;
  }

  /** SIGTERM (a graceful stop that also writes a `--cpu-prof` profile), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<{ graceful: boolean }> {
    const child = this.child;
    if (!child) return { graceful: true };
    await stopChild(child, graceMs);
    return { graceful: child.signalCode !== 'SIGKILL' };
  }
}
