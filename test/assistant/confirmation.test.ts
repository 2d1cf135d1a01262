import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lastUserMessage, toolResults, turnMessages } from '../support/fake-openai-server.ts';
import { Harness } from './harness.ts';
import { seedScenario } from './scenario.ts';

describe('proposal, then confirmation', () => {
  const h = new Harness();
  before(() => h.start());
  after(() => h.stop());

  it('a reschedule is only a proposal until the user says "yes" in the same conversation', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) => {
      const now = toolResults(req).filter((r) => turnMessages(req).some((m) => m.tool_call_id === r.toolCallId));
      if (now.length === 0) return { toolCalls: [{ name: 'proposeVisitSlots', arguments: { ticketId: s.pumpTicket } }] };
      if (now.length === 1) return { toolCalls: [{ name: 'rescheduleVisit', arguments: { ticketId: s.pumpTicket, slot: now[0]!.result.slots[1] } }] };
      return { content: `I propose moving the visit to ${now[0]!.result.slots[1].start}. Reply yes to confirm.` };
    });
    const a = h.assistant();
    const first = await a.ask({ caller: s.engineer, message: `Move the visit for ${s.pumpTicket}` });
    assert.equal(first.proposals.length, 1);
    assert.equal(first.proposals[0]!.status, 'pending');
    assert.equal(first.proposals[0]!.action, 'rescheduleVisit');
    assert.equal(first.grounding.ok, true, JSON.stringify(first.grounding));
    const before = (await h.ports.getTicket(s.engineer, s.pumpTicket)).visit!;
    assert.equal(h.ports.calls.filter((c) => c.name === 'rescheduleVisit').length, 0, 'nothing changed yet');

    const requestsBefore = h.llmServer.requests.length;
    const second = await a.ask({ caller: s.engineer, message: 'yes', conversationId: first.conversationId });
    assert.equal(h.llmServer.requests.length, requestsBefore, 'the confirmation is decided without the model');
    assert.equal(second.proposals[0]!.status, 'executed');
    const after = (await h.ports.getTicket(s.engineer, s.pumpTicket)).visit!;
    assert.notEqual(after.start, before.start);
    assert.match(second.answer, /^Done: move the visit/);
    const audit = await h.auditOf(first.conversationId);
    assert.deepEqual(audit.map((r) => r.name), ['proposeVisitSlots', 'rescheduleVisit', 'rescheduleVisit:confirmed']);
    const row = await h.db.selectFrom('assistant_proposals').selectAll().where('id', '=', first.proposals[0]!.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'executed');
    assert.equal(row.conversation_id, first.conversationId);
  });

  it('"确认" confirms, "no" declines, anything else supersedes the proposal', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) => {
      if (!/cancel|取消/.test(lastUserMessage(req))) return { content: 'The visit is still planned.' };
      return turnMessages(req).some((m) => m.role === 'tool') ? { content: '好的，请确认。' } : { toolCalls: [{ name: 'cancelVisit', arguments: { ticketId: s.pumpTicket, reason: 'customer asked' } }] };
    });
    const a = h.assistant();
    const declined = await a.ask({ caller: s.engineer, message: `cancel the visit of ${s.pumpTicket}` });
    const no = await a.ask({ caller: s.engineer, message: 'no', conversationId: declined.conversationId });
    assert.equal(no.proposals[0]!.status, 'declined');
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'scheduled');

    const superseded = await a.ask({ caller: s.engineer, message: `cancel the visit of ${s.pumpTicket}` });
    await a.ask({ caller: s.engineer, message: 'actually, what is the status?', conversationId: superseded.conversationId });
    const late = await a.ask({ caller: s.engineer, message: 'yes', conversationId: superseded.conversationId });
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'scheduled', 'a late "yes" does not revive a superseded proposal');
    assert.equal(late.proposals.filter((p) => p.status === 'executed').length, 0);

    const zh = await a.ask({ caller: s.engineer, message: `取消 ${s.pumpTicket} 的上门` });
    const ok = await a.ask({ caller: s.engineer, message: '确认', conversationId: zh.conversationId });
    assert.equal(ok.proposals[0]!.status, 'executed');
    assert.match(ok.answer, /^已完成/);
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'cancelled');
  });

  it("acts at once when the ticket's tier is ai", async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) =>
      turnMessages(req).some((m) => m.role === 'tool') ? { content: 'Cancelled.' } : { toolCalls: [{ name: 'cancelVisit', arguments: { ticketId: s.gearboxTicket, reason: 'not needed' } }] },
    );
    const res = await h.assistant().ask({ caller: s.engineer, message: `cancel ${s.gearboxTicket}` });
    assert.equal(await h.ports.visitStatus(s.gearboxVisit), 'cancelled');
    assert.equal((res.toolCalls[0]!.result as { executed: boolean }).executed, true);
    assert.equal(res.proposals.length, 0);
  });

  it('a conversation belongs to its caller: another user cannot continue it or confirm its proposals', async () => {
    const s = await seedScenario(h.db, h.clock.now());
    h.llmServer.setScript((req) =>
      turnMessages(req).some((m) => m.role === 'tool') ? { content: 'Confirm?' } : { toolCalls: [{ name: 'cancelVisit', arguments: { ticketId: s.pumpTicket, reason: 'x' } }] },
    );
    const a = h.assistant();
    const mine = await a.ask({ caller: s.acme, message: 'cancel my visit' });
    assert.equal(mine.proposals.length, 1);
    await assert.rejects(a.ask({ caller: s.other, message: 'yes', conversationId: mine.conversationId }), { code: 'PRG_NOT_FOUND' });
    await assert.rejects(a.ask({ caller: s.engineer, message: 'yes', conversationId: mine.conversationId }), { code: 'PRG_NOT_FOUND' });
    assert.equal(await h.ports.visitStatus(s.pumpVisit), 'scheduled');
  });
});
