/**
 * Visit planning: a pure function from a failure forecast, the technicians' calendars and the
 * customer's constraints to ranked visit slots that end before the predicted failure. No I/O,
 * no clock: `now` is an input, so the same request always gives the same plan.
 */

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** Local wall-clock window 'HH:MM'–'HH:MM' (end after start). */
export interface LocalWindow {
  start: string;
  end: string;
}

export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAY_NAMES)[number];

export interface Appointment {
  startsAt: number;
  endsAt: number;
  location: GeoPoint;
  /** e.g. the visit id, for reasons. */
  label?: string;
}

/** A technician as the planner sees one (the registry's shape plus the calendar). */
export interface PlannerTechnician {
  id: string;
  name: string;
  /** Failure mode ids (or skill names) the technician may repair. */
  skills: readonly string[];
  home: GeoPoint;
  /** IANA zone of `workingHours`. */
  timezone: string;
  /** Working windows per weekday, local to `timezone`; a missing day is a day off. */
  workingHours: Partial<Record<Weekday, readonly LocalWindow[]>>;
  /** Existing visits (booked), any order. */
  appointments: readonly Appointment[];
}

export interface PlannerCustomer {
  timezone: string;
  /** Weekly windows (day 0 = Sunday) in which a visit may happen. Empty = any time. */
  availability: readonly { day: number; start: string; end: string }[];
  /** No visit may touch these local hours; start > end wraps midnight (22:00–07:00). */
  quietHours: LocalWindow | null;
}

export interface VisitPlanRequest {
  /** Epoch ms. */
  now: number;
  device: string;
  mode: string;
  /** Conservative remaining useful life in operating hours (the prediction's rulLowerHours). */
  rulLowerHours: number;
  /** Operating hours per calendar day, to turn operating hours into wall time (default 24: runs round the clock). */
  dutyHoursPerDay?: number;
  /** Skill the repair needs (default: the failure mode id). */
  requiredSkill?: string;
  site: GeoPoint;
  /** How long the visit takes on site. */
  visitMinutes: number;
  customer: PlannerCustomer;
  technicians: readonly PlannerTechnician[];
}

export interface VisitPlannerOptions {
  /** Safety margin as a share of the wall-time RUL (default 0.2). */
  safetyMarginFraction?: number;
  /** ... but never less than this many hours (default 4). */
  minSafetyMarginHours?: number;
  /** Candidate start times are on this grid, in minutes (default 30). */
  slotStepMinutes?: number;
  /** Earliest start after `now`, in minutes: time to prepare parts and tell the customer (default 60). */
  leadTimeMinutes?: number;
  /** Search no further ahead than this many days even if the deadline is later (default 14). */
  horizonDays?: number;
  /** Average road speed for travel estimates, km/h (default 50). */
  averageSpeedKmh?: number;
  /** Added to every trip between different places, minutes (default 15: parking, sign-in). */
  travelBufferMinutes?: number;
  /** Require the technician to be back home within working hours after the last visit of the day (default true). */
  returnHomeWithinWorkingHours?: boolean;
  /** How many slots to return (default 5). */
  maxSlots?: number;
  /** Returned slots start at least this far apart, so the customer gets a real choice (default 120). */
  minSpacingMinutes?: number;
  /** Ranking: minutes of travel that weigh as much as one hour of delay (default 20). */
  travelMinutesPerHourOfDelay?: number;
}

export const VISIT_PLANNER_DEFAULTS: Required<VisitPlannerOptions> = {
  safetyMarginFraction: 0.2,
  minSafetyMarginHours: 4,
  slotStepMinutes: 30,
  leadTimeMinutes: 60,
  horizonDays: 14,
  averageSpeedKmh: 50,
  travelBufferMinutes: 15,
  returnHomeWithinWorkingHours: true,
  maxSlots: 5,
  minSpacingMinutes: 120,
  travelMinutesPerHourOfDelay: 20,
};

