import type { Caller } from '../platform/caller.ts';
import { canSee } from './caller-access.ts';

/**
 * An event the product announces to connected dashboards and portals (new episode, ticket,
 * visit…). `tenant` scopes it; `customerId`, when set, lets that customer see it too (engineers of
 * the tenant and admins always do).
 */
export interface LiveEvent {
  /** e.g. `episode.opened`, `ticket.created`, `visit.scheduled` */
  readonly type: string;
  readonly tenant: string;
  readonly customerId?: string | null;
  readonly data: Record<string, unknown>;
}

export interface DeliveredEvent extends LiveEvent {
  /** Increasing per process; the SSE `id:`. */
  readonly id: number;
  readonly at: string;
}

export type LiveEventListener = (e: DeliveredEvent) => void;

/**
 * The in-process event bus behind `GET /api/v1/events`. Publishers call {@link publish}; each
 * subscriber sees only what its caller may see. In-process only: with several API processes,
 * each announces its own events (a Redis channel would join them; not needed for one process).
 */
export class LiveEvents {
  private readonly listeners = new Set<{ caller: Caller; fn: LiveEventListener }>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  publish(e: LiveEvent): DeliveredEvent {
    const delivered: DeliveredEvent = { ...e, id: this.nextId++, at: new Date(this.now()).toISOString() };
    for (const l of this.listeners) {
      if (!canSee(l.caller, e.tenant, e.customerId)) continue;
      try {
        l.fn(delivered);
      } catch {
        // one broken subscriber must not stop the others
      }
    }
    return delivered;
  }

  /** Starts delivering the caller's events to `fn`; returns the unsubscribe function. */
  subscribe(caller: Caller, fn: LiveEventListener): () => void {
    const entry = { caller, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
