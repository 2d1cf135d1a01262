import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideTier, LOW_CONFIDENCE_RISK, SAFETY_CRITICAL_MODES, type TierInput } from '../../maintenance/service-tier.ts';

const routine: TierInput = { mode: 'bearing_wear', deviceCriticality: 'medium', customerNeedsHuman: false, risk: 0.8 };

test('a routine, confident prediction on an ordinary device is handled by the system alone', () => {
  assert.deepEqual(decideTier(routine), { tier: 'ai', reason: 'routine' });
  assert.deepEqual(decideTier({ ...routine, deviceCriticality: 'low' }), { tier: 'ai', reason: 'routine' });
});

test('safety-critical failure modes go to a human, each with its documented reason', () => {
  assert.deepEqual(Object.keys(SAFETY_CRITICAL_MODES).sort(), ['gear_tooth_crack', 'winding_insulation']);
  for (const mode of Object.keys(SAFETY_CRITICAL_MODES)) {
    assert.ok(SAFETY_CRITICAL_MODES[mode]!.length > 20);
    assert.deepEqual(decideTier({ ...routine, mode, deviceCriticality: 'low', risk: 0.99 }), { tier: 'human', reason: `safety_critical_mode:${mode}` });
  }
});

test('critical devices, customers flagged for it and security-sensitive actions go to a human', () => {
  assert.deepEqual(decideTier({ ...routine, deviceCriticality: 'critical' }), { tier: 'human', reason: 'device_critical' });
  assert.deepEqual(decideTier({ ...routine, customerNeedsHuman: true }), { tier: 'human', reason: 'customer_needs_human' });
  assert.deepEqual(decideTier({ ...routine, securitySensitiveAction: 'remote_shutdown' }), { tier: 'human', reason: 'security_sensitive:remote_shutdown' });
});

test('high criticality or low confidence: the system proposes, an engineer approves', () => {
  assert.deepEqual(decideTier({ ...routine, deviceCriticality: 'high' }), { tier: 'assisted', reason: 'device_high_criticality' });
  assert.deepEqual(decideTier({ ...routine, risk: LOW_CONFIDENCE_RISK - 0.01 }), { tier: 'assisted', reason: 'low_confidence' });
  assert.deepEqual(decideTier({ ...routine, risk: LOW_CONFIDENCE_RISK }), { tier: 'ai', reason: 'routine' });
});

test("confidence is judged against the model's own threshold when it is known", () => {
  // A rare-event classifier with threshold 0.08 is sure at 0.12 (1.5 × its threshold)…
  assert.deepEqual(decideTier({ ...routine, risk: 0.12, threshold: 0.08 }), { tier: 'ai', reason: 'routine' });
  assert.deepEqual(decideTier({ ...routine, risk: 0.11, threshold: 0.08 }), { tier: 'assisted', reason: 'low_confidence' });
  // …and a high threshold never lifts the bar above the absolute one.
  assert.deepEqual(decideTier({ ...routine, risk: LOW_CONFIDENCE_RISK, threshold: 0.5 }), { tier: 'ai', reason: 'routine' });
  assert.deepEqual(decideTier({ ...routine, risk: 0.59, threshold: 0.5 }), { tier: 'assisted', reason: 'low_confidence' });
});

test('the strongest rule wins: human reasons outrank assisted ones', () => {
  assert.equal(decideTier({ ...routine, deviceCriticality: 'high', customerNeedsHuman: true, risk: 0.1 }).tier, 'human');
  assert.equal(decideTier({ ...routine, mode: 'winding_insulation', deviceCriticality: 'critical' }).reason, 'safety_critical_mode:winding_insulation');
});
