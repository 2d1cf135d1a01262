import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadBundle } from '../../models/model-bundle.ts';
import { evaluateModes } from '../../models/sim-evaluation.ts';
import { readEvents, readFleet } from '../../models/sim-history.ts';
import { buildTrainingSet, type LabelledRows } from '../../models/sim-training-set.ts';
import { trainSimModels } from '../../models/sim-trainer.ts';
import { isPrognosError } from '../../platform/errors.ts';
import { writeHistory } from '../../simulators/history-writer.ts';

const H = 72;

describe('training rows from simulator histories', () => {
  let root: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'prognos-sim-training-'));
    // Drives only: three failure modes, the richest type; small and quick.
    for (const seed of [21, 22, 23]) await writeHistory({ outDir: join(root, `h${seed}`), devices: 4, days: 60, seed, types: ['motor_gearbox'] });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('labels each row by its next failure within the horizon (operating hours), censors the tail, and skips downtime', async () => {
    const fleet = readFleet(join(root, 'h21'));
    const set = await buildTrainingSet([fleet], 'motor_gearbox', { horizonHours: H, rulCapHours: 500 });
    assert.deepEqual(set.modes, ['winding_insulation', 'gear_wear', 'gear_tooth_crack']);
    assert.ok(set.rows > 3000, `rows ${set.rows}`);
    assert.ok(set.failures.length > 0, 'the history has failures');
    const events = await readEvents(fleet);
    let positives = 0;
    let censored = 0;
    for (let r = 0; r < set.rows; r++) {
      const next = set.nextFailure[r]!;
      const f = next >= 0 ? set.failures[next]! : null;
      if (f) {
        assert.equal(set.unit[r], f.unit);
        assert.ok(f.atMs > set.ts[r]!);
        assert.equal(set.rul[r], Math.min(500, f.runHours - set.runHours[r]!));
      }
      for (const mode of set.modes) {
        const y = set.labels.get(mode)![r]!;
        if (y === 1) {
          positives++;
          assert.ok(f && f.modes[0] === mode && f.runHours - set.runHours[r]! <= H);
        } else if (Number.isNaN(y)) {
          censored++;
          assert.equal(f, null, 'only rows without a next failure are censored');
        } else {
          assert.ok(!f || f.modes[0] !== mode || f.runHours - set.runHours[r]! > H);
        }
      }
      // No row between a failure and its repair.
      const device = set.unit[r]!.split('/')[1];
      const down = events.filter((e) => e.device === device && e.kind === 'failure' && e.atMs <= set.ts[r]!);
      const up = events.filter((e) => e.device === device && e.kind === 'repair' && e.atMs <= set.ts[r]!);
      assert.equal(down.length, up.length, `row ${r} lies in a failure's downtime`);
    }
    assert.ok(positives > 0 && censored > 0);
  });

  it('trains bundles reproducibly: the same data and seed give the same ONNX and trees bytes', async () => {
    const options = {
      historyDirs: [join(root, 'h21'), join(root, 'h22')],
      evalDirs: [join(root, 'h23')],
      seed: 5,
      nEstimators: 15,
      maxDepth: 3,
      sampleHours: 2,
      command: 'test',
    };
    const a = await trainSimModels({ ...options, outDir: join(root, 'a'), createdAt: '2026-01-01T00:00:00Z' });
    const b = await trainSimModels({ ...options, outDir: join(root, 'b'), createdAt: '2026-02-02T00:00:00Z' });
    assert.equal(a.length, 1);
    const files = readdirSync(join(root, 'a', 'motor_gearbox')).sort();
    assert.deepEqual(files, ['card.json', 'risk_gear_tooth_crack.onnx', 'risk_gear_wear.onnx', 'risk_winding_insulation.onnx', 'rul.onnx', 'trees.json']);
    for (const f of files.filter((f) => f !== 'card.json')) {
      assert.ok(readFileSync(join(root, 'a', 'motor_gearbox', f)).equals(readFileSync(join(root, 'b', 'motor_gearbox', f))), f);
    }
    const bundle = loadBundle(join(root, 'a', 'motor_gearbox'));
    assert.deepEqual({ ...bundle.card, createdAt: '' }, { ...loadBundle(b[0]!.dir).card, createdAt: '' });
    assert.equal(bundle.card.createdAt, '2026-01-01T00:00:00Z');
    assert.equal(bundle.card.horizonHours, H);
    assert.equal(bundle.card.training.rows, a[0]!.trainingRows);
    assert.match(bundle.card.training.data, /--seed 21,22/);
    const modes = (bundle.card.metrics as { modes: Record<string, { failures: number }> }).modes;
    assert.deepEqual(Object.keys(modes), ['winding_insulation', 'gear_wear', 'gear_tooth_crack']);
    // The drift reference covers every feature, with shares summing to 1.
    for (const name of bundle.card.featureNames) {
      const ref = bundle.card.reference[name]!;
      assert.equal(ref.shares.length, ref.edges.length + 1);
      const sum = ref.shares.reduce((s, x) => s + x, 0);
      assert.ok(sum === 0 || Math.abs(sum - 1) < 1e-9, name);
    }
  });

  it('refuses to evaluate on a seed it trains on', async () => {
    await assert.rejects(
      trainSimModels({ historyDirs: [join(root, 'h21')], evalDirs: [join(root, 'h21')], outDir: join(root, 'c'), seed: 1, createdAt: '', command: '' }),
      (e) => isPrognosError(e) && e.code === 'PRG_BAD_REQUEST',
    );
  });
});

