import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HandoffReason, parseReply, type ReplyDecision } from '../../alerts/messages/reply-parser.ts';

const three = { offeredSlotIds: ['s1', 's2', 's3'] };
const one = { offeredSlotIds: ['only'] };

const confirm = (n: number, ids = three.offeredSlotIds): ReplyDecision => ({ kind: 'confirm', slotId: ids[n - 1]!, slotNumber: n });
const handoff = (reason: HandoffReason) => ({ kind: 'handoff' as const, reason });

/** [reply text, slots offered, expected decision (handoff compared without `matched`)] */
const TEXT_CASES: [string, { offeredSlotIds: string[] }, ReplyDecision | { kind: 'handoff'; reason: string }][] = [
  // confirm, English
  ['1', three, confirm(1)],
  ['2.', three, confirm(2)],
  ['yes 2', three, confirm(2)],
  ['Yes, 3 please', three, confirm(3)],
  ['option 2', three, confirm(2)],
  ['#3', three, confirm(3)],
  ['the second one', three, confirm(2)],
  ['OK first', three, confirm(1)],
  ['２', three, confirm(2)],
  ['yes', one, confirm(1, one.offeredSlotIds)],
  ['confirm', one, confirm(1, one.offeredSlotIds)],
  ['yes', three, { kind: 'clarify', reason: 'no_slot_number' }],
  ['5', three, { kind: 'clarify', reason: 'slot_out_of_range' }],
  ['1 or 2', three, { kind: 'clarify', reason: 'several_slot_numbers' }],
  // confirm, Chinese
  ['确认', one, confirm(1, one.offeredSlotIds)],
  ['确认', three, { kind: 'clarify', reason: 'no_slot_number' }],
  ['选2', three, confirm(2)],
  ['2号', three, confirm(2)],
  ['第二个', three, confirm(2)],
  ['好的，就3吧', three, confirm(3)],
  ['二', three, confirm(2)],
  ['选１', three, confirm(1)],
  // reschedule
  ['another time', three, { kind: 'reschedule' }],
  ['None of these work for me, can we do next week?', three, { kind: 'reschedule' }],
  ['Can I reschedule?', three, { kind: 'reschedule' }],
  ['改时间', three, { kind: 'reschedule' }],
  ['这几个时间都不行', three, { kind: 'reschedule' }],
  ['能换个时间吗', three, { kind: 'reschedule' }],
  // decline
  ['no', three, { kind: 'decline' }],
  ['No thanks.', three, { kind: 'decline' }],
  ['We do not need a visit', three, { kind: 'decline' }],
  ['不需要', three, { kind: 'decline' }],
  ['不用了，谢谢', three, { kind: 'decline' }],
  // opt-out
  ['STOP', three, { kind: 'opt_out' }],
  ['stop', three, { kind: 'opt_out' }],
  ['Unsubscribe', three, { kind: 'opt_out' }],
  ['please stop sending these', three, { kind: 'opt_out' }],
  ['退订', three, { kind: 'opt_out' }],
  ['不要再发了', three, { kind: 'opt_out' }],
  // safety words: always a human, even mid-confirmation or negated
  ['yes 2, but there is smoke coming out', three, handoff('safety_words')],
  ['I can see sparks', three, handoff('safety_words')],
  ['there is a burning smell', three, handoff('safety_words')],
  ['FIRE', three, handoff('safety_words')],
  ['no smoke yet', three, handoff('safety_words')],
  ['机器冒烟了', three, handoff('safety_words')],
  ['着火了！', three, handoff('safety_words')],
  ['有火花', three, handoff('safety_words')],
  ['选2，不过有点烧焦的味道', three, handoff('safety_words')],
  // anger
  ['this is ridiculous', three, handoff('anger')],
  ['Your service is useless', three, handoff('anger')],
  ['THIS IS THE THIRD TIME YOU WRITE ME', three, handoff('anger')],
  ['stop, you idiots', three, handoff('anger')],
  ['你们这是什么破服务', three, handoff('anger')],
  ['我要投诉', three, handoff('anger')],
  ['骗子', three, handoff('anger')],
  // anything else goes to a person, never silently dropped
  ['The pump stopped 3 days ago, what should I do about it?', three, handoff('unrecognised')],
  ['who are you?', three, handoff('unrecognised')],
  ['请问费用是多少', three, handoff('unrecognised')],
  ['', three, handoff('unrecognised')],
];

describe('reply parser: text', () => {
  for (const [text, ctx, expected] of TEXT_CASES) {
    test(`${JSON.stringify(text)} → ${expected.kind}${'reason' in expected ? `:${expected.reason}` : ''}`, () => {
      const got = parseReply({ via: 'text', text }, ctx);
      const { matched: _m, ...rest } = got as ReplyDecision & { matched?: string };
      assert.deepEqual(rest, expected);
      if (got.kind === 'handoff' && got.reason !== 'unrecognised') assert.ok(got.matched, 'a hand-off names what it matched');
    });
  }
});

describe('reply parser: links and history', () => {
  test('a verified link is taken as it is', () => {
    assert.deepEqual(parseReply({ via: 'link', action: 'confirm', slotId: 's2' }, three), confirm(2));
    assert.deepEqual(parseReply({ via: 'link', action: 'confirm', slotId: 'old-slot' }, three), { kind: 'confirm', slotId: 'old-slot', slotNumber: null });
    assert.deepEqual(parseReply({ via: 'link', action: 'confirm' }, three), { kind: 'clarify', reason: 'no_slot_number' });
    assert.deepEqual(parseReply({ via: 'link', action: 'reschedule' }, three), { kind: 'reschedule' });
    assert.deepEqual(parseReply({ via: 'link', action: 'decline' }, three), { kind: 'decline' });
    assert.deepEqual(parseReply({ via: 'link', action: 'opt_out' }, three), { kind: 'opt_out' });
  });

  test('a third reschedule or decline is repeated dissatisfaction and goes to a human', () => {
    assert.deepEqual(parseReply({ via: 'text', text: 'another time' }, { ...three, previous: ['reschedule'] }), { kind: 'reschedule' });
    assert.deepEqual(parseReply({ via: 'text', text: '改时间' }, { ...three, previous: ['reschedule', 'clarify', 'decline'] }), {
      kind: 'handoff',
      reason: 'repeated_dissatisfaction',
    });
    assert.deepEqual(parseReply({ via: 'link', action: 'reschedule' }, { ...three, previous: ['reschedule', 'reschedule'] }), {
      kind: 'handoff',
      reason: 'repeated_dissatisfaction',
    });
    assert.deepEqual(parseReply({ via: 'text', text: '1' }, { ...three, previous: ['reschedule', 'reschedule'] }), confirm(1), 'a confirmation is never held back');
  });
});
