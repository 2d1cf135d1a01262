import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compareFacts, extractFacts } from '../../alerts/messages/fact-preservation.ts';
import type { Language } from '../../alerts/messages/message-catalogue.ts';
import { catalogueFor } from '../../alerts/messages/message-catalogues.ts';
import { escapeHtml } from '../../alerts/messages/message-blocks.ts';
import { composeProactiveMessage, type ProactiveMessageContext } from '../../alerts/messages/proactive-message.ts';
import { SAFETY_STEP_IDS, safetyStepsFor } from '../../alerts/messages/safety-steps.ts';
import { CustomerLinks } from '../../alerts/notify/customer-links.ts';
import type { Prediction } from '../../models/prediction.ts';
import { ManualClock } from '../../platform/clock.ts';

const clock = new ManualClock(Date.parse('2026-11-24T08:00:00Z'));
const links = new CustomerLinks({ secret: 'test-link-secret-0123456789abcdefghij', baseUrl: 'https://svc.example.com/r', clock });

function prediction(over: Partial<Prediction> = {}): Prediction {
  return {
    tenant: 'acme',
    device: 'pump-0001',
    equipmentType: 'centrifugal_pump',
    at: clock.now(),
    modelVersion: 'm1',
    status: 'ok',
    risks: [
      {
        mode: 'bearing_wear',
        risk: 0.82,
        horizonHours: 168,
        threshold: 0.5,
        attributions: [
          { sensor: 'vibration_rms_mm_s', feature: 'vibration_rms_mm_s__slope_24h', contribution: 1.2, share: 0.46, value: 4.1 },
          { sensor: 'bearing_temp_c', feature: 'bearing_temp_c__level', contribution: 0.6, share: 0.21, value: 71 },
          { sensor: 'flow_m3h', feature: 'flow_m3h__level', contribution: -0.2, share: 0.07, value: 30 },
        ],
      },
    ],
    rulHours: 200,
    rulLowerHours: 130,
    ...over,
  };
}

function context(language: Language, timezone: string, over: Partial<ProactiveMessageContext> = {}): ProactiveMessageContext {
  return {
    language,
    timezone,
    customerName: language === 'en' ? 'Ms Chen' : '陈女士',
    deviceLabel: 'P-101',
    prediction: prediction(),
    slots: [
      { id: 's1', startsAt: '2026-12-01T01:00:00Z', endsAt: '2026-12-01T03:00:00Z', technicianName: 'Li Wei' },
      { id: 's2', startsAt: '2026-12-02T06:30:00Z', endsAt: '2026-12-02T08:30:00Z', technicianName: 'Anna Berg' },
      { id: 's3', startsAt: '2026-12-03T13:00:00Z', endsAt: '2026-12-03T15:00:00Z', technicianName: 'Li Wei' },
    ],
    links: links.forMessage({ tenant: 'acme', ticketId: 't-1', customerId: 'c-1' }),
    supportPhone: '+86 10 8888 6666',
    ...over,
  };
}

const withoutUrls = (s: string) => s.replace(/https?:\/\/\S+/g, ' ');

