import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLlmClient } from '../../assistant/llm-client.ts';
import { lastUserMessage, toolResults, turnMessages } from '../support/fake-openai-server.ts';
import { Harness } from './harness.ts';
import { seedScenario } from './scenario.ts';

describe('assistant with a language model (fake provider over HTTP, PGlite store)', () => {
  const h = new Harness();
  before(() => h.start());
  after(() => h.stop());

  it('calls tools as the caller, answers grounded with its sources, streams the answer, and audits every call', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) => {
      const results = toolResults(req).filter((r) => turnMessages(req).some((m) => m.tool_call_id === r.toolCallId));
      if (results.length === 0) return { toolCalls: [{ name: 'explainRisk', arguments: { device: s.pump } }] };
      const r = results[0]!.result;
      return { content: `${r.device} is flagged for ${r.risks[0].mode}: risk ${r.risks[0].riskPercent}%, mostly from ${r.risks[0].attributions[0].sensor} (${r.risks[0].attributions[0].sharePercent}%). See [${r.articles[0].id}].` };
    });
    const deltas: string[] = [];
    const res = await h.assistant().ask({ caller: s.engineer, message: `Why is ${s.pump} flagged?`, onStream: (e) => e.type === 'delta' && deltas.push(e.text) });
    assert.equal(res.mode, 'llm');
    assert.equal(res.answer, `${s.pump} is flagged for bearing_wear: risk 73.4%, mostly from vibration_rms_mm_s (62%). See [kb:bearing_wear.en].`);
    assert.ok(deltas.length > 3, 'the answer streamed in pieces');
    assert.equal(deltas.join(''), res.answer);
    assert.equal(res.grounding.ok, true);
    assert.equal(res.toolCalls.length, 1);
    assert.deepEqual(res.sources, [res.toolCalls[0]!.id]);
    const audit = await h.auditOf(res.conversationId);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.name, 'explainRisk');
    assert.deepEqual(audit[0]!.arguments, { device: s.pump });
    assert.equal(audit[0]!.actor, `engineer:${s.engineer.userId}@${s.tenant}`);
    assert.equal((audit[0]!.result as { risks: { mode: string }[] }).risks[0]!.mode, 'bearing_wear');
    // The model saw the tools' JSON schemas produced from the zod schemas.
    const first = h.llmServer.requests.at(-2)!;
    const explain = first.body.tools!.find((t) => t.function.name === 'explainRisk')!;
    assert.deepEqual(explain.function.parameters.required, ['device']);
    assert.equal(first.authorization, 'Bearer test-key');
    const stored = await h.db.selectFrom('conversation_messages').select(['role', 'sources']).where('conversation_id', '=', res.conversationId).orderBy('id').execute();
    assert.deepEqual(stored.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
    assert.deepEqual(stored.at(-1)!.sources, res.sources);
  });

  it('rejects arguments that fail the zod schema and tells the model why', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) =>
      toolResults(req).length === 0 ? { toolCalls: [{ name: 'telemetrySummary', arguments: { device: s.pump, hours: 99999 } }] } : { content: 'I could not read the telemetry.' },
    );
    const res = await h.assistant().ask({ caller: s.engineer, message: 'telemetry?' });
    assert.equal(res.toolCalls[0]!.ok, false);
    assert.equal((res.toolCalls[0]!.result as { error: string }).error, 'invalid_arguments');
    assert.equal(h.ports.calls.filter((c) => c.name === 'telemetrySummary' && (c.args as { device: string }).device === s.pump).length, 0);
  });

  it('re-prompts once when the answer names a value no tool returned, and uses the corrected answer', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) => {
      if (lastUserMessage(req).startsWith('[grounding check]')) return { content: `${s.pump} vibration_rms_mm_s is 4.21 mm/s.` };
      if (toolResults(req).length === 0) return { toolCalls: [{ name: 'deviceStatus', arguments: { device: s.pump } }] };
      return { content: `${s.pump} vibration_rms_mm_s is 5.9 mm/s and oil_debris_ppm is 40.` };
    });
    const res = await h.assistant().ask({ caller: s.engineer, message: `status of ${s.pump}` });
    assert.equal(res.answer, `${s.pump} vibration_rms_mm_s is 4.21 mm/s.`);
    assert.equal(res.grounding.repaired, 'reprompt');
    assert.equal(res.grounding.ok, true);
    const reprompt = h.llmServer.requests.at(-1)!;
    for (const v of ['"5.9"', '"oil_debris_ppm"', '"40"']) assert.ok(lastUserMessage(reprompt).includes(v), v);
  });

  it('strips the unsupported sentence when the re-prompt does not fix it', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) =>
      toolResults(req).length === 0
        ? { toolCalls: [{ name: 'deviceStatus', arguments: { device: s.pump } }] }
        : { content: `Bearing temperature bearing_temp_c is 71.3 °C. It will fail on 2026-12-01.` },
    );
    const res = await h.assistant().ask({ caller: s.engineer, message: `status of ${s.pump}` });
    assert.equal(res.answer, 'Bearing temperature bearing_temp_c is 71.3 °C.');
    assert.equal(res.grounding.repaired, 'stripped');
    assert.deepEqual(res.grounding.unsupported, ['2026-12-01']);
  });

  it('retries 429 and 5xx answers with backoff, then answers', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    const before = h.llmServer.requests.length;
    h.llmServer.enqueue({ status: 429, headers: { 'retry-after-ms': '20' } }, { status: 503, headers: { 'retry-after-ms': '20' } }, { content: 'Hello.' });
    const res = await h.assistant().ask({ caller: s.engineer, message: 'hello' });
    assert.equal(res.answer, 'Hello.');
    assert.equal(res.mode, 'llm');
    assert.equal(h.llmServer.requests.length - before, 3);
  });

  it('falls back to the offline mode when the provider keeps failing or times out', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript(() => ({ status: 500, headers: { 'retry-after-ms': '5' } }));
    const res = await h.assistant({ llm: h.llm({ maxRetries: 1 }) }).ask({ caller: s.engineer, message: `status of ${s.pump}` });
    assert.equal(res.mode, 'offline');
    assert.match(res.answer, /^Offline mode/);
    h.llmServer.setScript(() => ({ content: 'late', delayMs: 800 }));
    const slow = await h.assistant({ llm: h.llm({ maxRetries: 0, timeoutMs: 200 }) }).ask({ caller: s.engineer, message: `status of ${s.pump}` });
    assert.equal(slow.mode, 'offline');
    assert.match(slow.answer, new RegExp(`${s.pump} is at_risk`));
  });

  it('bounds the steps: the last call offers no tools, so the model must answer', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    const before = h.llmServer.requests.length;
    h.llmServer.setScript((req) => (req.body.tools ? { toolCalls: [{ name: 'fleetOverview', arguments: {} }] } : { content: 'Here is what I found.' }));
    const res = await h.assistant({ maxSteps: 3 }).ask({ caller: s.engineer, message: 'loop forever' });
    const reqs = h.llmServer.requests.slice(before);
    assert.equal(reqs.length, 3);
    assert.equal(reqs[2]!.body.tools, undefined);
    assert.equal(res.toolCalls.length, 2);
    assert.equal(res.answer, 'Here is what I found.');
  });

  it('works without streaming too (JSON responses)', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) => (toolResults(req).length === 0 ? { toolCalls: [{ name: 'listTickets', arguments: { device: s.pump } }] } : { content: `Ticket ${toolResults(req)[0]!.result.tickets[0].id} is open.` }));
    const res = await h.assistant({ llm: h.llm({ stream: false }) }).ask({ caller: s.engineer, message: 'tickets?' });
    assert.equal(res.answer, `Ticket ${s.pumpTicket} is open.`);
    assert.equal(h.llmServer.requests.at(-1)!.body.stream, false);
  });
});

describe('createLlmClient', () => {
  it('is null (offline mode) unless a model and a key or base URL are configured', () => {
    assert.equal(createLlmClient({}), null);
    assert.equal(createLlmClient({ apiKey: 'k' }), null);
    assert.equal(createLlmClient({ model: 'm' }), null);
    assert.equal(createLlmClient({ model: 'qwen2.5', baseURL: 'http://127.0.0.1:11434/v1' })?.model, 'qwen2.5');
    assert.equal(createLlmClient({ model: 'gpt-4o-mini', apiKey: 'k' })?.model, 'gpt-4o-mini');
  });
});
