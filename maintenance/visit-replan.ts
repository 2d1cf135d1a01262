import { planVisit, type VisitPlan, type VisitPlannerOptions, type VisitPlanRequest, visitDeadline } from './visit-planner.ts';

/** A booked visit as re-planning sees it. */
export interface BookedVisit {
  id: string;
  technicianId: string;
  startsAt: number;
  endsAt: number;
}

export type ReplanVerdict =
  | { action: 'keep'; deadline: number; marginHours: number; reason: string }
  | { action: 'replan'; deadline: number; reason: string; cause: 'cancelled' | 'after_deadline'; plan: VisitPlan };

/**
 * Re-planning when the risk changes or a visit is cancelled. Given the newest conservative RUL
 * (in `request`), says whether the booked visit still ends before the deadline; if not — or if it
 * was cancelled — proposes new slots, planning as if the old visit were already gone from the
 * technician's calendar (the caller cancels it when a new one is booked).
 */
export function reviewBookedVisit(visit: BookedVisit, request: VisitPlanRequest, opts: { cancelled?: boolean; planner?: VisitPlannerOptions } = {}): ReplanVerdict {
  const deadline = visitDeadline(request.now, request.rulLowerHours, request.dutyHoursPerDay, opts.planner);
  const withoutOld: VisitPlanRequest = {
    ...request,
    technicians: request.technicians.map((t) =>
      t.id === visit.technicianId ? { ...t, appointments: t.appointments.filter((a) => !(a.startsAt === visit.startsAt && a.endsAt === visit.endsAt)) } : t,
    ),
  };
  if (opts.cancelled) {
    return { action: 'replan', deadline, cause: 'cancelled', reason: `visit ${visit.id} was cancelled`, plan: planVisit(withoutOld, opts.planner) };
  }
  if (visit.endsAt <= deadline) {
    const marginHours = (deadline - visit.endsAt) / 3_600_000;
    return { action: 'keep', deadline, marginHours, reason: `visit ${visit.id} ends ${marginHours.toFixed(1)} h before the failure deadline ${new Date(deadline).toISOString()}` };
  }
  return {
    action: 'replan',
    deadline,
    cause: 'after_deadline',
    reason: `visit ${visit.id} ends ${new Date(visit.endsAt).toISOString()}, after the new failure deadline ${new Date(deadline).toISOString()} (conservative RUL ${request.rulLowerHours} operating hours)`,
    plan: planVisit(withoutOld, opts.planner),
  };
}
