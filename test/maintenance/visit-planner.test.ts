import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  haversineKm,
  localTime,
  type PlannerCustomer,
  type PlannerTechnician,
  planVisit,
  travelMinutes,
  type VisitPlanRequest,
  visitDeadline,
  WEEKDAY_NAMES,
} from '../../maintenance/visit-planner.ts';
import { reviewBookedVisit } from '../../maintenance/visit-replan.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Monday 2026-03-02 08:00 UTC = 09:00 in Berlin (CET, before the DST switch). */
const NOW = Date.parse('2026-03-02T08:00:00Z');
const SITE = { lat: 52.52, lon: 13.405 }; // Berlin
const NEAR = { lat: 52.43, lon: 13.405 }; // ~10 km south
const FAR = { lat: 51.62, lon: 13.405 }; // ~100 km south
const WEEKDAYS_8_17 = { mon: [{ start: '08:00', end: '17:00' }], tue: [{ start: '08:00', end: '17:00' }], wed: [{ start: '08:00', end: '17:00' }], thu: [{ start: '08:00', end: '17:00' }], fri: [{ start: '08:00', end: '17:00' }] };

const alice: PlannerTechnician = { id: 'alice', name: 'Alice', skills: ['bearing_wear', 'seal_leak'], home: NEAR, timezone: 'Europe/Berlin', workingHours: WEEKDAYS_8_17, appointments: [] };
const bob: PlannerTechnician = { id: 'bob', name: 'Bob', skills: ['bearing_wear'], home: FAR, timezone: 'Europe/Berlin', workingHours: WEEKDAYS_8_17, appointments: [] };
const carol: PlannerTechnician = { id: 'carol', name: 'Carol', skills: ['electrical'], home: SITE, timezone: 'Europe/Berlin', workingHours: WEEKDAYS_8_17, appointments: [] };
const anyTime: PlannerCustomer = { timezone: 'Europe/Berlin', availability: [], quietHours: null };

function request(over: Partial<VisitPlanRequest> = {}): VisitPlanRequest {
  return { now: NOW, device: 'pump-1', mode: 'bearing_wear', rulLowerHours: 200, site: SITE, visitMinutes: 90, customer: anyTime, technicians: [alice, bob, carol], ...over };
}

