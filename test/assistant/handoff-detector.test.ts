import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectHandOff } from '../../assistant/handoff-detector.ts';
import { detectLanguage } from '../../assistant/language.ts';

describe('hand-off detector', () => {
  it('hands off at once on safety words, English and Chinese, with high urgency', () => {
    for (const m of ['There is smoke coming out of the pump', 'The motor is sparking!', '泵在冒烟', '有人触电了']) {
      const d = detectHandOff(m);
      assert.equal(d.handOff, true, m);
      assert.equal(d.reason, 'safety');
      assert.equal(d.urgency, 'high');
    }
  });

  it('hands off on anger and shouting', () => {
    assert.equal(detectHandOff('This is unacceptable, your service is useless').reason, 'anger');
    assert.equal(detectHandOff('我要投诉，太差了').reason, 'anger');
    assert.equal(detectHandOff('WHY IS NOBODY FIXING THIS').reason, 'anger');
  });

  it('hands off when the customer asks for a person', () => {
    assert.equal(detectHandOff('Can I talk to a human please').reason, 'human_requested');
    assert.equal(detectHandOff('转人工').reason, 'human_requested');
  });

  it('hands off on dissatisfaction only when it is repeated', () => {
    assert.equal(detectHandOff('The pump is still not working').handOff, false);
    const d = detectHandOff('It is still not working', ['I am not happy with the last visit']);
    assert.equal(d.handOff, true);
    assert.equal(d.reason, 'repeated_dissatisfaction');
    assert.equal(detectHandOff('还是不行', ['我很失望']).reason, 'repeated_dissatisfaction');
  });

  it('leaves ordinary questions alone', () => {
    for (const m of ['When is the visit?', '我的泵状态怎么样？', 'Why is pump-07 flagged?', 'Please reschedule to Friday']) assert.equal(detectHandOff(m).handOff, false, m);
  });

  it('detects the language of a message', () => {
    assert.equal(detectLanguage('我的泵怎么样'), 'zh-CN');
    assert.equal(detectLanguage('pump-07 状态怎么样？'), 'zh-CN');
    assert.equal(detectLanguage('How is pump-07?'), 'en');
    assert.equal(detectLanguage('42', 'zh-CN'), 'zh-CN');
  });
});