describe('proactive message', () => {
  test('standard English: what we see, evidence, how sure, time left, slots in the customer time zone, reply instructions', () => {
    const m = composeProactiveMessage(context('en', 'America/New_York'), { plain: false });
    assert.match(m.subject, /pump P-101/);
    assert.match(m.text, /early signs of bearing wear/);
    assert.match(m.text, /vibration level \(RMS\) \(46% of the evidence\)/);
    assert.match(m.text, /bearing temperature \(21%/);
    assert.doesNotMatch(m.text, /flow rate/, 'a sensor that lowers the risk is not named as evidence');
    assert.match(m.text, /likely \(82%\) within the next 7 days/);
    assert.match(m.text, /may stop working in about 5 days/, 'the conservative RUL bound (130 h)');
    // 01:00 UTC on 1 Dec is 20:00 on 30 Nov in New York.
    assert.match(m.text, /1\. Mon 30 Nov 2026, 20:00–22:00, technician Li Wei/);
    assert.match(m.text, /Reply 1, 2, or 3 to choose a time/);
    assert.match(m.text, /If it makes a grinding noise, switch it off\./);
    assert.match(m.text, /\+86 10 8888 6666/);
    assert.deepEqual(m.offeredSlotIds, ['s1', 's2', 's3']);
    assert.match(m.html, /^<!doctype html><html lang="en">/);
  });

  test('Chinese: dates and times in Asia/Shanghai, every string from the zh-CN catalogue', () => {
    const m = composeProactiveMessage(context('zh-CN', 'Asia/Shanghai'), { plain: false });
    assert.match(m.text, /1\. 2026年12月1日 星期二 09:00–11:00，技术员 Li Wei/);
    assert.match(m.text, /发现了轴承磨损的早期迹象/);
    assert.match(m.text, /请回复 1、2或3 选择时间/);
    assert.match(m.text, /如果有刺耳的摩擦声，请关掉机器。/);
    assert.doesNotMatch(withoutUrls(m.text), /\b(?:the|and|Reply|technician)\b/, 'no English words leak into the Chinese message');
    assert.match(m.html, /lang="zh-CN"/);
  });

  test('plain version: large type, short sentences, no jargon, same facts', () => {
    for (const language of ['en', 'zh-CN'] as const) {
      const ctx = context(language, 'Europe/Berlin');
      const std = composeProactiveMessage(ctx, { plain: false });
      const plain = composeProactiveMessage(ctx, { plain: true });
      assert.match(plain.html, /font-size:22px/);
      assert.deepEqual(compareFacts(std.text, plain.text, language), { ok: true, missing: [], added: [] });
      const facts = extractFacts(std.text, language);
      assert.equal(facts.filter((f) => f.kind === 'date').length, 3);
      assert.equal(facts.filter((f) => f.kind === 'time').length, 6);
      assert.deepEqual(facts.filter((f) => f.kind === 'phone').map((f) => f.value), ['+86 10 8888 6666']);
      assert.equal(facts.filter((f) => f.kind === 'safety').length, safetyStepsFor('bearing_wear').length);
      assert.equal(facts.filter((f) => f.kind === 'link').length, 6);
      for (const word of catalogueFor(language).jargon) assert.ok(!containsWord(plain.text, word, language), `${language} plain text has jargon "${word}"`);
      assert.ok(containsWord(std.text, language === 'en' ? 'RMS' : '轴承', language), 'the jargon check can fail: the standard version has jargon');
    }
  });

  test('every safety step id has a sentence in every catalogue', () => {
    for (const language of ['en', 'zh-CN'] as const) {
      for (const id of SAFETY_STEP_IDS) assert.ok(catalogueFor(language).safetySteps[id], `${language}:${id}`);
    }
  });

  test('an insufficient-data prediction or no slots is refused', () => {
    assert.throws(() => composeProactiveMessage(context('en', 'UTC', { prediction: prediction({ status: 'insufficient_data', risks: [] }) }), { plain: false }), /insufficient_data/);
    assert.throws(() => composeProactiveMessage(context('en', 'UTC', { slots: [] }), { plain: false }), /at least one visit slot/);
  });
});

function containsWord(text: string, word: string, language: Language): boolean {
  const t = withoutUrls(text);
  if (language === 'zh-CN' || /[^\x00-\x7f]/.test(word)) return t.includes(word);
  return new RegExp(`(?<![A-Za-z])${word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![A-Za-z])`, 'i').test(t);
}

function sentences(text: string, language: Language): string[] {
  const t = withoutUrls(text);
  return (language === 'en' ? t.split(/[.!?\n]+(?:\s|$)|\n/) : t.split(/[。！？\n]/)).map((s) => s.trim()).filter(Boolean);
}

const MODES = ['bearing_wear', 'seal_wear', 'valve_wear', 'cooler_fouling', 'winding_insulation', 'gear_wear', 'gear_tooth_crack', 'new_mode_x'];
const SENSORS = ['vibration_rms_mm_s', 'bearing_temp_c', 'motor_current_a', 'oil_debris_ppm', 'winding_temp_c', 'gear_mesh_vib_g', 'duty_cycle_pct', 'unknown_sensor'];
const ZONES = ['UTC', 'Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Adelaide', 'Asia/Kolkata', 'America/St_Johns'];
const PHONES = ['+86 10 8888 6666', '+49 30 1234567', '(555) 010-4477', '400-820-8820', '+1 212 555 0199'];
const NAMES = ['Li Wei', 'Anna Berg', '王芳', 'José Díaz'];
const EQUIPMENT = ['centrifugal_pump', 'air_compressor', 'motor_gearbox', 'mixer'];

const arbContext = fc
  .record({
    language: fc.constantFrom<Language>('en', 'zh-CN'),
    timezone: fc.constantFrom(...ZONES),
    mode: fc.constantFrom(...MODES),
    equipmentType: fc.constantFrom(...EQUIPMENT),
    risk: fc.double({ min: 0.05, max: 1, noNaN: true }),
    rul: fc.option(fc.double({ min: 1, max: 2000, noNaN: true }), { nil: null }),
    attributions: fc.array(
      fc.record({ sensor: fc.constantFrom(...SENSORS), contribution: fc.double({ min: -2, max: 2, noNaN: true }), share: fc.double({ min: 0, max: 1, noNaN: true }) }),
      { maxLength: 5 },
    ),
    slots: fc.array(
      fc.record({ start: fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2030-12-31') }), hours: fc.integer({ min: 1, max: 8 }), tech: fc.constantFrom(...NAMES) }),
      { minLength: 1, maxLength: 5 },
    ),
    phone: fc.constantFrom(...PHONES),
    name: fc.option(fc.constantFrom('Ms Chen', '陈女士', 'Mr Okafor'), { nil: undefined }),
    device: fc.constantFrom('P-101', 'C7', 'Drive 12'),
  })
  .map((g): ProactiveMessageContext => ({
    language: g.language,
    timezone: g.timezone,
    customerName: g.name,
    deviceLabel: g.device,
    prediction: prediction({
      equipmentType: g.equipmentType,
      rulHours: g.rul,
      rulLowerHours: g.rul === null ? null : g.rul * 0.7,
      risks: [{ mode: g.mode, risk: g.risk, horizonHours: 168, threshold: 0.5, attributions: g.attributions.map((a) => ({ ...a, feature: `${a.sensor}__level`, value: 1 })) }],
    }),
    slots: g.slots.map((s, i) => ({ id: `slot-${i}`, startsAt: new Date(Math.floor(s.start / 60_000) * 60_000), endsAt: Math.floor(s.start / 60_000) * 60_000 + s.hours * 3600_000, technicianName: s.tech })),
    links: links.forMessage({ tenant: 'acme', ticketId: 'tk', customerId: 'cu' }),
    supportPhone: g.phone,
  }));

describe('fact preservation over generated messages', () => {
  test('standard and plain versions carry the same dates, times, phone numbers, links and safety steps; plain has no jargon and short sentences', () => {
    fc.assert(
      fc.property(arbContext, (ctx) => {
        const std = composeProactiveMessage(ctx, { plain: false });
        const plain = composeProactiveMessage(ctx, { plain: true });
        const cmp = compareFacts(std.text, plain.text, ctx.language);
        assert.deepEqual(cmp, { ok: true, missing: [], added: [] });
        const facts = extractFacts(std.text, ctx.language);
        const offered = Math.min(3, ctx.slots.length);
        assert.equal(facts.filter((f) => f.kind === 'date').length, offered);
        assert.equal(facts.filter((f) => f.kind === 'time').length, offered * 2);
        assert.deepEqual(facts.filter((f) => f.kind === 'phone').map((f) => f.value), [ctx.supportPhone]);
        assert.ok(facts.some((f) => f.kind === 'safety'));
        // The large-type HTML carries the same facts as the text it is shown beside.
        for (const f of extractFacts(plain.text, ctx.language)) assert.ok(plain.html.includes(escapeHtml(f.value)), `HTML lacks ${f.kind} ${f.value}`);
        for (const word of catalogueFor(ctx.language).jargon) assert.ok(!containsWord(plain.text, word, ctx.language), `plain text has jargon "${word}":\n${plain.text}`);
        for (const s of sentences(plain.text, ctx.language)) {
          if (ctx.language === 'en') assert.ok(s.split(/\s+/).length <= 14, `long sentence: ${s}`);
          else assert.ok([...s.replace(/\s/g, '')].length <= 32, `long sentence: ${s}`);
        }
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  test('the checker catches a changed date, time, phone number, link or safety step', () => {
    for (const language of ['en', 'zh-CN'] as const) {
      const ctx = context(language, 'Asia/Shanghai');
      const std = composeProactiveMessage(ctx, { plain: false }).text;
      const plain = composeProactiveMessage(ctx, { plain: true }).text;
      const date = extractFacts(plain, language).find((f) => f.kind === 'date')!.value;
      const changedDate = language === 'en' ? date.replace(/\b1 Dec/, '2 Dec') : date.replace('12月1日', '12月2日');
      assert.notEqual(changedDate, date);
      const tampered = [
        plain.replace(date, changedDate),
        plain.replace('09:00', '10:00'),
        plain.replace('+86 10 8888 6666', '+86 10 8888 6667'),
        plain.replace(/(https:\/\/svc\.example\.com\/r\/)\S+/, '$1forged'),
        plain.replace(catalogueFor(language).safetySteps.grinding_noise_switch_off, ''),
        plain.replace(catalogueFor(language).safetySteps.grinding_noise_switch_off, language === 'en' ? 'Turn it off if it grinds.' : '有摩擦声就关机。'),
      ];
      for (const [i, t] of tampered.entries()) {
        assert.notEqual(t, plain, `tampering ${i} changed nothing`);
        const cmp = compareFacts(std, t, language);
        assert.equal(cmp.ok, false, `${language} tampering ${i} not caught`);
      }
      const cmp = compareFacts(std, plain.replace(date, changedDate), language);
      assert.deepEqual(cmp.missing, [{ kind: 'date', value: date }]);
      assert.deepEqual(cmp.added, [{ kind: 'date', value: changedDate }]);
    }
  });
});