export type SlotReasonCode =
  | 'skill_match'
  | 'earliest_feasible'
  | 'least_travel'
  | 'keeps_margin'
  | 'from_home_base'
  | 'after_previous_appointment'
  | 'within_customer_window'
  | 'outside_quiet_hours';

export interface RankedSlot {
  technicianId: string;
  technicianName: string;
  startsAt: number;
  endsAt: number;
  /** Travel to the site, minutes, and where from. */
  travelMinutes: number;
  travelFrom: 'home_base' | 'previous_appointment';
  /** Hours between the visit's end and the deadline. */
  marginHours: number;
  /** Lower is better. */
  score: number;
  reasonCodes: SlotReasonCode[];
  reason: string;
}

export type RejectCode =
  | 'outside_working_hours'
  | 'technician_busy'
  | 'travel_from_previous'
  | 'travel_from_home'
  | 'travel_to_next'
  | 'travel_home'
  | 'customer_unavailable'
  | 'quiet_hours';

export type VisitPlan =
  | { ok: true; deadline: number; searchedUntil: number; slots: RankedSlot[] }
  | {
      ok: false;
      deadline: number;
      code: 'deadline_passed' | 'no_skilled_technician' | 'no_slot_before_deadline';
      reason: string;
      /** How often each constraint ruled a (time, technician) candidate out. */
      rejected: Partial<Record<RejectCode, number>>;
    };

const HOUR = 3_600_000;
const MIN = 60_000;

/** Wall-clock time by which the visit must be over: conservative RUL in wall time, minus the margin. */
export function visitDeadline(now: number, rulLowerHours: number, dutyHoursPerDay = 24, opts: VisitPlannerOptions = {}): number {
  const o = { ...VISIT_PLANNER_DEFAULTS, ...opts };
  const duty = Math.min(24, Math.max(dutyHoursPerDay, 1e-6));
  const wallHours = (rulLowerHours * 24) / duty;
  const margin = Math.max(o.minSafetyMarginHours, o.safetyMarginFraction * wallHours);
  return now + (wallHours - margin) * HOUR;
}

export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function travelMinutes(a: GeoPoint, b: GeoPoint, opts: VisitPlannerOptions = {}): number {
  const o = { ...VISIT_PLANNER_DEFAULTS, ...opts };
  const km = haversineKm(a, b);
  if (km < 0.05) return 0;
  return Math.ceil((km / o.averageSpeedKmh) * 60 + o.travelBufferMinutes);
}

// ---- local time ----

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

interface LocalTime {
  /** 0 = Sunday. */
  day: number;
  /** Minutes since local midnight. */
  minutes: number;
  /** YYYY-MM-DD. */
  date: string;
}

const SHORT_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export function localTime(ms: number, tz: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(tz).formatToParts(ms)) parts[p.type] = p.value;
  return { day: SHORT_DAYS.indexOf(parts.weekday!), minutes: Number(parts.hour) * 60 + Number(parts.minute), date: `${parts.year}-${parts.month}-${parts.day}` };
}

const hhmm = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
const fmtHhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The local span [start, end] of an interval, or null when it crosses local midnight. */
function localSpan(s: number, e: number, tz: string): { day: number; date: string; from: number; to: number } | null {
  const a = localTime(s, tz);
  const b = localTime(e, tz);
  if (a.date === b.date) return { day: a.day, date: a.date, from: a.minutes, to: b.minutes };
  if (b.minutes === 0 && e - s <= 24 * HOUR) return { day: a.day, date: a.date, from: a.minutes, to: 24 * 60 };
  return null;
}

function touchesQuietHours(from: number, to: number, q: LocalWindow): boolean {
  const qs = hhmm(q.start);
  const qe = hhmm(q.end);
  if (qs <= qe) return from < qe && to > qs;
  return from < qe || to > qs; // wraps midnight
}

// ---- planning ----

interface Feasible {
  tech: PlannerTechnician;
  startsAt: number;
  endsAt: number;
  travel: number;
  travelFrom: RankedSlot['travelFrom'];
}

