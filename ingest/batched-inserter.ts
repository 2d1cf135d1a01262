import type { Clock } from '../platform/clock.ts';

/**
 * Gathers rows and inserts them together: a flood of bad payloads costs one INSERT per batch,
 * not per row. {@link add} resolves once its row is stored.
 */
export class BatchedInserter<Row> {
  private rows: Row[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private cancelTimer: (() => void) | null = null;
  private lane: Promise<void> = Promise.resolve();

  constructor(
    private readonly insert: (rows: Row[]) => Promise<void>,
    private readonly clock: Clock,
    private readonly maxRows = 500,
    private readonly maxDelayMs = 50,
  ) {}

  add(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.rows.push(row);
      this.waiters.push({ resolve, reject });
      if (this.rows.length >= this.maxRows) void this.flush();
      else if (!this.cancelTimer) this.cancelTimer = this.clock.setTimer(() => void this.flush(), this.maxDelayMs);
    });
  }

  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    const rows = this.rows;
    const waiters = this.waiters;
    if (rows.length > 0) {
      this.rows = [];
      this.waiters = [];
      this.lane = this.lane.then(async () => {
        try {
          await this.insert(rows);
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err);
        }
      });
    }
    return this.lane;
  }
}
