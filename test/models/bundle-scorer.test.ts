import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BundleScorer } from '../../models/bundle-scorer.ts';
import type { FeatureVector } from '../../models/feature-source.ts';
import { loadBundle } from '../../models/model-bundle.ts';
import { PredictionSchema } from '../../models/prediction.ts';
import { shapValues } from '../../models/tree-shap.ts';
import { predict } from '../../models/tree-ensemble.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { buildToyBundle, FEATURE_NAMES, MODES } from './scoring-fixtures.ts';

function ok(values: number[], at = 1_000): FeatureVector {
  return { status: 'ok', names: FEATURE_NAMES, values: Float64Array.from(values), at };
}

// vibration last/mean, bearing_temp last/mean, current last/mean
const WORN = [3.8, 3.8, 2, 2, 0.5, 0.5];
const HEALTHY = [0.3, 0.3, 2, 2, 0.5, 0.5];

describe('BundleScorer', () => {
  let dir: string;
  let scorer: BundleScorer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prognos-bundle-'));
    buildToyBundle(dir, { version: 'v1' });
    scorer = await BundleScorer.load(dir);
  });
  after(async () => {
    await scorer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('risk per mode and RUL agree with the trees; the lower bound is point × factor', async () => {
    const bundle = loadBundle(dir);
    const [worn, healthy] = await scorer.score([
      { tenant: 't1', device: 'd1', vector: ok(WORN, 5_000) },
      { tenant: 't1', device: 'd2', vector: ok(HEALTHY) },
    ]);
    for (const p of [worn!, healthy!]) {
      PredictionSchema.parse(p);
      assert.equal(p.status, 'ok');
      assert.equal(p.modelVersion, 'v1');
      assert.equal(p.equipmentType, 'toy_pump');
      assert.deepEqual(p.risks.map((r) => r.mode), [...MODES]);
      for (const r of p.risks) {
        assert.equal(r.horizonHours, 72);
        assert.equal(r.threshold, 0.5);
      }
    }
    assert.equal(worn!.at, 5_000);
    assert.equal(worn!.device, 'd1');
    const wornRisk = worn!.risks.find((r) => r.mode === 'bearing_wear')!.risk;
    const healthyRisk = healthy!.risks.find((r) => r.mode === 'bearing_wear')!.risk;
    assert.ok(wornRisk > 0.8 && healthyRisk < 0.2, `worn ${wornRisk}, healthy ${healthyRisk}`);
    assert.ok(Math.abs(wornRisk - predict(bundle.risk.get('bearing_wear')!, WORN)) < 1e-5);
    assert.ok(Math.abs(worn!.rulHours! - predict(bundle.rul!, WORN)) < 1e-3);
    assert.ok(healthy!.rulHours! > worn!.rulHours!, 'more vibration, less life');
    assert.ok(Math.abs(worn!.rulLowerHours! - worn!.rulHours! * 0.6) < 1e-9);
  });

  test('attributions: at most 5 sensors, strongest first, named by their strongest feature, matching TreeSHAP', async () => {
    const [p] = await scorer.score([{ tenant: 't', device: 'd', vector: ok(WORN) }]);
    const wear = p!.risks.find((r) => r.mode === 'bearing_wear')!;
    assert.ok(wear.attributions.length > 0 && wear.attributions.length <= 5);
    assert.equal(wear.attributions[0]!.sensor, 'vibration_rms');
    assert.ok(wear.attributions[0]!.contribution > 0, 'high vibration pushes the wear risk up');
    for (let i = 1; i < wear.attributions.length; i++) {
      assert.ok(Math.abs(wear.attributions[i - 1]!.contribution) >= Math.abs(wear.attributions[i]!.contribution));
    }
    const total = wear.attributions.reduce((s, a) => s + a.share, 0);
    assert.ok(total <= 1 + 1e-9);
    const shap = shapValues(loadBundle(dir).risk.get('bearing_wear')!, WORN).values;
    const vib = shap[0]! + shap[1]!;
    assert.ok(Math.abs(wear.attributions[0]!.contribution - vib) < 1e-9);
    const strongest = Math.abs(shap[0]!) >= Math.abs(shap[1]!) ? 'vibration_rms__last' : 'vibration_rms__mean';
    assert.equal(wear.attributions[0]!.feature, strongest);
    assert.equal(wear.attributions[0]!.value, 3.8);
  });

  test('an insufficient vector is never scored: empty risks, no RUL, its reason kept', async () => {
    const preds = await scorer.score([
      { tenant: 't', device: 'a', vector: ok(HEALTHY) },
      { tenant: 't', device: 'b', vector: { status: 'insufficient_data', reason: 'gaps in 8 of 24 hours', at: 7_000 } },
      { tenant: 't', device: 'c', vector: ok(WORN) },
    ]);
    assert.deepEqual(preds.map((p) => p.device), ['a', 'b', 'c']);
    const b = preds[1]!;
    PredictionSchema.parse(b);
    assert.equal(b.status, 'insufficient_data');
    assert.equal(b.insufficientReason, 'gaps in 8 of 24 hours');
    assert.deepEqual(b.risks, []);
    assert.equal(b.rulHours, null);
    assert.equal(b.rulLowerHours, null);
    assert.ok(preds[2]!.risks[0]!.risk > preds[0]!.risks[0]!.risk, 'rows around the gap keep their own scores');
    const onlyBad = await scorer.score([{ tenant: 't', device: 'b', vector: { status: 'insufficient_data', reason: 'new device', at: 1 } }]);
    assert.equal(onlyBad[0]!.status, 'insufficient_data');
  });

  test('features are matched by name: another order or a missing feature still scores right', async () => {
    const order = [...FEATURE_NAMES].reverse();
    const values = order.map((n) => WORN[FEATURE_NAMES.indexOf(n)]!);
    const [a] = await scorer.score([{ tenant: 't', device: 'd', vector: ok(WORN) }]);
    const [b] = await scorer.score([{ tenant: 't', device: 'd', vector: { status: 'ok', names: order, values: Float64Array.from(values), at: 1_000 } }]);
    assert.deepEqual(b!.risks.map((r) => r.risk), a!.risks.map((r) => r.risk));
    const partial = FEATURE_NAMES.slice(0, 4);
    const [c] = await scorer.score([{ tenant: 't', device: 'd', vector: { status: 'ok', names: partial, values: Float64Array.from(WORN.slice(0, 4)), at: 1_000 } }]);
    assert.equal(c!.status, 'ok');
    assert.ok(c!.risks.every((r) => r.risk >= 0 && r.risk <= 1));
  });

  test('explain: above_threshold leaves quiet modes unexplained', async () => {
    const quiet = await BundleScorer.load(dir, { explain: 'above_threshold' });
    try {
      const [p] = await quiet.score([{ tenant: 't', device: 'd', vector: ok(WORN) }]);
      const wear = p!.risks.find((r) => r.mode === 'bearing_wear')!;
      const leak = p!.risks.find((r) => r.mode === 'seal_leak')!;
      assert.ok(wear.risk >= wear.threshold && wear.attributions.length > 0);
      assert.ok(leak.risk < leak.threshold);
      assert.deepEqual(leak.attributions, []);
    } finally {
      await quiet.close();
    }
  });

  test('close() lets a batch in flight finish, then refuses new work', async () => {
    const s = await BundleScorer.load(dir);
    const inFlight = s.score(Array.from({ length: 64 }, (_, i) => ({ tenant: 't', device: `d${i}`, vector: ok(WORN) })));
    const closed = s.close();
    const preds = await inFlight;
    assert.equal(preds.length, 64);
    assert.ok(preds.every((p) => p.status === 'ok'));
    await closed;
    await assert.rejects(s.score([{ tenant: 't', device: 'd', vector: ok(WORN) }]), (err) => isPrognosError(err));
  });

  test('a bundle whose files do not match its card is refused', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'prognos-bundle-bad-'));
    try {
      buildToyBundle(bad, { version: 'v-bad', rows: 300 });
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(bad, 'trees.json'), '{}');
      await assert.rejects(BundleScorer.load(bad), (err) => isPrognosError(err) && err.code === 'PRG_MODEL_INVALID');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