function checkTechnician(tech: PlannerTechnician, s: number, e: number, site: GeoPoint, o: Required<VisitPlannerOptions>): Feasible | RejectCode {
  const span = localSpan(s, e, tech.timezone);
  if (!span) return 'outside_working_hours';
  const windows = tech.workingHours[WEEKDAY_NAMES[span.day]!] ?? [];
  const w = windows.find((x) => hhmm(x.start) <= span.from && span.to <= hhmm(x.end));
  if (!w) return 'outside_working_hours';
  const windowStart = s - (span.from - hhmm(w.start)) * MIN;
  const windowEnd = e + (hhmm(w.end) - span.to) * MIN;

  const appts = [...tech.appointments].sort((a, b) => a.startsAt - b.startsAt);
  if (appts.some((a) => a.startsAt < e && a.endsAt > s)) return 'technician_busy';
  const prev = appts.filter((a) => a.endsAt <= s && a.endsAt > windowStart).at(-1);
  const next = appts.find((a) => a.startsAt >= e && a.startsAt < windowEnd);

  let travel: number;
  let travelFrom: RankedSlot['travelFrom'];
  if (prev) {
    travel = travelMinutes(prev.location, site, o);
    travelFrom = 'previous_appointment';
    if (prev.endsAt + travel * MIN > s) return 'travel_from_previous';
  } else {
    travel = travelMinutes(tech.home, site, o);
    travelFrom = 'home_base';
    if (windowStart + travel * MIN > s) return 'travel_from_home';
  }
  if (next) {
    if (e + travelMinutes(site, next.location, o) * MIN > next.startsAt) return 'travel_to_next';
  } else if (o.returnHomeWithinWorkingHours && e + travelMinutes(site, tech.home, o) * MIN > windowEnd) {
    return 'travel_home';
  }
  return { tech, startsAt: s, endsAt: e, travel, travelFrom };
}

function checkCustomer(c: PlannerCustomer, s: number, e: number): RejectCode | null {
  const span = localSpan(s, e, c.timezone);
  if (!span) return 'customer_unavailable';
  if (c.availability.length > 0 && !c.availability.some((w) => w.day === span.day && hhmm(w.start) <= span.from && span.to <= hhmm(w.end))) return 'customer_unavailable';
  if (c.quietHours && touchesQuietHours(span.from, span.to, c.quietHours)) return 'quiet_hours';
  return null;
}

const REJECT_WORDS: Record<RejectCode, string> = {
  outside_working_hours: 'outside working hours',
  technician_busy: 'technician already booked',
  travel_from_previous: 'no time to travel from the previous visit',
  travel_from_home: 'no time to travel from the home base',
  travel_to_next: 'no time to reach the next visit',
  travel_home: 'no time to get back home within working hours',
  customer_unavailable: "outside the customer's availability",
  quiet_hours: "in the customer's quiet hours",
};

