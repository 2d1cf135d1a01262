import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  getCustomer,
  getDevice,
  getTechnician,
  importFleet,
  listCustomers,
  listDevices,
  listSites,
  listTechnicians,
  deleteDevice,
  updateCustomerPreferences,
  upsertDevice,
} from '../../maintenance/fleet-registry.ts';
import type { FleetDocumentInput } from '../../maintenance/fleet-schema.ts';
import {
  checkSlaBreaches,
  closeTicket,
  getTicket,
  getTicketAudit,
  listTickets,
  openTicketForEpisode,
  pauseSla,
  recordCloseOut,
  resumeSla,
  tierMetrics,
  transitionTicket,
} from '../../maintenance/ticket-use-cases.ts';
import type { Caller } from '../../platform/caller.ts';
import { ManualClock } from '../../platform/clock.ts';
import { type ErrorCode, isPrognosError } from '../../platform/errors.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines as engines } from '../support/sql-engines.ts';

/** The maintenance store's contract on both engines: embedded PGlite and PostgreSQL. */


const H = 3_600_000;
const DAY = 24 * H;

const admin: Caller = { kind: 'admin', userId: 'root' };
const engA: Caller = { kind: 'engineer', userId: 'alice', tenant: 'acme' };
const engB: Caller = { kind: 'engineer', userId: 'bob', tenant: 'beta' };
const sysA: Caller = { kind: 'system', tenant: 'acme', reason: 'workflow' };
const custA1: Caller = { kind: 'customer', userId: 'carol', tenant: 'acme', customerId: 'A-C1' };
const custA2: Caller = { kind: 'customer', userId: 'dave', tenant: 'acme', customerId: 'A-C2' };
const custB1: Caller = { kind: 'customer', userId: 'erin', tenant: 'beta', customerId: 'B-C1' };

const hours = { mon: [{ start: '08:00', end: '17:00' }], tue: [{ start: '08:00', end: '17:00' }] };

function fleetA(): FleetDocumentInput {
  return {
    tenant: { id: 'acme', name: 'Acme Service' },
    customers: [
      { id: 'A-C1', name: 'Harbour Foods', contactEmail: 'ops@harbour.example', language: 'en', quietHours: { start: '22:00', end: '07:00' }, timezone: 'Europe/Berlin', availability: [{ day: 1, start: '08:00', end: '12:00' }] },
      { id: 'A-C2', name: '浦江水务', contactEmail: 'ops@pujiang.example', language: 'zh-CN', plainLanguage: true, timezone: 'Asia/Shanghai' },
      { id: 'A-C3', name: 'Careful Ltd', contactEmail: 'ops@careful.example', needsHuman: true },
    ],
    sites: [
      { id: 'A-S1', customerId: 'A-C1', name: 'Harbour plant', lat: 53.55, lon: 9.99, address: 'Kai 1, Hamburg' },
      { id: 'A-S2', customerId: 'A-C2', name: 'Pujiang works', lat: 31.2, lon: 121.5 },
      { id: 'A-S3', customerId: 'A-C3', name: 'Careful site', lat: 50, lon: 8 },
    ],
    devices: [
      { id: 'pump-a1', equipmentType: 'centrifugal_pump', model: 'CP-200', installedAt: '2024-03-01T00:00:00Z', customerId: 'A-C1', siteId: 'A-S1', criticality: 'medium' },
      { id: 'pump-a2', equipmentType: 'centrifugal_pump', model: 'CP-200', installedAt: '2024-03-02', customerId: 'A-C2', siteId: 'A-S2', criticality: 'low' },
      { id: 'drive-a3', equipmentType: 'motor_gearbox', model: 'MG-7', installedAt: '2023-01-01T00:00:00Z', customerId: 'A-C1', siteId: 'A-S1', criticality: 'critical' },
      { id: 'comp-a4', equipmentType: 'air_compressor', model: 'AC-50', installedAt: '2023-01-01T00:00:00Z', customerId: 'A-C3', siteId: 'A-S3', criticality: 'high' },
    ],
    technicians: [{ id: 'A-T1', name: 'Wang Lei', skills: ['bearing_wear', 'seal_wear'], homeLat: 53.5, homeLon: 10, workingHours: hours, timezone: 'Europe/Berlin' }],
  };
}

