/**
 * Time source handed to everything that waits, windows or schedules, so tests can drive it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Like setTimeout; returns a function that cancels the timer. */
  setTimer(fn: () => void, ms: number): () => void;
  /**
   * Clock milliseconds per real millisecond: 1 for the system clock, e.g. 3600 for a demo whose
   * hour passes in a second. Things that wait outside the process (BullMQ delayed jobs, which
   * Redis times in real time) divide their delays by it. Absent = 1.
   */
  readonly rate?: number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** A clock that only moves when told to; timers fire in due order during {@link advance}. */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.current + Math.max(0, ms), fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }
}

/**
 * Time running `rate` times faster than real time from `start` (the demo: weeks of wear,
 * service visits and reminders within minutes). Timers take clock milliseconds.
 */
export class AcceleratedClock implements Clock {
  private readonly realStart = Date.now();

  constructor(
    readonly rate: number,
    private readonly start = Date.now(),
  ) {
    if (!(rate > 0)) throw new RangeError('rate must be > 0');
  }

  now(): number {
    return this.start + (Date.now() - this.realStart) * this.rate;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const t = setTimeout(fn, Math.max(0, ms) / this.rate);
    return () => clearTimeout(t);
  }
}

/** Real milliseconds until `clockMs` clock milliseconds have passed on `clock`. */
export function realDelayMs(clock: Clock, clockMs: number): number {
  return Math.max(0, clockMs) / (clock.rate ?? 1);
}
