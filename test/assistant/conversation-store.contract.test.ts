import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConversationStore } from '../../assistant/conversation-store.ts';
import type { Caller } from '../../platform/caller.ts';
import { ManualClock } from '../../platform/clock.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines as engines } from '../support/sql-engines.ts';

/** The assistant's store (migration 0007) behaves alike on PGlite and PostgreSQL (a fresh database per run). */


for (const engine of engines) {
  describe(`conversation store on ${engine.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    const clock = new ManualClock(Date.parse('2026-11-24T10:00:00Z'));
    const alice: Caller = { kind: 'engineer', userId: 'alice', tenant: 'demo' };
    const bob: Caller = { kind: 'customer', userId: 'bob', tenant: 'demo', customerId: 'c1' };
    before(async () => {
      const e = await engine.open();
      cleanup = e.cleanup;
      db = await openDatabase(e.config);
    });
    after(async () => {
      await db?.destroy();
      await cleanup?.();
    });

    it('keeps messages, tool calls (in call order) and proposals per conversation, for its owner only', async () => {
      const store = new ConversationStore(db, clock);
      const conv = await store.open(alice, undefined, 'en');
      assert.deepEqual(await store.open(alice, conv.id, 'zh-CN'), { ...conv });
      await assert.rejects(store.open(bob, conv.id, 'en'), { code: 'PRG_NOT_FOUND' });
      await assert.rejects(store.open(alice, randomUUID(), 'en'), { code: 'PRG_NOT_FOUND' });

      await store.appendMessage(conv.id, { role: 'user', content: '泵怎么样', toolCalls: null, toolCallId: null, sources: null });
      await store.appendMessage(conv.id, { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'deviceStatus', arguments: '{"device":"p1"}' }], toolCallId: null, sources: null });
      await store.appendMessage(conv.id, { role: 'tool', content: '{"ok":true}', toolCalls: null, toolCallId: 'c1', sources: null });
      await store.appendMessage(conv.id, { role: 'assistant', content: 'fine', toolCalls: null, toolCallId: null, sources: ['t-2', 't-1'] });
      const msgs = await store.messages(conv.id);
      assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant']);
      assert.equal(msgs[0]!.content, '泵怎么样');
      assert.deepEqual(msgs[1]!.toolCalls, [{ id: 'c1', name: 'deviceStatus', arguments: '{"device":"p1"}' }]);
      assert.deepEqual(msgs[3]!.sources, ['t-2', 't-1']);

      // Same timestamp (the clock does not move): the order is still the call order.
      for (const id of ['z-first', 'a-second', 'm-third']) {
        await store.recordToolCall(conv.id, { id, modelCallId: null, actor: 'engineer:alice@demo', name: id, arguments: { n: 1.5 }, ok: true, result: { text: 'ü' }, durationMs: 1.4 });
      }
      const calls = await store.toolCalls(conv.id);
      assert.deepEqual(calls.map((c) => c.id), ['z-first', 'a-second', 'm-third']);
      assert.deepEqual(calls[0]!.arguments, { n: 1.5 });
      assert.equal(calls[0]!.durationMs, 1);

      const p1 = await store.createProposal(conv.id, { toolCallId: 'a-second', action: 'cancelVisit', arguments: { ticketId: 'T1' }, summary: 'cancel' });
      const p2 = await store.createProposal(conv.id, { toolCallId: 'm-third', action: 'scheduleVisit', arguments: { ticketId: 'T2' }, summary: 'book' });
      assert.deepEqual((await store.pendingProposals(conv.id)).map((p) => p.id), [p1.id, p2.id]);
      await store.decideProposal(p1.id, 'executed', { ok: 1 });
      await store.decideProposal(p1.id, 'declined');
      const row = await db.selectFrom('assistant_proposals').selectAll().where('id', '=', p1.id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'executed', 'a decided proposal is never decided again');
      assert.deepEqual(row.result, { ok: 1 });
      assert.deepEqual((await store.pendingProposals(conv.id)).map((p) => p.id), [p2.id]);

      const other = await store.open(bob, undefined, 'zh-CN');
      assert.deepEqual(await store.messages(other.id), []);
      assert.deepEqual(await store.toolCalls(other.id), []);
      assert.equal(other.tenant, 'demo');
    });
  });
}
