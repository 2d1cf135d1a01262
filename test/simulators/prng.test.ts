import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveSeed, Rng, seedFrom } from '../../simulators/prng.ts';

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextUint32());

test('the same seed gives the same stream; another seed another stream', () => {
  assert.deepEqual(draws(new Rng(42), 100), draws(new Rng(42), 100));
  assert.notDeepEqual(draws(new Rng(42), 100), draws(new Rng(43), 100));
});

test('derived seeds are stable, and differ by label and by index', () => {
  assert.equal(deriveSeed(1, 'device', 3), deriveSeed(1, 'device', 3));
  const seeds = new Set([deriveSeed(1, 'device', 3), deriveSeed(1, 'device', 4), deriveSeed(2, 'device', 3), deriveSeed(1, 'link', 3)]);
  assert.equal(seeds.size, 4);
});

test('seeds from text: integers as they are, other text hashed', () => {
  assert.equal(seedFrom('7'), 7);
  assert.equal(seedFrom(7), 7);
  assert.equal(seedFrom('plant-a'), seedFrom('plant-a'));
  assert.notEqual(seedFrom('plant-a'), seedFrom('plant-b'));
});

test('uniforms lie in [0, 1) with the right mean; normals have mean 0 and σ 1', () => {
  const rng = new Rng(9);
  const n = 50_000;
  let sum = 0;
  let normSum = 0;
  let normSq = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    const z = rng.normal();
    normSum += z;
    normSq += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  assert.ok(Math.abs(normSum / n) < 0.02);
  assert.ok(Math.abs(Math.sqrt(normSq / n) - 1) < 0.02);
});

test('weighted picks follow the weights', () => {
  const rng = new Rng(3);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30_000; i++) counts[rng.pickWeighted([1, 2, 0])]!++;
  assert.equal(counts[2], 0);
  assert.ok(Math.abs(counts[1]! / counts[0]! - 2) < 0.15);
});
