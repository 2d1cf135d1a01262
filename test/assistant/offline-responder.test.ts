import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { matchIntent } from '../../assistant/offline-responder.ts';
import { Harness } from './harness.ts';
import { seedScenario } from './scenario.ts';

describe('offline responder (no LLM configured)', () => {
  const h = new Harness();
  before(() => h.start());
  after(() => h.stop());

  it('matches the common requests by keywords in English and Chinese', () => {
    const cases: [string, string][] = [
      ['How is pump-1 doing? status please', 'status'],
      ['泵的运行状态怎么样', 'status'],
      ['Why is pump-1 flagged?', 'why_flagged'],
      ['为什么这台泵有风险', 'why_flagged'],
      ['What should I check first?', 'what_to_check'],
      ['应该检查什么', 'what_to_check'],
      ['When is the engineer coming?', 'visit_when'],
      ['工程师什么时候上门', 'visit_when'],
      ['Please book a visit', 'book'],
      ['帮我预约一次维修', 'book'],
      ['Can we reschedule the visit?', 'reschedule'],
      ['能改期吗', 'reschedule'],
      ['Cancel the visit', 'cancel'],
      ['取消上门', 'cancel'],
      ['hello', 'help'],
    ];
    for (const [m, intent] of cases) assert.equal(matchIntent(m), intent, m);
  });

  it('answers status, why and what to check from the tools, says it is offline, and stays grounded (en)', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    const a = h.assistant({ llm: null });
    const status = await a.ask({ caller: s.engineer, message: `status of ${s.pump}?` });
    assert.equal(status.mode, 'offline');
    assert.match(status.answer, /^Offline mode \(no language model is configured\): /);
    assert.match(status.answer, new RegExp(`${s.pump} is at_risk; last data 2026-11-24T09:50:00.000Z\\. Highest risk: bearing_wear 73\\.4%\\. Latest: vibration_rms_mm_s 4\\.21 mm/s`));
    assert.equal(status.grounding.ok, true, JSON.stringify(status.grounding));
    assert.ok(status.sources.length > 0);

    const why = await a.ask({ caller: s.engineer, message: `Why is ${s.pump} flagged?` });
    assert.match(why.answer, /is flagged for bearing_wear \(risk 73\.4%\)\. Main evidence: vibration_rms_mm_s 62%, bearing_temp_c 21%\. See \[kb:bearing_wear\.en\]/);
    assert.equal(why.grounding.ok, true, JSON.stringify(why.grounding));
    assert.ok(why.toolCalls.some((c) => c.name === 'explainRisk'));

    const check = await a.ask({ caller: s.engineer, message: `What should I check on ${s.pump}?` });
    assert.match(check.answer, /Check:\n- Compare vibration at the same speed_rpm/);
    assert.match(check.answer, /Safety first:\n- Lock out and tag out/);
  });

  it('answers in Chinese, in plain language for a customer', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    const a = h.assistant({ llm: null });
    const why = await a.ask({ caller: s.acme, message: `${s.pump} 为什么有风险？` });
    assert.equal(why.language, 'zh-CN');
    assert.match(why.answer, /^离线模式（未配置大语言模型）：/);
    assert.match(why.answer, /振动 \(vibration_rms_mm_s\) 62%/);
    assert.match(why.answer, /kb:bearing_wear\.zh-CN/);
    const when = await a.ask({ caller: s.acme, message: '工程师什么时候上门？' });
    assert.match(when.answer, new RegExp(`工单 ${s.pumpTicket}（${s.pump}）：上门时间 2026-11-26T10:00:00.000Z`));
    assert.equal(when.grounding.ok, true);
  });

  it('books, reschedules and cancels through proposals that the user confirms', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    const a = h.assistant({ llm: null });
    const book = await a.ask({ caller: s.acme, message: `Please book a visit for ${s.compressorTicket}` });
    assert.match(book.answer, /I propose to schedule a visit for ticket .* Reply "yes" to confirm\./);
    assert.equal((await h.ports.getTicket(s.acme, s.compressorTicket)).visit, null);
    const yes = await a.ask({ caller: s.acme, message: 'yes', conversationId: book.conversationId });
    assert.equal(yes.proposals[0]!.status, 'executed');
    assert.equal((await h.ports.getTicket(s.acme, s.compressorTicket)).visit!.start, '2026-11-25T09:00:00.000Z');

    const move = await a.ask({ caller: s.acme, message: `能把 ${s.pumpTicket} 改期吗` });
    assert.match(move.answer, new RegExp(`建议：将工单 ${s.pumpTicket}（${s.pump}）的上门从 2026-11-26T10:00:00.000Z 改到 2026-11-25T09:00:00.000Z`));
    await a.ask({ caller: s.acme, message: '确认', conversationId: move.conversationId });
    assert.equal((await h.ports.getTicket(s.acme, s.pumpTicket)).visit!.start, '2026-11-25T09:00:00.000Z');

    const cancel = await a.ask({ caller: s.acme, message: `取消 ${s.pumpTicket} 的上门` });
    assert.match(cancel.answer, /回复“确认”即可执行/);
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'scheduled');
    await a.ask({ caller: s.acme, message: '确认', conversationId: cancel.conversationId });
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'cancelled');
  });

  it('hands a customer off to a person on safety words, anger or repeated dissatisfaction, with transcript and context', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    const a = h.assistant({ llm: null });
    const smoke = await a.ask({ caller: s.acme, message: '泵在冒烟！' });
    assert.equal(smoke.handOff?.reason, 'safety');
    assert.equal(smoke.handOff?.urgency, 'high');
    assert.match(smoke.answer, /人工服务团队.*撤离/);

    const first = await a.ask({ caller: s.acme, message: `I am not happy, ${s.pump} is still broken` });
    assert.equal(first.handOff, null);
    const second = await a.ask({ caller: s.acme, message: 'It is still not working.', conversationId: first.conversationId });
    assert.equal(second.handOff?.reason, 'repeated_dissatisfaction');
    const { rows } = await sql<{ reason: string; transcript: { role: string; text: string }[]; context: { detector: { reason: string } } }>`select reason, transcript, context from t_handoffs where conversation_id = ${second.conversationId}`.execute(h.db);
    const row = rows[0];
    assert.match(row!.reason, /^repeated_dissatisfaction/);
    assert.deepEqual(row!.transcript.filter((m) => m.role === 'user').map((m) => m.text), [`I am not happy, ${s.pump} is still broken`, 'It is still not working.']);
    assert.equal(row!.context.detector.reason, 'repeated_dissatisfaction');
    assert.equal((row!.context as unknown as { caller: string }).caller, `customer:${s.acme.userId}@${s.tenant}`);
    assert.ok((row!.context as unknown as { toolCalls: { name: string }[] }).toolCalls.some((c) => c.name === 'fleetOverview'), 'what the assistant looked up in the first turn');
    const audit = await h.auditOf(second.conversationId);
    assert.equal(audit.at(-1)!.name, 'handOff');
  });
});
