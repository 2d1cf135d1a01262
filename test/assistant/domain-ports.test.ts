import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Assistant } from '../../assistant/assistant.ts';
import { createDomainPorts } from '../../assistant/domain-ports.ts';
import { KnowledgeBase } from '../../assistant/knowledge-base.ts';
import { OpenAiLlmClient } from '../../assistant/llm-client.ts';
import { demoFleet } from '../../maintenance/demo-fleet.ts';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import { FleetDocumentSchema } from '../../maintenance/fleet-schema.ts';
import { getTicket, getTicketAudit, openTicketForEpisode } from '../../maintenance/ticket-use-cases.ts';
import { predictionToLine } from '../../models/prediction-writer.ts';
import type { Prediction } from '../../models/prediction.ts';
import type { Caller } from '../../platform/caller.ts';
import { ManualClock } from '../../platform/clock.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import type { JobQueues } from '../../platform/queue/job-queues.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { FakeOpenAiServer, toolResults, turnMessages } from '../support/fake-openai-server.ts';
import { createDatabase, dropDatabase, SHARED_INFLUX_URL } from '../support/shared-influx.ts';
import { uniqueName } from '../support/services.ts';

/**
 * The assistant on the product's real use-cases: PGlite migrated with every migration, the demo
 * fleet imported, a ticket opened for an alert episode, predictions and telemetry in the shared
 * InfluxDB, and the fake provider speaking the real wire protocol.
 */

// Tuesday 10:00 in Shanghai (the demo customers' zone): inside working hours.
const NOW = Date.parse('2026-11-24T02:00:00.000Z');

