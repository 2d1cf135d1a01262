import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkGrounding, stripUnsupported } from '../../assistant/grounding-check.ts';

const evidence = [
  {
    id: 'tc-status',
    result: {
      device: 'pump-07',
      lastSeen: '2026-11-24T13:40:00.000Z',
      latest: [
        { sensor: 'vibration_rms_mm_s', value: 4.213, unit: 'mm/s' },
        { sensor: 'bearing_temp_c', value: 71.3, unit: '°C' },
      ],
    },
  },
  { id: 'tc-risk', result: { risks: [{ mode: 'bearing_wear', risk: 0.734, attributions: [{ sensor: 'vibration_rms_mm_s', share: 0.62 }] }], rulHours: 130 } },
  { id: 'tc-visit', result: { visit: { start: '2026-11-26T09:00:00.000Z', end: '2026-11-26T11:00:00.000Z', engineer: 'Sam Okafor' } } },
];

describe('grounding check', () => {
  it('accepts numbers, rounded values, shares as percentages, sensors and dates that tools returned, with their sources', () => {
    const r = checkGrounding(
      'pump-07 vibration_rms_mm_s is 4.21 mm/s (bearing_temp_c 71.3 °C). Risk of bearing_wear is 73.4%, vibration explains 62% of it; about 130 hours left. The visit is on 2026-11-26 at 09:00 with Sam Okafor.',
      evidence,
    );
    assert.equal(r.ok, true, JSON.stringify(r.unsupported));
    assert.deepEqual(r.sources, ['tc-status', 'tc-risk', 'tc-visit']);
    assert.ok(r.claims.some((c) => c.kind === 'sensor' && c.text === 'bearing_temp_c'));
    assert.ok(r.claims.some((c) => c.kind === 'date' && c.sources.includes('tc-visit')));
  });

  it('accepts Chinese and English written dates that match a tool date', () => {
    assert.equal(checkGrounding('上门时间是11月26日 09:00。', evidence).ok, true);
    assert.equal(checkGrounding('The engineer comes on Nov 26.', evidence).ok, true);
    assert.equal(checkGrounding('The engineer comes on 26 November 2026.', evidence).ok, true);
  });

  it('rejects a value no tool returned', () => {
    const r = checkGrounding('Vibration is 5.9 mm/s.', evidence);
    assert.equal(r.ok, false);
    assert.deepEqual(r.unsupported.map((c) => c.text), ['5.9']);
  });

  it('rejects a sensor no tool returned', () => {
    const r = checkGrounding('Check oil_debris_ppm first.', evidence);
    assert.equal(r.ok, false);
    assert.deepEqual(r.unsupported.map((c) => [c.kind, c.text]), [['sensor', 'oil_debris_ppm']]);
  });

  it('rejects a date and a time no tool returned', () => {
    const r = checkGrounding('The visit is on 2026-11-27. 该工程师 12月3日 到达。It starts at 15:30.', evidence);
    assert.deepEqual(r.unsupported.map((c) => c.text), ['2026-11-27', '12月3日', '15:30']);
  });

  it('does not count digits inside identifiers, list markers, or numbers the user said', () => {
    const r = checkGrounding('1. pump-07 and TK-P42 are listed.\n2. You asked about 3 pumps.', evidence, { userText: 'what about my 3 pumps?' });
    assert.equal(r.ok, true, JSON.stringify(r.unsupported));
  });

  it('repairs by dropping only the sentences with unsupported claims', () => {
    const answer = 'Vibration is 4.21 mm/s. The bearing will fail in 12 hours. 请检查 bearing_temp_c。';
    const r = checkGrounding(answer, evidence);
    assert.equal(r.ok, false);
    const repaired = stripUnsupported(answer, r, 'fallback');
    assert.equal(repaired, 'Vibration is 4.21 mm/s. 请检查 bearing_temp_c。');
    assert.equal(checkGrounding(repaired, evidence).ok, true);
    assert.equal(stripUnsupported('It is 99 °C.', checkGrounding('It is 99 °C.', evidence), 'fallback'), 'fallback');
  });
});