describe('evaluation by episode', () => {
  /** One unit, one row per operating hour 0..199, failing with mode `a` at hour 150 and again at 199.5. */
  function rows(): LabelledRows {
    const n = 200;
    const runHours = Float64Array.from({ length: n }, (_, i) => i);
    const failures = [
      { device: 'd', atMs: 150.5, kind: 'failure' as const, modes: ['a'], runHours: 150.5, unit: 'u' },
      { device: 'd', atMs: 199.5, kind: 'failure' as const, modes: ['b'], runHours: 199.5, unit: 'u' },
    ];
    const nextFailure = Int32Array.from(runHours, (h) => (h < 150.5 ? 0 : 1));
    return {
      equipmentType: 't',
      featureNames: ['x'],
      modes: ['a'],
      features: new Float64Array(n),
      rows: n,
      unit: Array.from({ length: n }, () => 'u'),
      ts: runHours,
      runHours,
      rul: new Float64Array(n),
      labels: new Map([['a', Float64Array.from(runHours, (h) => (h < 150.5 && 150.5 - h <= H ? 1 : 0))]]),
      nextFailure,
      failures,
      maintenance: [],
      unitDays: new Map([['u', 60]]),
    };
  }

  it('counts a true episode with its lead time, a false one, and the false-alarm rate per device-month', () => {
    const set = rows();
    const risk = new Float64Array(set.rows);
    // False episode at hours 10..12; true episode from 100 with a 10-hour lull (same episode) up to 149.
    for (const h of [10, 11, 12]) risk[h] = 0.9;
    for (let h = 100; h <= 149; h++) risk[h] = h >= 120 && h < 130 ? 0.1 : 0.8;
    const [m] = evaluateModes(set, new Map([['a', risk]]), new Map([['a', 0.5]]), H);
    assert.equal(m!.failures, 1);
    assert.equal(m!.detected, 1);
    assert.equal(m!.recall, 1);
    assert.equal(m!.episodes, 2);
    assert.equal(m!.trueEpisodes, 1);
    assert.equal(m!.precision, 0.5);
    assert.equal(m!.medianLeadHours, 50.5);
    assert.equal(m!.falseAlarmsPerDeviceMonth, 0.5, 'one false episode in two device-months');
  });

  it('misses a failure whose alarms end more than the horizon before it', () => {
    const set = rows();
    const risk = new Float64Array(set.rows);
    for (let h = 40; h <= 60; h++) risk[h] = 0.9;
    const [m] = evaluateModes(set, new Map([['a', risk]]), new Map([['a', 0.5]]), H);
    assert.equal(m!.detected, 0);
    assert.equal(m!.trueEpisodes, 0);
    assert.equal(m!.medianLeadHours, null);
  });
});
