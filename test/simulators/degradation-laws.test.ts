import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DamageLaw, fatigueLifeConsumption, growDamage, hoursUntilFailure, montsingerAgeingFactor } from '../../simulators/degradation-laws.ts';

const laws: [DamageLaw, number, number][] = [
  [{ kind: 'linear' }, 0.1, 1 / 500],
  [{ kind: 'exponential' }, 0.05, 1 / 40],
  [{ kind: 'power', exponent: 1.5 }, 0.05, 0.05],
  [{ kind: 'asymptotic' }, 0.1, 1 / 300],
];

for (const [law, d0, rate] of laws) {
  test(`${law.kind}: damage only grows, and steps of any size land on the same curve`, () => {
    const asymptote = 1.3;
    const whole = growDamage(law, d0, rate, 50, asymptote).damage;
    let split = d0;
    for (let i = 0; i < 50; i++) split = growDamage(law, split, rate, 1, asymptote).damage;
    assert.ok(whole > d0);
    assert.ok(Math.abs(whole - split) < 1e-9, `${whole} vs ${split}`);
  });

  test(`${law.kind}: the failure time is where damage reaches 1.0`, () => {
    const t = hoursUntilFailure(law, d0, rate, 1.3)!;
    assert.ok(t > 0);
    assert.ok(growDamage(law, d0, rate, t * 0.999, 1.3).damage < 1);
    const at = growDamage(law, d0, rate, t * 2, 1.3);
    assert.equal(at.damage, 1);
    assert.ok(Math.abs(at.hoursToFailure! - t) < 1e-9);
  });
}

test('an asymptote below 1 never fails (fouling that settles)', () => {
  assert.equal(hoursUntilFailure({ kind: 'asymptotic' }, 0.2, 0.01, 0.9), null);
  assert.ok(growDamage({ kind: 'asymptotic' }, 0.2, 0.01, 10_000, 0.9).damage <= 0.9);
});

test('Montsinger: insulation life halves for every 10 K', () => {
  assert.equal(montsingerAgeingFactor(155, 155), 1);
  assert.equal(montsingerAgeingFactor(165, 155), 2);
  assert.equal(montsingerAgeingFactor(135, 155), 0.25);
});

test('ISO 281: bearing life used scales with speed and the cube of load', () => {
  assert.equal(fatigueLifeConsumption(1, 1, 3), 1);
  assert.equal(fatigueLifeConsumption(0.5, 1, 3), 0.5);
  assert.equal(fatigueLifeConsumption(1, 2, 3), 8);
  assert.equal(fatigueLifeConsumption(0, 2, 3), 0);
});