function fleetB(): FleetDocumentInput {
  return {
    tenant: { id: 'beta', name: 'Beta Maintenance' },
    customers: [{ id: 'B-C1', name: 'Beta Customer', contactEmail: 'x@beta.example' }],
    sites: [{ id: 'B-S1', customerId: 'B-C1', name: 'Beta site', lat: 1, lon: 2 }],
    devices: [{ id: 'pump-b1', equipmentType: 'centrifugal_pump', model: 'CP-200', installedAt: '2024-01-01', customerId: 'B-C1', siteId: 'B-S1' }],
    technicians: [{ id: 'B-T1', name: 'Beta Tech', skills: ['bearing_wear'], homeLat: 1, homeLon: 2, workingHours: hours }],
  };
}

async function rejects(p: Promise<unknown>, ...codes: ErrorCode[]): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(codes.some((c) => isPrognosError(err, c)), `expected ${codes.join('|')}, got ${String(err)}`);
    return true;
  });
}

const telemetry = (measuredAt: number) => ({ kind: 'telemetry' as const, postRisk: 0.05, exitThreshold: 0.3, measuredAt });

for (const engine of engines) {
  describe(`maintenance store on ${engine.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 8));
    const deps = () => ({ db, clock });
    let episode = 0;
    const nextEpisode = () => `ep-${engine.name}-${++episode}`;
    const open = (caller: Caller, device: string, mode: string, extra: Partial<{ severity: 'low' | 'medium' | 'high' | 'critical'; risk: number; episodeId: string }> = {}) =>
      openTicketForEpisode(deps(), caller, { episodeId: extra.episodeId ?? nextEpisode(), device, mode, severity: extra.severity ?? 'high', risk: extra.risk ?? 0.8, rulHours: 120 });
    const move = (caller: Caller, ticketId: string, action: Parameters<typeof transitionTicket>[2]['action'], reason = 'test step') => transitionTicket(deps(), caller, { ticketId, action, reason });
    /** Drives a ticket to in_progress with the visit done. */
    async function visitDone(ticketId: string): Promise<void> {
      await move(sysA, ticketId, { kind: 'triage' });
      await move(sysA, ticketId, { kind: 'propose_visit' });
      await move(sysA, ticketId, { kind: 'schedule', visitId: 'V-1' }, 'customer confirmed slot 2');
      await move(engA, ticketId, { kind: 'start_visit' }, 'technician on site');
      await move(engA, ticketId, { kind: 'complete_visit' }, 'bearing replaced');
    }

    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      db = await openDatabase(opened.config);
      await importFleet(deps(), admin, fleetA());
      await importFleet(deps(), admin, fleetB());
    });
    after(async () => {
      await db.destroy();
      await cleanup();
    });

    test('fleet import is an idempotent upsert: the same file twice changes nothing, a changed field updates one row', async () => {
      const snapshot = async () =>
        Promise.all(['tenants', 'customers', 'sites', 'devices', 'technicians'].map((t) => sql`select * from ${sql.table(t)} order by id`.execute(db).then((r) => r.rows)));
      const before = await snapshot();
      const again = await importFleet(deps(), engA, fleetA());
      assert.equal(again.tenantCreated, false);
      for (const k of ['customers', 'sites', 'devices', 'technicians'] as const) assert.deepEqual([again[k].inserted, again[k].updated], [0, 0], k);
      assert.deepEqual([again.customers.unchanged, again.devices.unchanged], [3, 4]);
      assert.deepEqual(await snapshot(), before);

      const changed = fleetA();
      changed.devices![0]!.criticality = 'high';
      const r = await importFleet(deps(), engA, changed);
      assert.deepEqual(r.devices, { inserted: 0, updated: 1, unchanged: 3 });
      assert.equal((await getDevice(deps(), engA, 'pump-a1')).criticality, 'high');
      await importFleet(deps(), engA, fleetA());
      assert.equal((await getDevice(deps(), engA, 'pump-a1')).criticality, 'medium');
    });

    test('fleet import refuses bad documents, other tenants, and ids owned by another tenant (all or nothing)', async () => {
      const bad = fleetA();
      bad.devices![0]!.siteId = 'nowhere';
      bad.customers![0]!.contactEmail = 'not-an-email';
      await assert.rejects(importFleet(deps(), admin, bad), (e) => isPrognosError(e, 'PRG_BAD_REQUEST') && /devices\.0\.siteId/.test(e.message) && /customers\.0\.contactEmail/.test(e.message));
      await rejects(importFleet(deps(), engA, fleetB()), 'PRG_FORBIDDEN');
      await rejects(importFleet(deps(), custA1, fleetA()), 'PRG_FORBIDDEN');
      await rejects(importFleet(deps(), engA, { ...fleetA(), tenant: { id: 'gamma', name: 'new' } }), 'PRG_FORBIDDEN');

      const hijack = fleetB();
      hijack.sites!.push({ id: 'B-S2', customerId: 'B-C1', name: 'new site', lat: 0, lon: 0 });
      hijack.devices!.push({ id: 'pump-a1', equipmentType: 'centrifugal_pump', model: 'X', installedAt: '2020-01-01', customerId: 'B-C1', siteId: 'B-S1' });
      await rejects(importFleet(deps(), engB, hijack), 'PRG_FORBIDDEN');
      assert.equal((await getDevice(deps(), admin, 'pump-a1')).tenant, 'acme', 'not moved');
      assert.equal((await listSites(deps(), engB)).length, 1, 'the whole import rolled back');
      // single-record upserts check the references' tenant too
      await rejects(upsertDevice(deps(), engB, 'beta', { id: 'pump-b9', equipmentType: 'centrifugal_pump', model: 'X', installedAt: '2020-01-01', customerId: 'A-C1', siteId: 'B-S1' }), 'PRG_BAD_REQUEST');
    });

    test('registry reads: engineers see their tenant, customers only their own, admins everything', async () => {
      assert.deepEqual((await listDevices(deps(), admin)).map((d) => d.id), ['comp-a4', 'drive-a3', 'pump-a1', 'pump-a2', 'pump-b1']);
      assert.deepEqual((await listDevices(deps(), engA)).map((d) => d.id), ['comp-a4', 'drive-a3', 'pump-a1', 'pump-a2']);
      assert.deepEqual((await listDevices(deps(), custA1)).map((d) => d.id), ['drive-a3', 'pump-a1']);
      assert.deepEqual((await listDevices(deps(), engB)).map((d) => d.id), ['pump-b1']);
      await rejects(listDevices(deps(), engA, { tenant: 'beta' }), 'PRG_FORBIDDEN');
      await rejects(listDevices(deps(), custA1, { customerId: 'A-C2' }), 'PRG_FORBIDDEN');
      await rejects(listDevices(deps(), custA1, { tenant: 'beta' }), 'PRG_FORBIDDEN');

      const d = await getDevice(deps(), custA1, 'pump-a1');
      assert.deepEqual(d, { id: 'pump-a1', tenant: 'acme', equipmentType: 'centrifugal_pump', model: 'CP-200', installedAt: '2024-03-01T00:00:00.000Z', customerId: 'A-C1', siteId: 'A-S1', criticality: 'medium' });
      await rejects(getDevice(deps(), custA2, 'pump-a1'), 'PRG_NOT_FOUND');
      await rejects(getDevice(deps(), engB, 'pump-a1'), 'PRG_NOT_FOUND');
      await rejects(getDevice(deps(), custB1, 'pump-a1'), 'PRG_NOT_FOUND');

      const c = await getCustomer(deps(), custA2, 'A-C2');
      assert.deepEqual([c.language, c.plainLanguage, c.timezone, c.quietHours], ['zh-CN', true, 'Asia/Shanghai', null]);
      assert.deepEqual((await getCustomer(deps(), engA, 'A-C1')).quietHours, { start: '22:00', end: '07:00' });
      await rejects(getCustomer(deps(), custA2, 'A-C1'), 'PRG_NOT_FOUND');
      await rejects(getCustomer(deps(), engB, 'A-C1'), 'PRG_NOT_FOUND');
      assert.deepEqual((await listCustomers(deps(), custA1)).map((x) => x.id), ['A-C1']);
      assert.deepEqual((await listCustomers(deps(), engA)).map((x) => x.id), ['A-C1', 'A-C2', 'A-C3']);
      await rejects(listCustomers(deps(), engB, { tenant: 'acme' }), 'PRG_FORBIDDEN');
      assert.deepEqual((await listSites(deps(), custA2)).map((x) => x.id), ['A-S2']);

      assert.deepEqual((await listTechnicians(deps(), engA, { skill: 'seal_wear' })).map((t) => t.id), ['A-T1']);
      assert.deepEqual(await listTechnicians(deps(), engA, { skill: 'winding_insulation' }), []);
      assert.deepEqual((await listTechnicians(deps(), engB)).map((t) => t.id), ['B-T1']);
      assert.deepEqual((await getTechnician(deps(), engA, 'A-T1')).workingHours, hours);
      await rejects(listTechnicians(deps(), custA1), 'PRG_FORBIDDEN');
      await rejects(getTechnician(deps(), engB, 'A-T1'), 'PRG_NOT_FOUND');
    });

    test('customers change their own preferences (opt-out, language, quiet hours), nobody else\'s', async () => {
      const c = await updateCustomerPreferences(deps(), custA2, 'A-C2', { optedOut: true, quietHours: { start: '21:30', end: '06:00' }, language: 'en' });
      assert.deepEqual([c.optedOut, c.quietHours, c.language, c.contactEmail], [true, { start: '21:30', end: '06:00' }, 'en', 'ops@pujiang.example']);
      await rejects(updateCustomerPreferences(deps(), custA1, 'A-C2', { optedOut: false }), 'PRG_NOT_FOUND');
      await rejects(updateCustomerPreferences(deps(), engB, 'A-C2', { optedOut: false }), 'PRG_NOT_FOUND');
      await rejects(updateCustomerPreferences(deps(), custA2, 'A-C2', { contactEmail: 'evil@example.com' } as never), 'PRG_BAD_REQUEST');
      await rejects(updateCustomerPreferences(deps(), custA2, 'A-C2', { preferredChannel: 'webhook' }), 'PRG_BAD_REQUEST');
      const back = await updateCustomerPreferences(deps(), engA, 'A-C2', { optedOut: false, quietHours: null, language: 'zh-CN' });
      assert.deepEqual([back.optedOut, back.quietHours, back.language], [false, null, 'zh-CN']);
    });

    test('a device without tickets can be removed by its tenant; others cannot see it to remove it', async () => {
      await upsertDevice(deps(), engA, 'acme', { id: 'pump-tmp', equipmentType: 'centrifugal_pump', model: 'X', installedAt: '2025-01-01', customerId: 'A-C1', siteId: 'A-S1' });
      await rejects(deleteDevice(deps(), engB, 'pump-tmp'), 'PRG_NOT_FOUND');
      await rejects(deleteDevice(deps(), custA1, 'pump-tmp'), 'PRG_FORBIDDEN');
      await deleteDevice(deps(), engA, 'pump-tmp');
      await rejects(getDevice(deps(), admin, 'pump-tmp'), 'PRG_NOT_FOUND');
    });

    test('one ticket per episode, even when two workers open it at once', async () => {
      const episodeId = nextEpisode();
      const [a, b] = await Promise.all([open(sysA, 'pump-a1', 'seal_wear', { episodeId }), open(sysA, 'pump-a1', 'seal_wear', { episodeId })]);
      assert.equal(a.ticket.id, b.ticket.id);
      assert.deepEqual([a.created, b.created].sort(), [false, true]);
      const again = await open(engA, 'pump-a1', 'seal_wear', { episodeId });
      assert.equal(again.created, false);
      await rejects(open(sysA, 'pump-a2', 'seal_wear', { episodeId }), 'PRG_BAD_REQUEST');
      const rows = await db.selectFrom('tickets').select('id').where('episode_id', '=', episodeId).execute();
      assert.equal(rows.length, 1);
      assert.equal((await getTicketAudit(deps(), engA, a.ticket.id)).filter((e) => e.action === 'opened').length, 1);
      await rejects(open(engB, 'pump-a1', 'seal_wear'), 'PRG_NOT_FOUND');
      await rejects(open(custA1, 'pump-a1', 'seal_wear'), 'PRG_FORBIDDEN');
      await rejects(open(sysA, 'no-such-device', 'seal_wear'), 'PRG_NOT_FOUND');
      await closeTicket(deps(), engA, { ticketId: a.ticket.id, outcome: 'false_alarm', reason: 'test cleanup' });
    });

    test('the full path to resolved_verified leaves a complete audit trail, and the trail cannot be changed', async () => {
      const { ticket } = await open(sysA, 'pump-a1', 'bearing_wear');
      assert.deepEqual([ticket.state, ticket.tier, ticket.tierReason], ['open', 'ai', 'routine']);
      clock.advance(H);
      await visitDone(ticket.id);
      clock.advance(6 * H);
      const closed = await closeTicket(deps(), sysA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: telemetry(clock.now() - H), reason: 'risk back under the exit threshold after the visit' });
      assert.deepEqual([closed.state, closed.outcome], ['closed', 'resolved_verified']);
      assert.ok(closed.respondedAt && closed.visitCompletedAt && closed.closedAt);

      const trail = await getTicketAudit(deps(), engA, ticket.id);
      assert.deepEqual(
        trail.map((e) => [e.action, e.fromState, e.toState]),
        [
          ['opened', null, 'open'],
          ['triage', 'open', 'triaged'],
          ['propose_visit', 'triaged', 'visit_proposed'],
          ['schedule', 'visit_proposed', 'scheduled'],
          ['start_visit', 'scheduled', 'in_progress'],
          ['complete_visit', 'in_progress', 'in_progress'],
          ['close', 'in_progress', 'closed'],
        ],
      );
      for (const e of trail) assert.ok(e.actor && e.reason && e.at, `who/what/why on ${e.action}`);
      assert.equal(trail[3]!.detail.visitId, 'V-1');
      assert.equal(trail[3]!.reason, 'customer confirmed slot 2');
      assert.equal(trail[4]!.actor, 'engineer:alice@acme');
      assert.deepEqual((trail[6]!.detail.evidence as { kind: string }).kind, 'telemetry');

      await assert.rejects(sql`update ticket_audit set reason = 'rewritten' where ticket_id = ${ticket.id}`.execute(db), /append-only/);
      await assert.rejects(sql`delete from ticket_audit where ticket_id = ${ticket.id}`.execute(db), /append-only/);
      assert.equal((await getTicketAudit(deps(), engA, ticket.id)).length, trail.length);
    });

    test('an illegal transition is refused, changes nothing and writes no audit row', async () => {
      const { ticket } = await open(sysA, 'pump-a2', 'bearing_wear');
      const before = await getTicketAudit(deps(), engA, ticket.id);
      await rejects(move(sysA, ticket.id, { kind: 'schedule', visitId: 'V-9' }), 'PRG_INVALID_TRANSITION');
      await rejects(move(sysA, ticket.id, { kind: 'start_visit' }), 'PRG_INVALID_TRANSITION');
      await rejects(closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'no_fault_found', reason: 'x' }), 'PRG_INVALID_TRANSITION');
      await rejects(transitionTicket(deps(), sysA, { ticketId: ticket.id, action: { kind: 'triage' }, reason: '   ' }), 'PRG_BAD_REQUEST');
      assert.equal((await getTicket(deps(), engA, ticket.id)).state, 'open');
      assert.deepEqual(await getTicketAudit(deps(), engA, ticket.id), before);
      await closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'abandoned', reason: 'test cleanup' });
      await rejects(move(engA, ticket.id, { kind: 'triage' }), 'PRG_INVALID_TRANSITION');
    });

    test('a customer who never answers: escalation, never resolved_verified; only customer_unreachable', async () => {
      const { ticket } = await open(sysA, 'pump-a2', 'seal_wear');
      await move(sysA, ticket.id, { kind: 'triage' });
      await move(sysA, ticket.id, { kind: 'propose_visit' }, 'offered 3 slots by email');
      clock.advance(48 * H);
      const escalated = await move(sysA, ticket.id, { kind: 'escalate' }, 'no answer within 48 h');
      assert.deepEqual([escalated.state, escalated.tier], ['visit_proposed', 'human']);
      assert.match(escalated.tierReason, /^escalated:no answer/);
      await rejects(closeTicket(deps(), sysA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: telemetry(clock.now()), reason: 'risk dropped' }), 'PRG_INVALID_TRANSITION');
      await rejects(
        closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: { kind: 'engineer_confirmed', reason: 'probably fine' }, reason: 'x' }),
        'PRG_INVALID_TRANSITION',
      );
      await rejects(move(sysA, ticket.id, { kind: 'start_visit' }), 'PRG_INVALID_TRANSITION');
      await rejects(move(custA2, ticket.id, { kind: 'schedule', visitId: 'V-2' }), 'PRG_FORBIDDEN');
      const closed = await closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'customer_unreachable', reason: 'three channels, no answer' });
      assert.equal(closed.outcome, 'customer_unreachable');
    });

    test('resolved_verified refuses telemetry still above the exit threshold; an engineer may confirm with a reason', async () => {
      const { ticket } = await open(sysA, 'pump-a1', 'seal_wear');
      await visitDone(ticket.id);
      clock.advance(H);
      await rejects(
        closeTicket(deps(), sysA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: { kind: 'telemetry', postRisk: 0.5, exitThreshold: 0.3, measuredAt: clock.now() }, reason: 'x' }),
        'PRG_INVALID_TRANSITION',
      );
      await rejects(closeTicket(deps(), sysA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: { kind: 'engineer_confirmed', reason: 'sure' }, reason: 'x' }), 'PRG_INVALID_TRANSITION');
      const t = await closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: { kind: 'engineer_confirmed', reason: 'seal replaced, leak test passed' }, reason: 'confirmed on site' });
      assert.equal(t.outcome, 'resolved_verified');
    });

    test('a new ticket for the same device and mode within 14 days marks the closed one repeat_within_14d', async () => {
      const first = (await open(sysA, 'pump-a2', 'valve_wear')).ticket;
      await closeTicket(deps(), engA, { ticketId: first.id, outcome: 'false_alarm', reason: 'looked fine' });
      clock.advance(3 * DAY);
      const second = (await open(sysA, 'pump-a2', 'valve_wear')).ticket;
      assert.equal(second.repeatOf, first.id);
      const relabelled = await getTicket(deps(), engA, first.id);
      assert.equal(relabelled.outcome, 'repeat_within_14d');
      const mark = (await getTicketAudit(deps(), engA, first.id)).at(-1)!;
      assert.deepEqual([mark.action, mark.detail.previousOutcome, mark.detail.newTicket], ['marked_repeat', 'false_alarm', second.id]);

      await closeTicket(deps(), engA, { ticketId: second.id, outcome: 'abandoned', reason: 'device decommissioned' });
      clock.advance(15 * DAY);
      const third = (await open(sysA, 'pump-a2', 'valve_wear')).ticket;
      assert.equal(third.repeatOf, null);
      assert.equal((await getTicket(deps(), engA, second.id)).outcome, 'abandoned');
      await closeTicket(deps(), engA, { ticketId: third.id, outcome: 'abandoned', reason: 'test cleanup' });
    });

    test("the technician's close-out is stored as a retraining label", async () => {
      const { ticket } = await open(sysA, 'pump-a1', 'cooler_fouling');
      await rejects(recordCloseOut(deps(), engA, { ticketId: ticket.id, confirmedMode: 'cooler_fouling', parts: [], findings: '' }), 'PRG_INVALID_TRANSITION');
      await visitDone(ticket.id);
      await rejects(recordCloseOut(deps(), custA1, { ticketId: ticket.id, confirmedMode: 'cooler_fouling' }), 'PRG_FORBIDDEN');
      await rejects(recordCloseOut(deps(), engA, { ticketId: ticket.id, confirmedMode: 'cooler_fouling', technicianId: 'B-T1' }), 'PRG_BAD_REQUEST');
      await recordCloseOut(deps(), engA, { ticketId: ticket.id, confirmedMode: 'bearing_wear', parts: ['bearing 6205'], findings: 'cooler clean; bearing worn', technicianId: 'A-T1' });
      const labels = await db.selectFrom('retraining_labels').selectAll().where('ticket_id', '=', ticket.id).execute();
      assert.equal(labels.length, 1);
      assert.deepEqual([labels[0]!.device_id, labels[0]!.mode, labels[0]!.confirmed, labels[0]!.confirmed_mode], ['pump-a1', 'cooler_fouling', false, 'bearing_wear']);
      // a corrected close-out replaces the label (and is audited)
      await recordCloseOut(deps(), engA, { ticketId: ticket.id, confirmedMode: 'cooler_fouling', parts: [], findings: 'fouled cooler cleaned', technicianId: 'A-T1' });
      const again = await db.selectFrom('retraining_labels').selectAll().where('ticket_id', '=', ticket.id).execute();
      assert.deepEqual([again.length, again[0]!.confirmed], [1, true]);
      assert.equal((await getTicketAudit(deps(), engA, ticket.id)).filter((e) => e.action === 'close_out_recorded').length, 2);
      await closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'resolved_verified', evidence: { kind: 'engineer_confirmed', reason: 'cleaned' }, reason: 'done' });
    });

    test('each ticket records its tier and reason; metrics per tier count states and outcomes', async () => {
      const before = await tierMetrics(deps(), engA);
      const human1 = (await open(sysA, 'drive-a3', 'gear_wear')).ticket;
      const human2 = (await open(sysA, 'pump-a1', 'winding_insulation')).ticket;
      const human3 = (await open(sysA, 'comp-a4', 'valve_wear')).ticket;
      const assisted = (await open(sysA, 'pump-a2', 'gear_wear', { risk: 0.4 })).ticket;
      assert.deepEqual([human1.tier, human1.tierReason], ['human', 'device_critical']);
      assert.deepEqual([human2.tier, human2.tierReason], ['human', 'safety_critical_mode:winding_insulation']);
      assert.deepEqual([human3.tier, human3.tierReason], ['human', 'customer_needs_human']);
      assert.deepEqual([assisted.tier, assisted.tierReason], ['assisted', 'low_confidence']);
      await closeTicket(deps(), engA, { ticketId: assisted.id, outcome: 'false_alarm', reason: 'sensor glitch' });
      const after = await tierMetrics(deps(), engA);
      const get = (m: typeof after, tier: string) => m.find((x) => x.tier === tier)!;
      assert.equal(get(after, 'human').total - get(before, 'human').total, 3);
      assert.equal((get(after, 'human').byState.open ?? 0) - (get(before, 'human').byState.open ?? 0), 3);
      assert.equal((get(after, 'assisted').byOutcome.false_alarm ?? 0) - (get(before, 'assisted').byOutcome.false_alarm ?? 0), 1);
      assert.equal(get(await tierMetrics(deps(), engB), 'human').total, 0, 'beta sees only its own');
      await rejects(tierMetrics(deps(), engB, { tenant: 'acme' }), 'PRG_FORBIDDEN');
      await rejects(tierMetrics(deps(), custA1), 'PRG_FORBIDDEN');
      assert.equal((await listTickets(deps(), engA, { tier: 'human', active: true })).length >= 3, true);
      for (const t of [human1, human2, human3]) await closeTicket(deps(), engA, { ticketId: t.id, outcome: 'abandoned', reason: 'test cleanup' });
    });

    test('SLA: pause while waiting for the customer, resume, breach recorded once as an audit event', async () => {
      await checkSlaBreaches(deps(), sysA); // earlier tests' tickets are closed; start clean
      const { ticket } = await open(sysA, 'pump-a2', 'bearing_wear', { severity: 'critical' });
      assert.equal(ticket.sla.responseDueAt, clock.now() + H);
      await pauseSla(deps(), sysA, { ticketId: ticket.id, reason: 'waiting for the customer' });
      await rejects(pauseSla(deps(), sysA, { ticketId: ticket.id, reason: 'again' }), 'PRG_INVALID_TRANSITION');
      clock.advance(5 * H);
      assert.deepEqual(await checkSlaBreaches(deps(), sysA), [], 'paused: no breach');
      const resumed = await resumeSla(deps(), sysA, { ticketId: ticket.id, reason: 'customer answered' });
      assert.equal(resumed.sla.responseDueAt, Date.parse(ticket.openedAt) + 6 * H);
      clock.advance(H);
      assert.deepEqual(await checkSlaBreaches(deps(), sysA), [], 'exactly at the due time');
      clock.advance(1);
      assert.deepEqual(await checkSlaBreaches(deps(), sysA), [{ ticketId: ticket.id, breach: 'response' }]);
      assert.deepEqual(await checkSlaBreaches(deps(), sysA), [], 'once');
      await move(sysA, ticket.id, { kind: 'triage' }, 'late triage');
      const trail = await getTicketAudit(deps(), engA, ticket.id);
      assert.deepEqual(
        trail.map((e) => e.action),
        ['opened', 'sla_paused', 'sla_resumed', 'sla_breach', 'triage'],
      );
      assert.equal(trail[3]!.detail.breach, 'response');
      assert.equal(trail[2]!.detail.pausedForMs, 5 * H);
      // the resolution target (24 h + 5 h paused) breaches at close time if nobody checked
      clock.advance(24 * H);
      await closeTicket(deps(), engA, { ticketId: ticket.id, outcome: 'abandoned', reason: 'test' });
      const last = await getTicketAudit(deps(), engA, ticket.id);
      assert.deepEqual(last.slice(-2).map((e) => [e.action, e.detail.breach ?? null]), [['sla_breach', 'resolution'], ['close', null]]);
      await rejects(checkSlaBreaches(deps(), custA1), 'PRG_FORBIDDEN');
      await rejects(checkSlaBreaches(deps(), engA, { tenant: 'beta' }), 'PRG_FORBIDDEN');
    });

    test('ticket reads are isolated by tenant and by customer', async () => {
      const a1 = (await open(sysA, 'pump-a1', 'gear_wear')).ticket;
      const a2 = (await open(sysA, 'pump-a2', 'gear_tooth_crack')).ticket;
      const b1 = (await open(engB, 'pump-b1', 'bearing_wear')).ticket;
      // get and audit: another tenant's or customer's ticket does not exist for the caller
      for (const [caller, id] of [
        [engB, a1.id],
        [custB1, a1.id],
        [custA2, a1.id],
        [custA1, a2.id],
        [engA, b1.id],
      ] as const) {
        await rejects(getTicket(deps(), caller, id), 'PRG_NOT_FOUND');
        await rejects(getTicketAudit(deps(), caller, id), 'PRG_NOT_FOUND');
        await rejects(move(caller, id, { kind: 'triage' }), 'PRG_NOT_FOUND');
        await rejects(closeTicket(deps(), caller, { ticketId: id, outcome: 'abandoned', reason: 'x' }), 'PRG_NOT_FOUND');
        await rejects(pauseSla(deps(), caller, { ticketId: id, reason: 'x' }), 'PRG_NOT_FOUND');
        await rejects(recordCloseOut(deps(), caller, { ticketId: id, confirmedMode: null }), 'PRG_NOT_FOUND');
      }
      assert.equal((await getTicket(deps(), custA1, a1.id)).id, a1.id);
      assert.equal((await getTicket(deps(), admin, b1.id)).id, b1.id);
      assert.ok((await getTicketAudit(deps(), custA2, a2.id)).length > 0);

      const ids = async (caller: Caller, f = {}) => new Set((await listTickets(deps(), caller, { limit: 1000, ...f })).map((t) => t.id));
      const listedA1 = await ids(custA1);
      assert.ok(listedA1.has(a1.id) && !listedA1.has(a2.id) && !listedA1.has(b1.id));
      for (const t of await listTickets(deps(), custA1, { limit: 1000 })) assert.equal(t.customerId, 'A-C1');
      const listedEngA = await ids(engA);
      assert.ok(listedEngA.has(a1.id) && listedEngA.has(a2.id) && !listedEngA.has(b1.id));
      assert.deepEqual([...(await ids(engB))], [b1.id]);
      const all = await ids(admin);
      assert.ok(all.has(a1.id) && all.has(b1.id));
      assert.deepEqual([...(await ids(admin, { tenant: 'beta' }))], [b1.id]);
      await rejects(listTickets(deps(), engA, { tenant: 'beta' }), 'PRG_FORBIDDEN');
      await rejects(listTickets(deps(), custA1, { customerId: 'A-C2' }), 'PRG_FORBIDDEN');
      await rejects(listTickets(deps(), custA1, { tenant: 'beta' }), 'PRG_FORBIDDEN');
    });
  });
}
