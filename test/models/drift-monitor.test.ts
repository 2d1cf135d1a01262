import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { binOf, DriftMonitor, featureImportance, psi } from '../../models/drift-monitor.ts';
import type { FeatureVector } from '../../models/feature-source.ts';
import { loadBundle, type ModelBundle } from '../../models/model-bundle.ts';
import { seededRandom } from '../../models/seeded-random.ts';
import { buildToyBundle, FEATURE_NAMES } from './scoring-fixtures.ts';

describe('PSI', () => {
  test('bins follow the trees: a value equal to an edge falls in the lower bin', () => {
    assert.equal(binOf([1, 2, 3], 0.5), 0);
    assert.equal(binOf([1, 2, 3], 1), 0);
    assert.equal(binOf([1, 2, 3], 1.5), 1);
    assert.equal(binOf([1, 2, 3], 3), 2);
    assert.equal(binOf([1, 2, 3], 9), 3);
  });

  test('matches the formula; identical distributions give 0; NaNs are skipped', () => {
    const ref = { edges: [0], shares: [0.5, 0.5] };
    assert.equal(psi(ref, [-1, 1, -2, 2, NaN]), 0);
    const sixty = [-1, -1, -1, -1, -1, -1, 1, 1, 1, 1];
    assert.ok(Math.abs(psi(ref, sixty) - (0.1 * Math.log(1.2) + -0.1 * Math.log(0.8))) < 1e-12);
    // An empty bin counts as 1e-4, so the index stays finite.
    const allHigh = psi(ref, [1, 2, 3]);
    assert.ok(Math.abs(allHigh - ((1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2))) < 1e-12);
    assert.ok(Number.isNaN(psi(ref, [NaN])));
  });
});

describe('DriftMonitor', () => {
  let dir: string;
  let bundle: ModelBundle;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'prognos-drift-'));
    buildToyBundle(dir, { version: 'v1' });
    bundle = loadBundle(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Vectors like the training rows (uniform 0..4), with `shift` added to the vibration features. */
  function vectors(n: number, seed: number, shift = 0): FeatureVector[] {
    const random = seededRandom(seed);
    return Array.from({ length: n }, (_, i) => {
      const values = Float64Array.from(FEATURE_NAMES, (name) => random() * 4 + (name.startsWith('vibration_rms') ? shift : 0));
      return { status: 'ok' as const, names: FEATURE_NAMES, values, at: i };
    });
  }

  test('the informative features rank first by importance', () => {
    const top = featureImportance(bundle).slice(0, 2).map((f) => f.feature).sort();
    assert.deepEqual(top, ['current__mean', 'vibration_rms__mean']);
  });

  test('inputs like the training data are ok; a shift in a top feature is drift, named', () => {
    const steady = new DriftMonitor({ window: 500, minSample: 200 });
    for (const v of vectors(500, 7)) steady.observe(bundle, v);
    const ok = steady.report('toy_pump')!;
    assert.equal(ok.level, 'ok', JSON.stringify(ok.top));
    assert.equal(ok.sampleSize, 500);
    assert.equal(ok.modelVersion, 'v1');
    assert.ok(Object.values(ok.psi).every((x) => x < 0.1));

    const shifted = new DriftMonitor({ window: 500, minSample: 200 });
    for (const v of vectors(500, 7, 1.5)) shifted.observe(bundle, v);
    const drift = shifted.report('toy_pump')!;
    assert.equal(drift.level, 'drift');
    assert.match(drift.top[0]!.feature, /^vibration_rms__/);
    assert.ok(drift.top[0]!.psi > 0.25);
    assert.ok(drift.psi['current__mean']! < 0.1, 'unshifted features stay quiet');
  });

  test('a moderate shift warns; the window forgets old vectors', () => {
    const m = new DriftMonitor({ window: 400, minSample: 100 });
    for (const v of vectors(400, 3, 0.3)) m.observe(bundle, v);
    const r = m.report('toy_pump')!;
    assert.equal(r.level, 'warn', JSON.stringify(r.top));
    for (const v of vectors(400, 4)) m.observe(bundle, v);
    assert.equal(m.report('toy_pump')!.level, 'ok', 'the shifted vectors have left the window');
  });

  test('too few vectors give no verdict; insufficient vectors are not inputs; a new version starts over', () => {
    const m = new DriftMonitor({ minSample: 50 });
    assert.equal(m.report('toy_pump'), undefined);
    for (const v of vectors(20, 1, 3)) m.observe(bundle, v);
    m.observe(bundle, { status: 'insufficient_data', reason: 'gaps', at: 99 });
    const r = m.report('toy_pump')!;
    assert.equal(r.level, 'insufficient');
    assert.equal(r.sampleSize, 20);
    const v2 = { ...bundle, card: { ...bundle.card, version: 'v2' } };
    m.observe(v2, vectors(1, 2)[0]!);
    assert.equal(m.report('toy_pump')!.sampleSize, 1);
    assert.equal(m.reports()[0]!.modelVersion, 'v2');
  });
});
