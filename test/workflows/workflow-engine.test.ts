import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { portalRoutes } from '../../api/routes/portal-routes.ts';
import { sendError } from '../../api/error-reply.ts';
import { getTicketAudit, listTickets } from '../../maintenance/ticket-use-cases.ts';
import { bookVisit, listVisits, proposeSlotsForTicket } from '../../workflows/visit-use-cases.ts';
import type { Caller } from '../../platform/caller.ts';
import { ticketOpenJob } from '../../workflows/job-definitions.ts';
import { WorkflowRelay, writeJob } from '../../workflows/workflow-outbox.ts';
import { bearingPrediction, eventually, type Harness, linksIn, pump, startHarness, testFleet } from './workflow-harness.ts';

const HOUR = 3_600_000;
const engineer = (tenant: string): Caller => ({ kind: 'engineer', userId: 'eve', tenant });

async function ticketsOf(h: Harness) {
  return listTickets(h.deps, engineer(h.tenant), {});
}

async function episodesOf(h: Harness) {
  return h.db.selectFrom('alert_episodes').selectAll().where('tenant', '=', h.tenant).execute();
}

describe('workflow engine (real Redis, PGlite, InfluxDB, SMTP)', () => {
  test('ai tier: alert → one ticket → e-mail with slots → confirmed by link → reminder → visit → verified by telemetry', async () => {
    const h = await startHarness({ fleet: (t) => testFleet(t, [{ id: 'P-1', equipmentType: 'centrifugal_pump' }], ['bearing_wear']) });
    let serviced = false;
    const visits: string[] = [];
    try {
      await h.startEngine({
        visitExecutor: (v) => {
          visits.push(`${v.device}:${v.modes.join(',')}`);
          serviced = true;
        },
      });
      const feed = pump(h, (now) => bearingPrediction(h.tenant, 'P-1', now, serviced ? 0.04 : 0.9, serviced ? 450 : 96));
      try {
        const proactive = await eventually('the proactive e-mail', () => h.mail.mails[0]);
        assert.deepEqual(proactive.to, ['ops@harbour.test']);
        assert.match(proactive.decoded, /Wang Lei/);
        const [ticket] = await ticketsOf(h);
        assert.ok(ticket);
        assert.equal(ticket.tier, 'ai');
        assert.equal(ticket.state, 'visit_proposed');
        // Every offered slot ends before the conservative failure deadline.
        const offer = await h.db.selectFrom('workflow_tickets').selectAll().where('ticket_id', '=', ticket.id).executeTakeFirstOrThrow();
        const deadline = (offer.offer as { deadline: number }).deadline;
        const proposed = await listVisits(h.deps, engineer(h.tenant), { status: ['proposed'] });
        assert.ok(proposed.length >= 1 && proposed.length <= 3);
        for (const v of proposed) assert.ok(v.endsAt <= deadline, 'slot after the deadline');
        const links = linksIn(proactive);
        const claims = links.map((l) => h.links.verify(l)).map((v) => (v.ok ? v.claims : null));
        // The latest offered slot: the earliest may begin before a loaded test machine gets there.
        const confirm = links.filter((_l, i) => claims[i]?.action === 'confirm').at(-1)!;
        const r = await h.engine!.handleReply({ token: confirm });
        assert.equal(r.outcome, 'booked');

        const reminder = await eventually('the reminder e-mail', () => h.mail.mails.find((m) => /Reminder: service visit/.test(m.subject)));
        assert.match(reminder.decoded, /Wang Lei/);
        const closed = await eventually('ticket closed', async () => (await ticketsOf(h)).find((t) => t.state === 'closed'), 30_000);
        assert.equal(closed.outcome, 'resolved_verified');
        assert.deepEqual(visits, ['P-1:bearing_wear']);
        const audit = await getTicketAudit(h.deps, engineer(h.tenant), closed.id);
        const actions = audit.map((a) => a.action);
        for (const a of ['triage', 'propose_visit', 'schedule', 'start_visit', 'complete_visit', 'close']) assert.ok(actions.includes(a), `audit lacks ${a}: ${actions.join(',')}`);
        const closeRow = audit.find((a) => a.action === 'close')!;
        assert.match(closeRow.reason, /post-maintenance telemetry/);
        // exactly one episode and one ticket; the episode is over (cleared by the policy once the
        // risk stayed low, or resolved by the verification, whichever came first)
        const eps = await episodesOf(h);
        assert.equal(eps.length, 1);
        assert.ok(['cleared', 'resolved'].includes(eps[0]!.state), eps[0]!.state);
        assert.notEqual(eps[0]!.cleared_at, null);
        assert.equal((await ticketsOf(h)).length, 1);
        const types = new Set(h.events.events.map((e) => e.type));
        for (const t of ['ticket.created', 'visit.proposed', 'visit.booked', 'visit.reminder', 'visit.started', 'visit.completed', 'ticket.closed']) assert.ok(types.has(t), `no ${t} event`);
        const sent = await h.outbox.list({ tenant: h.tenant });
        assert.deepEqual(sent.map((m) => `${m.kind}:${m.status}`).sort(), ['proactive:sent', 'reminder:sent']);
        assert.equal(h.mail.mails.length, 2);
        const status = h.engine!.status() as { processed: Record<string, number>; relayed: number };
        // (visit.verify may not have run yet: a fresh prediction after the visit can verify first, in onPrediction)
        for (const job of ['ticket.open', 'visit.plan', 'notify.reminder', 'visit.start']) assert.ok((status.processed[job] ?? 0) >= 1, `no ${job} processed`);
        assert.ok(status.relayed >= 5);
      } finally {
        await feed.stop();
        assert.deepEqual(feed.errors, []);
      }
    } finally {
      await h.close();
    }
  });

  test('no answer: the message again, then a person, then customer_unreachable — never resolved', async () => {
    const h = await startHarness({
      fleet: (t) => testFleet(t, [{ id: 'P-2', equipmentType: 'centrifugal_pump' }], ['bearing_wear']),
      workflow: { escalationHours: [3, 3, 3] },
    });
    try {
      await h.startEngine();
      const feed = pump(h, (now) => bearingPrediction(h.tenant, 'P-2', now, 0.9, 200));
      try {
        const closed = await eventually('ticket closed', async () => (await ticketsOf(h)).find((t) => t.state === 'closed'), 30_000);
        assert.equal(closed.outcome, 'customer_unreachable');
        assert.equal(closed.tier, 'human', 'a person was brought in before giving up');
        assert.equal(h.mail.mails.length, 2);
        assert.match(h.mail.mails[1]!.subject, /^Reminder: /);
        assert.match(h.mail.mails[1]!.decoded, /We have not heard from you/);
        const audit = await getTicketAudit(h.deps, engineer(h.tenant), closed.id);
        assert.ok(audit.some((a) => a.action === 'escalate'));
        assert.ok(!audit.some((a) => a.toState === 'scheduled'));
        const eps = await episodesOf(h);
        assert.notEqual(eps[0]!.state, 'resolved');
        assert.ok(h.events.ofType('ticket.handoff').length >= 1);
        assert.equal((await listVisits(h.deps, engineer(h.tenant), { status: ['proposed', 'booked'] })).length, 0, 'offers withdrawn');
      } finally {
        await feed.stop();
      }
    } finally {
      await h.close();
    }
  });

  test('tiers: a high-criticality device waits for an engineer (no message), a critical one goes to a person', async () => {
    const h = await startHarness({
      fleet: (t) =>
        testFleet(
          t,
          [
            { id: 'P-HI', equipmentType: 'centrifugal_pump', criticality: 'high' },
            { id: 'P-CR', equipmentType: 'centrifugal_pump', criticality: 'critical' },
          ],
          ['bearing_wear'],
        ),
    });
    try {
      await h.startEngine();
      const feed = pump(h, (now) => (Math.floor(now / HOUR) % 2 === 0 ? bearingPrediction(h.tenant, 'P-HI', now, 0.9, 200) : bearingPrediction(h.tenant, 'P-CR', now, 0.9, 200)), 50);
      try {
        const proposed = await eventually('engineer proposal', () => h.events.ofType('visit.proposed').find((e) => e.data.needsApproval === true));
        const handoff = await eventually('hand-off', () => h.events.ofType('ticket.handoff')[0]);
        assert.match(String(handoff.data.reason), /device_critical/);
        const tickets = await ticketsOf(h);
        const hi = tickets.find((t) => t.deviceId === 'P-HI')!;
        const cr = tickets.find((t) => t.deviceId === 'P-CR')!;
        assert.equal(hi.tier, 'assisted');
        assert.equal(hi.state, 'triaged');
        assert.equal(cr.tier, 'human');
        assert.equal(cr.state, 'triaged');
        assert.equal(proposed.data.ticketId, hi.id);
        // The engineer approves the first proposed slot.
        const slot = (proposed.data.slots as { id: string; technicianId: string; startsAt: number; endsAt: number }[])[0]!;
        const booked = await bookVisit(h.deps, engineer(h.tenant), { ticketId: hi.id, slot });
        assert.equal(booked.ticket.state, 'scheduled');
        // A repeat of the same booking is a no-op.
        const again = await bookVisit(h.deps, engineer(h.tenant), { ticketId: hi.id, slot });
        assert.equal(again.visit.id, booked.visit.id);
        await eventually('the reminder e-mail', () => h.mail.mails.find((m) => /Reminder: service visit/.test(m.subject)));
        assert.equal(h.mail.mails.filter((m) => !/Reminder: service visit/.test(m.subject)).length, 0, 'no proactive message for assisted or human tiers');
        // A customer cannot book for themselves outside the offered slots, nor see another customer's ticket.
        const customer: Caller = { kind: 'customer', userId: 'c', tenant: h.tenant, customerId: 'C1' };
        await assert.rejects(bookVisit(h.deps, customer, { ticketId: cr.id, slot: { technicianId: 'T1', startsAt: slot.startsAt, endsAt: slot.endsAt } }), /offered slots/);
        const stranger: Caller = { kind: 'customer', userId: 'x', tenant: h.tenant, customerId: 'C9' };
        await assert.rejects(proposeSlotsForTicket(h.deps, stranger, cr.id), /Not found/);
      } finally {
        await feed.stop();
      }
    } finally {
      await h.close();
    }
  });

  test('replies: safety words hand off to a person; "no thanks" closes abandoned; both by text', async () => {
    const h = await startHarness({
      fleet: (t) =>
        testFleet(
          t,
          [
            { id: 'P-A', equipmentType: 'centrifugal_pump' },
            { id: 'P-B', equipmentType: 'centrifugal_pump' },
          ],
          ['bearing_wear'],
        ),
    });
    try {
      await h.startEngine();
      const feed = pump(h, (now) => (Math.floor(now / HOUR) % 2 === 0 ? bearingPrediction(h.tenant, 'P-A', now, 0.9, 200) : bearingPrediction(h.tenant, 'P-B', now, 0.9, 200)), 50);
      try {
        await eventually('two proactive mails', () => h.mail.mails.length >= 2);
        const tickets = await ticketsOf(h);
        const a = tickets.find((t) => t.deviceId === 'P-A')!;
        const b = tickets.find((t) => t.deviceId === 'P-B')!;
        const r1 = await h.engine!.handleReply({ tenant: h.tenant, customerId: 'C1', ticketId: a.id, text: 'There is smoke coming out of the pump!' });
        assert.equal(r1.outcome, 'handed_off');
        assert.match(r1.detail ?? '', /safety_words/);
        assert.equal(r1.ticket.tier, 'human');
        const r2 = await h.engine!.handleReply({ tenant: h.tenant, customerId: 'C1', ticketId: b.id, text: 'no thanks' });
        assert.equal(r2.outcome, 'closed');
        assert.equal(r2.ticket.outcome, 'abandoned');
        // Another customer's text cannot touch these tickets.
        await assert.rejects(h.engine!.handleReply({ tenant: h.tenant, customerId: 'C2', ticketId: a.id, text: '1' }), /Not found/);
      } finally {
        await feed.stop();
      }
    } finally {
      await h.close();
    }
  });

  test('portal: GET shows message, evidence and slots; POST confirm books; bad and foreign links are 404', async () => {
    const h = await startHarness({ fleet: (t) => testFleet(t, [{ id: 'P-3', equipmentType: 'centrifugal_pump' }], ['bearing_wear'], { plainLanguage: true }) });
    const app = Fastify({ logger: false });
    try {
      await h.startEngine();
      app.setValidatorCompiler(validatorCompiler);
      app.setSerializerCompiler(serializerCompiler);
      app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
      await app.register(portalRoutes(h.deps, { links: h.links, engine: h.engine }));
      const feed = pump(h, (now) => bearingPrediction(h.tenant, 'P-3', now, 0.9, 200));
      try {
        const mail = await eventually('the proactive e-mail', () => h.mail.mails[0]);
        const token = linksIn(mail)[0]!;
        const view = await app.inject({ method: 'GET', url: `/api/v1/portal/${token}` });
        assert.equal(view.statusCode, 200, view.body);
        const v = view.json();
        assert.equal(v.language, 'en');
        assert.equal(v.plainLanguage, true);
        assert.equal(v.timezone, 'UTC');
        assert.ok(v.message.subject.length > 0 && v.message.body.length > 0);
        assert.ok(v.evidence.length >= 1);
        assert.ok(v.slots.length >= 1);
        assert.equal(v.visit, null);
        const post = await app.inject({ method: 'POST', url: `/api/v1/portal/${token}`, payload: { action: 'confirm', slotId: v.slots.at(-1).id } });
        assert.equal(post.statusCode, 200, post.body);
        assert.equal(post.json().outcome, 'booked');
        const after = (await app.inject({ method: 'GET', url: `/api/v1/portal/${token}` })).json();
        assert.equal(after.slots.length, 0);
        assert.equal(after.visit.id, post.json().visit.id);
        assert.equal(after.ticket.state, 'scheduled');
        const tampered = `${token.slice(0, -2)}xx`;
        assert.equal((await app.inject({ method: 'GET', url: `/api/v1/portal/${tampered}` })).statusCode, 404);
        const [t] = await ticketsOf(h);
        const foreign = h.links.token({ tenant: h.tenant, ticketId: t!.id, customerId: 'C-OTHER', action: 'confirm' });
        assert.equal((await app.inject({ method: 'GET', url: `/api/v1/portal/${foreign}` })).statusCode, 404);
        assert.equal((await app.inject({ method: 'POST', url: `/api/v1/portal/${token}`, payload: { action: 'nonsense' } })).statusCode, 400);
      } finally {
        await feed.stop();
      }
    } finally {
      await app.close();
      await h.close();
    }
  });

  test('re-planning: a shorter RUL moves a booked visit that would end too late; "another time" starts a new round', async () => {
    const h = await startHarness({ fleet: (t) => testFleet(t, [{ id: 'P-R', equipmentType: 'centrifugal_pump' }], ['bearing_wear']) });
    try {
      await h.startEngine();
      const feed = pump(h, (now) => bearingPrediction(h.tenant, 'P-R', now, 0.9, 200));
      const first = await eventually('the proactive e-mail', () => h.mail.mails[0]);
      await feed.stop();
      const confirms = linksIn(first).filter((l) => {
        const v = h.links.verify(l);
        return v.ok && v.claims.action === 'confirm';
      });
      const booked = await h.engine!.handleReply({ token: confirms.at(-1)! });
      assert.equal(booked.outcome, 'booked');
      const visit = booked.visit!;
      // The model now says the part fails sooner: the booked visit would end 30 min after the new deadline.
      const now = Math.floor(h.clock.now());
      const rul = (visit.endsAt - 30 * 60_000 - now) / HOUR + 4;
      await h.feed(bearingPrediction(h.tenant, 'P-R', now, 0.95, rul));
      const second = await eventually('a new proposal', () => h.mail.mails.filter((m) => !/^Reminder/.test(m.subject))[1], 20_000);
      assert.ok(linksIn(second).length >= 3);
      const visits = await listVisits(h.deps, engineer(h.tenant), { status: ['cancelled', 'booked', 'proposed'] });
      assert.equal(visits.find((v) => v.id === visit.id)?.status, 'cancelled');
      const [t] = await ticketsOf(h);
      assert.equal(t!.state, 'visit_proposed');
      assert.ok(h.events.ofType('visit.cancelled').some((e) => /risk changed/.test(String(e.data.reason))));
      // The customer asks for other times by text: another round, another message.
      const r = await h.engine!.handleReply({ tenant: h.tenant, customerId: 'C1', text: 'none of these work, another time please' });
      assert.equal(r.outcome, 'replanning');
      await eventually('a third proposal', () => h.mail.mails.filter((m) => !/^Reminder/.test(m.subject))[2], 20_000);
      const rounds = await h.db.selectFrom('workflow_tickets').select('round').executeTakeFirstOrThrow();
      assert.equal(rounds.round, 2);
      // The customer's calendar shows only their own visits; an engineer's shows the tenant's.
      const mine = await listVisits(h.deps, { kind: 'customer', userId: 'c', tenant: h.tenant, customerId: 'C1' }, {});
      assert.ok(mine.length > 0 && mine.every((v) => v.customerId === 'C1'));
      assert.equal((await listVisits(h.deps, { kind: 'customer', userId: 'x', tenant: h.tenant, customerId: 'C2' }, {})).length, 0);
    } finally {
      await h.close();
    }
  });

  test('transactional outbox: a rolled-back transaction leaves no job; a relay crash after the add doubles nothing', async () => {
    const h = await startHarness({ fleet: (t) => testFleet(t, [], ['bearing_wear']) });
    try {
      await h.db
        .transaction()
        .execute(async (trx) => {
          await writeJob(trx, h.clock, ticketOpenJob, { tenant: h.tenant, episodeId: 'ep-rolled-back' });
          throw new Error('abort');
        })
        .catch(() => undefined);
      assert.equal((await h.db.selectFrom('workflow_outbox').selectAll().execute()).length, 0);

      await h.db.transaction().execute((trx) => writeJob(trx, h.clock, ticketOpenJob, { tenant: h.tenant, episodeId: 'ep-1' }));
      await writeJob(h.db, h.clock, ticketOpenJob, { tenant: h.tenant, episodeId: 'ep-1' });
      assert.equal((await h.db.selectFrom('workflow_outbox').selectAll().execute()).length, 1, 'the same job id is one row');
      // The relay added the job to Redis and died before marking the row: the row is still pending.
      await h.jobs.enqueue(ticketOpenJob, { tenant: h.tenant, episodeId: 'ep-1' });
      const relay = new WorkflowRelay(h.db, h.jobs, h.logger);
      assert.equal(await relay.relayAll(), 1);
      assert.equal(await relay.relayAll(), 0);
      const counts = await h.jobs.counts(ticketOpenJob.queue);
      assert.equal(counts.waiting! + counts.delayed! + counts.active!, 1);
      const row = await h.db.selectFrom('workflow_outbox').selectAll().executeTakeFirstOrThrow();
      assert.notEqual(row.relayed_at, null);
    } finally {
      await h.close();
    }
  });
});
