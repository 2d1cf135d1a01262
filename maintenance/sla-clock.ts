import { PrognosError } from '../platform/errors.ts';

/**
 * A ticket's SLA clock, pure: response (first triage) and resolution (close) targets by
 * severity, paused while the ticket waits on someone else (e.g. the customer), and breaches as
 * events. Time comes in as `now` from the injected clock; paused time moves both due times.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const HOUR = 3_600_000;
/** Targets (ms from opening, not counting paused time). */
export const SLA_TARGETS: Readonly<Record<Severity, { responseMs: number; resolutionMs: number }>> = {
  critical: { responseMs: 1 * HOUR, resolutionMs: 24 * HOUR },
  high: { responseMs: 4 * HOUR, resolutionMs: 72 * HOUR },
  medium: { responseMs: 24 * HOUR, resolutionMs: 7 * 24 * HOUR },
  low: { responseMs: 72 * HOUR, resolutionMs: 14 * 24 * HOUR },
};

export interface SlaFacts {
  severity: Severity;
  openedAt: number;
  respondedAt: number | null;
  closedAt: number | null;
  /** When the current pause began, or null when running. */
  pausedAt: number | null;
  /** Paused time of earlier (finished) pauses. */
  pausedMs: number;
  responseBreachedAt: number | null;
  resolutionBreachedAt: number | null;
}

export interface SlaStatus {
  paused: boolean;
  /** Due times as they stand at `now` (a running pause keeps pushing them). */
  responseDueAt: number;
  resolutionDueAt: number;
  responseBreached: boolean;
  resolutionBreached: boolean;
}

export type SlaBreach = 'response' | 'resolution';

function pausedUntil(f: SlaFacts, now: number): number {
  return f.pausedMs + (f.pausedAt !== null ? Math.max(0, now - f.pausedAt) : 0);
}

export function slaStatus(f: SlaFacts, now: number): SlaStatus {
  const target = SLA_TARGETS[f.severity];
  const paused = pausedUntil(f, now);
  const responseDueAt = f.openedAt + target.responseMs + paused;
  const resolutionDueAt = f.openedAt + target.resolutionMs + paused;
  return {
    paused: f.pausedAt !== null,
    responseDueAt,
    resolutionDueAt,
    // a met target stays met; while paused nothing can newly breach
    responseBreached: f.responseBreachedAt !== null || (f.respondedAt ?? now) > responseDueAt,
    resolutionBreached: f.resolutionBreachedAt !== null || (f.closedAt ?? now) > resolutionDueAt,
  };
}

/** Breaches that have happened by `now` and are not yet recorded (each is recorded once). */
export function newBreaches(f: SlaFacts, now: number): SlaBreach[] {
  const s = slaStatus(f, now);
  const out: SlaBreach[] = [];
  if (f.responseBreachedAt === null && s.responseBreached) out.push('response');
  if (f.resolutionBreachedAt === null && s.resolutionBreached) out.push('resolution');
  return out;
}

export function pause(f: SlaFacts, now: number): Pick<SlaFacts, 'pausedAt'> {
  if (f.closedAt !== null) throw new PrognosError('PRG_INVALID_TRANSITION', 'the ticket is closed; its SLA clock has stopped');
  if (f.pausedAt !== null) throw new PrognosError('PRG_INVALID_TRANSITION', 'the SLA clock is already paused');
  return { pausedAt: now };
}

export function resume(f: SlaFacts, now: number): Pick<SlaFacts, 'pausedAt' | 'pausedMs'> {
  if (f.pausedAt === null) throw new PrognosError('PRG_INVALID_TRANSITION', 'the SLA clock is not paused');
  return { pausedAt: null, pausedMs: f.pausedMs + Math.max(0, now - f.pausedAt) };
}