describe('assistant over the real domain ports', () => {
  const clock = new ManualClock(NOW);
  const llmServer = new FakeOpenAiServer();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const tenant = uniqueName('asst').replace(/_/g, '-').slice(0, 40);
  let dir = '';
  let db: Db;
  let influxDb = '';
  let deps: DomainDeps;
  let pump = '';
  let compressor = '';
  let owner: Caller & { kind: 'customer' };
  let stranger: Caller & { kind: 'customer' };
  let engineer: Caller & { kind: 'engineer' };
  let ticketId = '';
  let prediction: Prediction;

  const assistant = (llm: OpenAiLlmClient | null) => new Assistant({ db, ports: createDomainPorts(deps), knowledge: KnowledgeBase.load(), clock, llm });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prognos-asst-domain-'));
    db = await openDatabase({ kind: 'pglite', dir });
    influxDb = await createDatabase();
    const influx = new InfluxHttp({ url: SHARED_INFLUX_URL, database: influxDb, token: undefined, retentionPolicy: undefined });
    deps = { db, clock, logger: pino({ level: 'silent' }), influx, jobs: {} as JobQueues, events: { publish: (e) => events.push(e) } };
    await llmServer.start();

    const doc = FleetDocumentSchema.parse(demoFleet({ tenant, devices: 9, seed: 11, startMs: Date.UTC(2026, 0, 1) }));
    await importFleet(deps, { kind: 'admin', userId: 'root' }, doc);
    // A pump whose owner does not insist on a person, on a device that is not critical: the ticket stays below the human tier.
    const cust = new Map(doc.customers.map((c) => [c.id, c]));
    const pumpDoc = doc.devices.find((d) => d.equipmentType === 'centrifugal_pump' && d.criticality !== 'critical' && !cust.get(d.customerId)!.needsHuman)!;
    pump = pumpDoc.id;
    compressor = doc.devices.find((d) => d.equipmentType === 'air_compressor' && d.customerId !== pumpDoc.customerId)!.id;
    const otherCustomer = doc.devices.find((d) => d.id === compressor)!.customerId;
    owner = { kind: 'customer', userId: 'u-owner', tenant, customerId: pumpDoc.customerId };
    stranger = { kind: 'customer', userId: 'u-stranger', tenant, customerId: otherCustomer };
    engineer = { kind: 'engineer', userId: 'eng', tenant };

    prediction = {
      tenant,
      device: pump,
      equipmentType: 'centrifugal_pump',
      at: NOW - 300_000,
      modelVersion: 'cp-risk-test',
      status: 'ok',
      risks: [
        {
          mode: 'bearing_wear',
          risk: 0.734,
          horizonHours: 168,
          threshold: 0.5,
          attributions: [
            { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', contribution: 1.12, share: 0.62, value: 0.031 },
            { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__mean_6h', contribution: 0.38, share: 0.21, value: 71.3 },
          ],
        },
        { mode: 'seal_wear', risk: 0.081, horizonHours: 168, threshold: 0.5, attributions: [{ sensor: 'flow_m3h', feature: 'flow_m3h__mean_24h', contribution: -0.2, share: 0.5, value: 101.2 }] },
      ],
      rulHours: 260,
      rulLowerHours: 200,
    };
    const telemetry = Array.from({ length: 12 }, (_, i) => `telemetry,tenant=${tenant},device=${pump} vibration_rms_mm_s=${(3.5 + i * 0.06).toFixed(2)},bearing_temp_c=${(68 + i * 0.3).toFixed(1)} ${NOW - (12 - i) * 600_000}`);
    await influx.write([predictionToLine(prediction), ...telemetry].join('\n'));
    const opened = await openTicketForEpisode(deps, { kind: 'system', tenant, reason: 'alerts' }, { episodeId: `ep-${tenant}`, device: pump, mode: 'bearing_wear', severity: 'medium', risk: 0.55, rulHours: 200 });
    ticketId = opened.ticket.id;
    assert.notEqual(opened.ticket.tier, 'ai', 'a low-confidence ticket needs a confirmation');
  });

  after(async () => {
    await llmServer.stop();
    await db?.destroy();
    if (influxDb) await dropDatabase(influxDb);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an engineer asks why the pump is flagged (offline) and gets the real prediction’s attributions and the article', async () => {
    const res = await assistant(null).ask({ caller: engineer, message: `Why is ${pump} flagged?` });
    assert.equal(res.mode, 'offline');
    assert.match(res.answer, /^Offline mode/);
    assert.ok(res.answer.includes(`${pump} is flagged for bearing_wear (risk 73.4%)`), res.answer);
    assert.ok(res.answer.includes('vibration_rms_mm_s 62%') && res.answer.includes('bearing_temp_c 21%'), res.answer);
    assert.ok(res.answer.includes('[kb:bearing_wear.en]'), res.answer);
    assert.equal(res.grounding.ok, true);
    const explain = res.toolCalls.find((c) => c.name === 'explainRisk')!;
    assert.ok(explain.ok && res.sources.includes(explain.id));
  });

  it('the same question through the tool-calling loop (fake provider) is answered from the real prediction', async () => {
    llmServer.setScript((req) => {
      const results = toolResults(req).filter((r) => turnMessages(req).some((m) => m.tool_call_id === r.toolCallId));
      if (results.length === 0) return { toolCalls: [{ name: 'explainRisk', arguments: { device: pump } }, { name: 'deviceStatus', arguments: { device: pump } }] };
      const r = results.find((x) => x.result.risks)!.result;
      const top = r.risks[0];
      return { content: `${r.device} is flagged for ${top.mode} at ${top.riskPercent}%: ${top.attributions[0].sensor} explains ${top.attributions[0].sharePercent}% [${r.articles[0].id}].` };
    });
    const llm = new OpenAiLlmClient({ baseURL: llmServer.baseURL, apiKey: 'k', model: 'fake', timeoutMs: 5000, maxRetries: 0 });
    const res = await assistant(llm).ask({ caller: engineer, message: `Why is ${pump} flagged?` });
    assert.equal(res.mode, 'llm');
    assert.equal(res.answer, `${pump} is flagged for bearing_wear at 73.4%: vibration_rms_mm_s explains 62% [kb:bearing_wear.en].`);
    assert.equal(res.grounding.ok, true);
    const status = res.toolCalls.find((c) => c.name === 'deviceStatus')!;
    assert.ok(status.ok);
    const latest = (status.result as { latest: { sensor: string; value: number }[] }).latest;
    assert.deepEqual(latest.find((l) => l.sensor === 'vibration_rms_mm_s')?.value, 4.16, 'the newest telemetry value from InfluxDB');
  });

  it("a customer cannot reach another customer's device or ticket", async () => {
    const ports = createDomainPorts(deps);
    await assert.rejects(ports.deviceStatus(stranger, pump), { code: 'PRG_NOT_FOUND' });
    await assert.rejects(ports.latestPrediction(stranger, pump), { code: 'PRG_NOT_FOUND' });
    const window = { from: new Date(NOW - 86_400_000).toISOString(), to: new Date(NOW).toISOString() };
    await assert.rejects(ports.telemetrySummary(stranger, pump, window), { code: 'PRG_NOT_FOUND' });
    await assert.rejects(ports.getTicket(stranger, ticketId), { code: 'PRG_NOT_FOUND' });
    await assert.rejects(ports.proposeVisitSlots(stranger, ticketId), { code: 'PRG_NOT_FOUND' });
    assert.deepEqual((await ports.listTickets(stranger, { status: 'all' })).map((t) => t.id), []);
    const fleet = await ports.fleetOverview(stranger);
    assert.ok(fleet.devices.length > 0 && fleet.devices.every((d) => d.customerId === stranger.customerId));
    assert.ok(!fleet.devices.some((d) => d.device === pump));
    // The owner sees it, with the telemetry summary computed by the reader.
    const summary = await ports.telemetrySummary(owner, pump, window);
    assert.equal(summary.sensors.find((s) => s.sensor === 'vibration_rms_mm_s')?.trend, 'rising');

    const res = await assistant(null).ask({ caller: stranger, message: `Why is ${pump} flagged?` });
    assert.ok(!res.answer.includes('73.4') && !res.answer.includes('vibration_rms_mm_s 62%'), res.answer);
    assert.ok(!res.toolCalls.some((c) => c.ok && JSON.stringify(c.result).includes(pump)), 'no tool returned the other customer’s device');
  });

  it('the owner books a visit: proposal, "yes", then the visit is booked in the visits table and the ticket is scheduled', async () => {
    const a = assistant(null);
    const first = await a.ask({ caller: owner, message: 'Please book a visit for my pump' });
    assert.equal(first.proposals.length, 1, first.answer);
    assert.equal(first.proposals[0]!.status, 'pending');
    // The offered slots are recorded as proposals; nothing is booked before the confirmation.
    const offered = await db.selectFrom('visits').select('status').where('ticket_id', '=', ticketId).execute();
    assert.ok(offered.length > 0 && offered.every((v) => v.status === 'proposed'), JSON.stringify(offered));
    const yes = await a.ask({ caller: owner, message: 'yes', conversationId: first.conversationId });
    assert.equal(yes.proposals[0]!.status, 'executed', yes.answer);
    const rows = await db.selectFrom('visits').selectAll().where('ticket_id', '=', ticketId).where('status', '=', 'booked').execute();
    assert.equal(rows.length, 1);
    assert.equal(await db.selectFrom('visits').select('id').where('ticket_id', '=', ticketId).where('status', '=', 'proposed').executeTakeFirst(), undefined, 'the other offers are withdrawn');
    assert.equal(rows[0]!.device, pump);
    const t = await getTicket(deps, engineer, ticketId);
    assert.equal(t.state, 'scheduled');
    const audit = await getTicketAudit(deps, engineer, ticketId);
    assert.ok(audit.some((e) => e.action === 'schedule' && e.reason.includes(`customer:${owner.userId}@${tenant}`)), JSON.stringify(audit.map((e) => e.reason)));

    const when = await a.ask({ caller: owner, message: 'When is the engineer coming?', conversationId: first.conversationId });
    assert.ok(when.answer.includes(new Date(rows[0]!.starts_at).toISOString()), when.answer);
  });

  it('an engineer cancels the visit after confirming; the ticket goes back to planning', async () => {
    const a = assistant(null);
    const first = await a.ask({ caller: engineer, message: `Cancel the visit for ${ticketId}` });
    assert.equal(first.proposals[0]?.status, 'pending', first.answer);
    await a.ask({ caller: engineer, message: '确认', conversationId: first.conversationId });
    const rows = await db.selectFrom('visits').select('status').where('ticket_id', '=', ticketId).execute();
    assert.ok(rows.length > 0 && rows.every((r) => r.status === 'cancelled'), JSON.stringify(rows));
    assert.equal((await getTicket(deps, engineer, ticketId)).state, 'visit_proposed');
  });

  it('a customer message with safety words escalates their ticket to a person with the transcript in the audit detail', async () => {
    const res = await assistant(null).ask({ caller: owner, message: 'The pump is smoking and smells of burning!' });
    assert.ok(res.handOff, res.answer);
    const t = await getTicket(deps, engineer, ticketId);
    assert.equal(t.tier, 'human');
    const esc = (await getTicketAudit(deps, engineer, ticketId)).find((e) => e.action === 'escalate')!;
    assert.match(esc.reason, /^assistant hand-off: safety/);
    const detail = esc.detail as { conversationId: string; transcript: { text: string }[] };
    assert.equal(detail.conversationId, res.conversationId);
    assert.ok(detail.transcript.some((m) => m.text.includes('smoking')));
  });

  it('sends a customer message through the notification outbox once per conversation and message', async () => {
    const ports = createDomainPorts(deps);
    const draft = await ports.draftCustomerMessage(engineer, { ticketId, intent: 'We will call you today.', language: 'en' });
    assert.ok(draft.body.includes('We will call you today.'));
    await assert.rejects(ports.draftCustomerMessage(owner, { ticketId, intent: 'x', language: 'en' }), { code: 'PRG_NOT_FOUND' });
    const input = { ticketId, subject: draft.subject, body: draft.body, conversationId: 'conv-1' };
    const a = await ports.sendCustomerMessage(engineer, input);
    const b = await ports.sendCustomerMessage(engineer, input);
    assert.equal(a.id, b.id);
    const rows = await db.selectFrom('notification_outbox').selectAll().where('ticket_id', '=', ticketId).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.customer_id, owner.customerId);
    await assert.rejects(ports.sendCustomerMessage(owner, input), { code: 'PRG_NOT_FOUND' });
  });
});
