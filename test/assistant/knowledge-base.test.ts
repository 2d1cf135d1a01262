import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KnowledgeBase } from '../../assistant/knowledge-base.ts';
import { EQUIPMENT_CATALOGUE } from '../../simulators/equipment-catalogue.ts';

const MODES = ['bearing_wear', 'seal_wear', 'valve_wear', 'cooler_fouling', 'winding_insulation', 'gear_wear', 'gear_tooth_crack'];

describe('knowledge base', () => {
  const kb = KnowledgeBase.load();

  it('has one article per simulator failure mode in English and Chinese, each with symptoms, checks, safety and parts', () => {
    for (const mode of MODES) {
      for (const lang of ['en', 'zh-CN'] as const) {
        const a = kb.forMode(mode, lang);
        assert.ok(a, `${mode} ${lang}`);
        assert.equal(a.language, lang);
        assert.equal(a.id, `kb:${mode}.${lang}`);
        for (const k of ['symptoms', 'checks', 'safety', 'parts'] as const) assert.ok(a[k].length > 0, `${a.id} ${k}`);
        assert.ok(a.sensors.length > 0 && a.repairHours! > 0, a.id);
      }
    }
    assert.equal(kb.articles.length, MODES.length * 2);
  });

  it('finds the right article by symptoms with BM25, in the asked language', () => {
    assert.equal(kb.search('vibration rising bearing temperature grinding noise', { language: 'en' })[0]?.mode, 'bearing_wear');
    assert.equal(kb.search('ferrous debris in the gear oil rising steadily', { language: 'en' })[0]?.mode, 'gear_wear');
    assert.equal(kb.search('aftercooler_outlet_temp_c', { language: 'en' })[0]?.mode, 'cooler_fouling');
    assert.equal(kb.search('绕组温度 绝缘', { language: 'zh-CN' })[0]?.mode, 'winding_insulation');
    const zh = kb.search('排气温度 加载率 阀片', { language: 'zh-CN' });
    assert.equal(zh[0]?.mode, 'valve_wear');
    assert.ok(zh.every((h) => h.id.endsWith('.zh-CN')));
  });

  it('every article has symptoms, likely causes, checks, parts, repair time and safety, in both languages, for every simulated failure mode', () => {
    const simulated = Object.values(EQUIPMENT_CATALOGUE).flatMap((e) => e.model.failureModes.map((m) => m.id));
    assert.deepEqual([...new Set(simulated)].sort(), [...MODES].sort(), 'the simulator fails in exactly these modes');
    for (const a of kb.articles) {
      for (const k of ['symptoms', 'causes', 'checks', 'parts', 'safety'] as const) assert.ok(a[k].length > 0 && a[k].every((p) => p.trim().length >= 4), `${a.id} has a ${k} section`);
      assert.ok(a.repairHours !== null && a.repairHours > 0, `${a.id} repair time`);
      assert.match(a.body, a.language === 'zh-CN' ? /^## 维修时间\n+\S/m : /^## Repair time\n+\S/m, `${a.id} explains the repair time`);
      assert.ok(a.title.length > 0 && a.equipment.length > 0 && a.sensors.length > 0, a.id);
      // Chinese articles are written in Chinese (not English with a Chinese file name).
      if (a.language === 'zh-CN') assert.ok((a.body.match(/[\u4e00-\u9fff]/g)?.length ?? 0) > 100, a.id);
    }
  });
});