describe('visit planner', () => {
  test('the deadline is the conservative RUL in wall time (duty cycle) minus the safety margin', () => {
    // 100 operating hours at 12 h/day = 200 wall hours; margin max(4 h, 20 %) = 40 h.
    assert.equal(visitDeadline(NOW, 100, 12), NOW + 160 * HOUR);
    // Short RUL: the 4 h floor applies.
    assert.equal(visitDeadline(NOW, 10), NOW + 6 * HOUR);
    assert.ok(Math.abs(haversineKm(SITE, FAR) - 100) < 1);
    assert.equal(travelMinutes(SITE, SITE), 0);
    assert.equal(travelMinutes(SITE, FAR), Math.ceil((haversineKm(SITE, FAR) / 50) * 60 + 15));
  });

  test('ranks the earliest nearby skilled technician first, with reasons and reason codes', () => {
    const plan = planVisit(request());
    assert.ok(plan.ok);
    const [best] = plan.slots;
    assert.equal(best?.technicianId, 'alice');
    assert.equal(best?.startsAt, Date.parse('2026-03-02T09:00:00Z'), '10:00 Berlin: the first grid slot after the 1 h lead time');
    assert.deepEqual(best?.reasonCodes, ['skill_match', 'earliest_feasible', 'least_travel', 'keeps_margin', 'from_home_base']);
    assert.match(best!.reason, /Alice \(skill bearing_wear\) on site 2026-03-02 10:00–11:30 Europe\/Berlin, \d+ min travel from the home base; ends \d+\.\d h before the failure deadline/);
    assert.ok(plan.slots.every((s) => s.technicianId !== 'carol'), 'no slot for a technician without the skill');
    assert.ok(plan.slots.length > 1 && plan.slots.length <= 5);
    for (let i = 1; i < plan.slots.length; i++) assert.ok(plan.slots[i]!.score >= plan.slots[i - 1]!.score);
    for (const a of plan.slots) for (const b of plan.slots) if (a !== b) assert.ok(Math.abs(a.startsAt - b.startsAt) >= 120 * MIN, 'slots spaced for a real choice');
  });

  test('existing appointments and travel from the previous site are respected', () => {
    const busy: PlannerTechnician = { ...alice, appointments: [{ startsAt: Date.parse('2026-03-02T09:00:00Z'), endsAt: Date.parse('2026-03-02T11:00:00Z'), location: { lat: 52.16, lon: 13.405 } }] };
    const plan = planVisit(request({ technicians: [busy] }), { maxSlots: 10, minSpacingMinutes: 0 });
    assert.ok(plan.ok);
    const travelBack = travelMinutes({ lat: 52.16, lon: 13.405 }, SITE);
    const firstToday = plan.slots.filter((s) => s.startsAt < Date.parse('2026-03-02T23:00:00Z')).sort((a, b) => a.startsAt - b.startsAt)[0]!;
    assert.ok(firstToday.startsAt >= Date.parse('2026-03-02T11:00:00Z') + travelBack * MIN);
    assert.equal(firstToday.travelFrom, 'previous_appointment');
    assert.equal(firstToday.travelMinutes, travelBack);
    assert.ok(firstToday.reasonCodes.includes('after_previous_appointment'));
  });

  test("the customer's availability and quiet hours bound the visit, in the customer's time zone", () => {
    // The customer is in Shanghai (UTC+8): only Tuesday 16:00–20:00 local, quiet after 19:00.
    const customer: PlannerCustomer = { timezone: 'Asia/Shanghai', availability: [{ day: 2, start: '16:00', end: '20:00' }], quietHours: { start: '19:00', end: '07:00' } };
    const plan = planVisit(request({ customer, technicians: [alice] }), { minSpacingMinutes: 0, maxSlots: 20 });
    assert.ok(plan.ok);
    for (const s of plan.slots) {
      const a = localTime(s.startsAt, 'Asia/Shanghai');
      const b = localTime(s.endsAt, 'Asia/Shanghai');
      assert.equal(a.day, 2);
      assert.ok(a.minutes >= 16 * 60 && b.minutes <= 19 * 60, `${a.minutes}-${b.minutes}`);
      assert.ok(s.reasonCodes.includes('within_customer_window') && s.reasonCodes.includes('outside_quiet_hours'));
    }
    // 16:00 Shanghai = 09:00 Berlin on Tuesday: the first slot.
    assert.equal(plan.slots[0]?.startsAt, Date.parse('2026-03-03T08:00:00Z'));
  });

  test('says why when nothing fits, so the caller can escalate to a human', () => {
    const passed = planVisit(request({ rulLowerHours: 3 }));
    assert.equal(passed.ok, false);
    assert.equal(!passed.ok && passed.code, 'deadline_passed');

    const noSkill = planVisit(request({ mode: 'gearbox_pitting' }));
    assert.ok(!noSkill.ok && noSkill.code === 'no_skilled_technician' && /gearbox_pitting/.test(noSkill.reason));

    // Friday 15:00 UTC with 40 h to the deadline: only the weekend and Friday evening remain.
    const friday = Date.parse('2026-03-06T15:00:00Z');
    const none = planVisit(request({ now: friday, rulLowerHours: 50, technicians: [alice] }));
    assert.ok(!none.ok);
    assert.equal(none.code, 'no_slot_before_deadline');
    assert.match(none.reason, /outside working hours/);
    assert.ok((none.rejected.outside_working_hours ?? 0) > 0);
  });

  test('property: every proposed slot is feasible and ends before the deadline', () => {
    const point = fc.record({ lat: fc.double({ min: 51, max: 53, noNaN: true }), lon: fc.double({ min: 12, max: 14.5, noNaN: true }) });
    const windowArb = fc.tuple(fc.integer({ min: 6, max: 12 }), fc.integer({ min: 2, max: 10 })).map(([h, len]) => ({ start: `${String(h).padStart(2, '0')}:00`, end: `${String(Math.min(23, h + len)).padStart(2, '0')}:00` }));
    const techArb = fc.record({
      id: fc.constantFrom('t1', 't2', 't3'),
      skills: fc.subarray(['bearing_wear', 'seal_leak'], { minLength: 1 }),
      home: point,
      timezone: fc.constantFrom('Europe/Berlin', 'UTC', 'Asia/Shanghai'),
      days: fc.subarray([...WEEKDAY_NAMES], { minLength: 1 }),
      window: windowArb,
      appts: fc.array(fc.record({ offH: fc.integer({ min: 0, max: 200 }), lenMin: fc.integer({ min: 30, max: 240 }), at: point }), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(techArb, { minLength: 1, maxLength: 3 }),
        fc.record({ tz: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Asia/Shanghai'), avail: fc.array(fc.record({ day: fc.integer({ min: 0, max: 6 }), w: windowArb }), { maxLength: 4 }), quiet: fc.option(fc.constantFrom({ start: '22:00', end: '07:00' }, { start: '12:00', end: '13:00' }), { nil: null }) }),
        fc.integer({ min: 2, max: 300 }),
        fc.integer({ min: 30, max: 240 }),
        fc.integer({ min: 0, max: 7 * 24 }),
        (techSpecs, c, rul, visitMinutes, nowOffH) => {
          const now = NOW + nowOffH * HOUR + 7 * MIN;
          const technicians: PlannerTechnician[] = techSpecs.map((t, i) => ({
            id: `${t.id}-${i}`,
            name: t.id,
            skills: t.skills,
            home: t.home,
            timezone: t.timezone,
            workingHours: Object.fromEntries(t.days.map((d) => [d, [t.window]])),
            appointments: t.appts.map((a) => ({ startsAt: now + a.offH * HOUR, endsAt: now + a.offH * HOUR + a.lenMin * MIN, location: a.at })),
          }));
          const customer: PlannerCustomer = { timezone: c.tz, availability: c.avail.map((a) => ({ day: a.day, ...a.w })), quietHours: c.quiet };
          const req = request({ now, rulLowerHours: rul, visitMinutes, technicians, customer });
          const plan = planVisit(req, { horizonDays: 5 });
          if (!plan.ok) {
            assert.ok(plan.reason.length > 0);
            return;
          }
          for (const s of plan.slots) {
            assert.ok(s.startsAt >= now && s.endsAt <= plan.deadline && s.endsAt - s.startsAt === visitMinutes * MIN);
            const tech = technicians.find((t) => t.id === s.technicianId)!;
            assert.ok(tech.skills.includes('bearing_wear'));
            assert.ok(tech.appointments.every((a) => a.endsAt <= s.startsAt || a.startsAt >= s.endsAt), 'overlaps an appointment');
            const a = localTime(s.startsAt, tech.timezone);
            const b = localTime(s.endsAt, tech.timezone);
            const w = tech.workingHours[WEEKDAY_NAMES[a.day]!]?.[0];
            assert.ok(w, 'on a working day');
            const toMin = (x: string) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3));
            assert.ok(a.minutes >= toMin(w.start) + s.travelMinutes || s.travelFrom === 'previous_appointment');
            assert.ok(b.minutes <= toMin(w.end) && b.date === a.date);
            const ca = localTime(s.startsAt, c.tz);
            const cb = localTime(s.endsAt, c.tz);
            if (customer.availability.length) assert.ok(customer.availability.some((x) => x.day === ca.day && toMin(x.start) <= ca.minutes && cb.minutes <= toMin(x.end)));
            if (c.quiet?.start === '22:00') assert.ok(ca.minutes >= 7 * 60 && cb.minutes <= 22 * 60);
            if (c.quiet?.start === '12:00') assert.ok(cb.minutes <= 12 * 60 || ca.minutes >= 13 * 60);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('re-planning', () => {
  const booked = { id: 'v1', technicianId: 'alice', startsAt: Date.parse('2026-03-04T09:00:00Z'), endsAt: Date.parse('2026-03-04T10:30:00Z') };
  const withBooking = (r: Partial<VisitPlanRequest> = {}) =>
    request({ technicians: [{ ...alice, appointments: [{ startsAt: booked.startsAt, endsAt: booked.endsAt, location: SITE }] }, bob], ...r });

  test('keeps a booked visit that still ends before the deadline', () => {
    const v = reviewBookedVisit(booked, withBooking());
    assert.equal(v.action, 'keep');
    assert.ok(v.action === 'keep' && v.marginHours > 0 && /before the failure deadline/.test(v.reason));
  });

  test('when the risk rises and the visit is now too late, proposes earlier slots', () => {
    const v = reviewBookedVisit(booked, withBooking({ rulLowerHours: 30 }));
    assert.equal(v.action, 'replan');
    assert.ok(v.action === 'replan' && v.cause === 'after_deadline' && v.plan.ok);
    if (v.action === 'replan' && v.plan.ok) {
      assert.ok(v.plan.slots.length > 0);
      for (const s of v.plan.slots) assert.ok(s.endsAt <= v.deadline && s.endsAt < booked.startsAt);
    }
  });

  test('after a cancellation the freed time is offered again', () => {
    const v = reviewBookedVisit(booked, withBooking({ now: Date.parse('2026-03-04T07:00:00Z') }), { cancelled: true, planner: { minSpacingMinutes: 0, maxSlots: 20 } });
    assert.ok(v.action === 'replan' && v.cause === 'cancelled' && v.plan.ok);
    if (v.action === 'replan' && v.plan.ok) assert.ok(v.plan.slots.some((s) => s.technicianId === 'alice' && s.startsAt === booked.startsAt));
  });
});
