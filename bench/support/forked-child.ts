import { type ChildProcess, fork } from 'node:child_process';
import { stopChild } from './daemons.ts';

/**
 * A TypeScript module run as its own Node process (through tsx) and spoken to over IPC with
 * typed messages. Every wait is bounded; {@link stop} kills what is left.
 */
export class ForkedChild<In extends { type: string }, Out extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly inbox: Out[] = [];
  private waiter: (() => void) | null = null;
  private exited = false;

  constructor(
    readonly name: string,
    moduleUrl: URL,
  ) {
    this.child = fork(moduleUrl, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Out) => {
      this.inbox.push(m);
      this.waiter?.();
    });
    this.child.once('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(msg: In): void {
    this.child.send(msg);
  }

  /** The next message of one of the given types; throws on a `failed` message, an exit or the timeout. */
  async next<T extends Out['type']>(types: readonly T[], timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => (types as readonly string[]).includes(m.type) || m.type === 'failed');
      if (i >= 0) {
        const [m] = this.inbox.splice(i, 1);
        if (m!.type === 'failed' && !(types as readonly string[]).includes('failed')) {
          throw new Error(`${this.name}: ${(m as unknown as { error: string }).error}`);
        }
        return m as Extract<Out, { type: T }>;
      }
      if (this.exited) throw new Error(`${this.name} exited before sending ${types.join('/')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${types.join('/')} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  stop(graceMs = 5000): Promise<void> {
    return stopChild(this.child, graceMs);
  }
}
