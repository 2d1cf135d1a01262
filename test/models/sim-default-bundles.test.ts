import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { featureNamesFor } from '../../models/feature-spec.ts';
import { loadBundle } from '../../models/model-bundle.ts';
import { OnnxScorer } from '../../models/onnx-scorer.ts';
import { readFleet } from '../../models/sim-history.ts';
import { buildTrainingSet } from '../../models/sim-training-set.ts';
import { predict } from '../../models/tree-ensemble.ts';
import { EQUIPMENT_TYPES } from '../../simulators/equipment-model.ts';
import { writeHistory } from '../../simulators/history-writer.ts';

const DEFAULT_DIR = join(import.meta.dirname, '../../models/default');

describe('shipped default bundles (models/default)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prognos-default-bundles-'));
    await writeHistory({ outDir: dir, devices: 3, days: 8, seed: 4242 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const type of EQUIPMENT_TYPES) {
    it(`${type}: loads with matching hashes, takes today's feature vector, and ONNX agrees with the trees on real feature rows`, async () => {
      const bundle = loadBundle(join(DEFAULT_DIR, type));
      // A feature spec changed without retraining would feed the model the wrong columns.
      assert.deepEqual(bundle.card.featureNames, featureNamesFor(type));
      assert.equal(bundle.card.equipmentType, type);
      assert.match(bundle.card.training.command, /^prognos train sim /);
      for (const m of bundle.card.modes) assert.ok(m.threshold > 0 && m.threshold < 1, `${m.mode} threshold ${m.threshold}`);
      let trees = 0;
      for (const m of [bundle.rul!, ...bundle.risk.values()]) {
        trees += m.trees.length;
        assert.ok(m.trees.length <= 200);
      }
      assert.ok(trees > 0);

      const set = await buildTrainingSet([readFleet(dir)], type, { horizonHours: bundle.card.horizonHours, rulCapHours: 500 });
      assert.ok(set.rows > 50);
      const d = set.featureNames.length;
      const rows = Float32Array.from(set.features);
      for (const [file, model] of [[bundle.card.rul!.file, bundle.rul!] as const, ...bundle.card.modes.map((m) => [m.file, bundle.risk.get(m.mode)!] as const)]) {
        const scorer = await OnnxScorer.load(bundle.onnx.get(file)!);
        try {
          const onnx = await scorer.score(rows, set.rows);
          for (let r = 0; r < set.rows; r++) {
            const ts = predict(model, set.features.subarray(r * d, r * d + d));
            const tolerance = model.objective === 'regression' ? 1e-5 * Math.max(1, Math.abs(ts)) : 1e-5;
            assert.ok(Math.abs(onnx[r]! - ts) <= tolerance, `${file} row ${r}: onnx ${onnx[r]} vs trees ${ts}`);
          }
        } finally {
          await scorer.close();
        }
      }
    });
  }
});