/** Finds and ranks feasible visit slots that end before the conservative failure deadline. */
export function planVisit(req: VisitPlanRequest, opts: VisitPlannerOptions = {}): VisitPlan {
  const o = { ...VISIT_PLANNER_DEFAULTS, ...opts };
  const deadline = visitDeadline(req.now, req.rulLowerHours, req.dutyHoursPerDay, o);
  const skill = req.requiredSkill ?? req.mode;
  const duration = req.visitMinutes * MIN;
  const step = o.slotStepMinutes * MIN;
  const first = Math.ceil((req.now + o.leadTimeMinutes * MIN) / step) * step;
  const deadlineIso = new Date(deadline).toISOString();

  if (first + duration > deadline) {
    return { ok: false, deadline, code: 'deadline_passed', reason: `the conservative failure deadline (${deadlineIso}, RUL ${req.rulLowerHours} operating hours minus the safety margin) leaves no time for a ${req.visitMinutes}-minute visit`, rejected: {} };
  }
  const skilled = req.technicians.filter((t) => t.skills.includes(skill));
  if (skilled.length === 0) {
    return { ok: false, deadline, code: 'no_skilled_technician', reason: `no technician has the skill ${skill}`, rejected: {} };
  }

  const searchedUntil = Math.min(deadline, req.now + o.horizonDays * 24 * HOUR);
  const rejected: Partial<Record<RejectCode, number>> = {};
  const reject = (c: RejectCode) => (rejected[c] = (rejected[c] ?? 0) + 1);
  const feasible: Feasible[] = [];
  for (let s = first; s + duration <= searchedUntil; s += step) {
    const e = s + duration;
    const customerReject = checkCustomer(req.customer, s, e);
    if (customerReject) {
      reject(customerReject);
      continue;
    }
    for (const tech of skilled) {
      const r = checkTechnician(tech, s, e, req.site, o);
      if (typeof r === 'string') reject(r);
      else feasible.push(r);
    }
  }

  if (feasible.length === 0) {
    const top = (Object.entries(rejected) as [RejectCode, number][]).sort((a, b) => b[1] - a[1]).slice(0, 3);
    const why = top.map(([c, n]) => `${REJECT_WORDS[c]} (${n})`).join(', ');
    const until = searchedUntil < deadline ? `within the ${o.horizonDays}-day search horizon` : `before the deadline ${deadlineIso}`;
    return { ok: false, deadline, code: 'no_slot_before_deadline', reason: `no feasible ${req.visitMinutes}-minute slot ${until} for ${skilled.length} technician(s) with skill ${skill}: ${why || 'no candidates'}`, rejected };
  }

  const score = (f: Feasible) => (f.startsAt - req.now) / HOUR + f.travel / o.travelMinutesPerHourOfDelay;
  const earliest = Math.min(...feasible.map((f) => f.startsAt));
  const leastTravel = Math.min(...feasible.map((f) => f.travel));
  const window = deadline - req.now;
  const ranked = feasible.map((f) => ({ f, score: score(f) })).sort((a, b) => a.score - b.score || a.f.startsAt - b.f.startsAt || a.f.tech.id.localeCompare(b.f.tech.id));

  const slots: RankedSlot[] = [];
  for (const { f, score: sc } of ranked) {
    if (slots.length >= o.maxSlots) break;
    if (slots.some((x) => Math.abs(x.startsAt - f.startsAt) < o.minSpacingMinutes * MIN)) continue;
    const marginHours = (deadline - f.endsAt) / HOUR;
    const codes: SlotReasonCode[] = ['skill_match'];
    if (f.startsAt === earliest) codes.push('earliest_feasible');
    if (f.travel === leastTravel) codes.push('least_travel');
    if (deadline - f.endsAt >= window / 2) codes.push('keeps_margin');
    codes.push(f.travelFrom === 'home_base' ? 'from_home_base' : 'after_previous_appointment');
    if (req.customer.availability.length > 0) codes.push('within_customer_window');
    if (req.customer.quietHours) codes.push('outside_quiet_hours');
    const local = localTime(f.startsAt, req.customer.timezone);
    const localEnd = localTime(f.endsAt, req.customer.timezone);
    const highlights = codes.includes('earliest_feasible') ? 'earliest feasible slot; ' : codes.includes('least_travel') ? 'least travel; ' : '';
    const reason =
      `${highlights}${f.tech.name} (skill ${skill}) on site ${local.date} ${fmtHhmm(local.minutes)}–${fmtHhmm(localEnd.minutes)} ${req.customer.timezone}, ` +
      `${f.travel} min travel from ${f.travelFrom === 'home_base' ? 'the home base' : 'the previous visit'}; ` +
      `ends ${marginHours.toFixed(1)} h before the failure deadline ${deadlineIso}`;
    slots.push({
      technicianId: f.tech.id,
      technicianName: f.tech.name,
      startsAt: f.startsAt,
      endsAt: f.endsAt,
      travelMinutes: f.travel,
      travelFrom: f.travelFrom,
      marginHours,
      score: sc,
      reasonCodes: codes,
      reason,
    });
  }
  return { ok: true, deadline, searchedUntil, slots };
}
