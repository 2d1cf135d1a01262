import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isPrognosError } from '../../platform/errors.ts';
import {
  assignRegimes,
  detectRegimeCount,
  fitSensorScaler,
  normaliseSensors,
  N_SENSORS,
  parseCmapss,
  parseRulFile,
  readCmapssFile,
  rulTargets,
  type CmapssUnit,
} from '../../models/cmapss-data.ts';
import { alarmMetrics, chooseThreshold, defaultModelConfig, featurise, fitCmapssPipeline, formatPredictions, nasaScore, predictAt, rulMetrics, runCmapssEval, unitFolds } from '../../models/cmapss-eval.ts';
import { cmapssFeatureNames, DEFAULT_FEATURE_SPEC, featureKinds, healthIndexNames, MULTI_CONDITION_FEATURE_SPEC, unitFeatures } from '../../models/cmapss-features.ts';
import { faultModeGroups, fitHealthIndex, fitRegimeHealthIndex, withHealthIndexes } from '../../models/cmapss-health-index.ts';
import { seededRandom, type Random } from '../../models/seeded-random.ts';

const REAL_DATA = fileURLToPath(new URL('../../../shared/datasets/cmapss', import.meta.url));
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
/** Same length, and every entry within `tolerance` of the expected one. */
function assertClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < tolerance, `${what} [${i}]: ${actual[i]} vs ${e}`));
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prognos-cmapss-'));
  tempDirs.push(dir);
  return dir;
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** FD002-like operating conditions: (altitude kft, Mach, TRA). */
const CONDITIONS = [
  [0, 0, 100],
  [10, 0.25, 100],
  [20, 0.7, 100],
  [25, 0.62, 60],
  [35, 0.84, 100],
  [42, 0.84, 100],
] as const;

/**
 * Units in the C-MAPSS text format: sensor j reads `offset(regime, j) + wear · j/21 + noise`, where
 * wear grows exponentially towards the last cycle; sensors 1, 5 and 10 are constant.
 */
function syntheticText(options: { units: number; regimes: 1 | 6; seed: number; minLen?: number; maxLen?: number; truncate?: boolean }): { text: string; regimeOf: number[][]; ruls: number[] } {
  const random = seededRandom(options.seed);
  const lines: string[] = [];
  const regimeOf: number[][] = [];
  const ruls: number[] = [];
  for (let u = 1; u <= options.units; u++) {
    const life = (options.minLen ?? 60) + Math.floor(random() * ((options.maxLen ?? 120) - (options.minLen ?? 60)));
    const len = options.truncate ? Math.max(5, Math.floor(life * (0.3 + 0.6 * random()))) : life;
    ruls.push(life - len);
    const regimes: number[] = [];
    for (let c = 1; c <= len; c++) {
      const r = options.regimes === 1 ? 0 : Math.floor(random() * 6);
      regimes.push(r);
      const [alt, mach, tra] = CONDITIONS[r]!;
      const settings = [alt + 0.002 * gaussian(random), mach + 0.0002 * gaussian(random), tra];
      const wear = Math.exp((4 * c) / life) / Math.exp(4);
      const sensors = Array.from({ length: N_SENSORS }, (_, j) => {
        if (j === 0 || j === 4 || j === 9) return 518.67;
        return 100 + 10 * j + 5 * r * (j % 3) + 3 * wear * ((j % 4) - 1.5) + 0.3 * gaussian(random);
      });
      lines.push(`${u} ${c} ${settings.map((v) => v.toFixed(4)).join(' ')} ${sensors.map((v) => v.toFixed(4)).join(' ')}  `);
    }
    regimeOf.push(regimes);
  }
  return { text: `${lines.join('\n')}\n`, regimeOf, ruls };
}

describe('C-MAPSS parsing and labels', () => {
  it('parses the 26-field format (two trailing spaces, LF) into units of consecutive cycles', () => {
    const text = '1 1 -0.0007 -0.0004 100.0 518.67 641.82 1589.70 1400.60 14.62 21.61 554.36 2388.06 9046.19 1.30 47.47 521.66 2388.02 8138.62 8.4195 0.03 392 2388 100.00 39.06 23.4190  \n' +
      '1 2 0.0019 -0.0003 100.0 518.67 642.15 1591.82 1403.14 14.62 21.61 553.75 2388.04 9044.07 1.30 47.49 522.28 2388.07 8131.49 8.4318 0.03 392 2388 100.00 39.00 23.4236  \n' +
      '2 1 -0.0043 -0.0003 100.0 518.67 642.35 1587.99 1404.20 14.62 21.61 554.26 2388.08 9052.94 1.30 47.40 521.97 2388.04 8133.33 8.4119 0.03 391 2388 100.00 38.95 23.3442  \n';
    const units = parseCmapss(text);
    assert.equal(units.length, 2);
    assert.deepEqual([...units[0]!.cycles], [1, 2]);
    assert.equal(units[1]!.unit, 2);
    assert.deepEqual([...units[0]!.settings.subarray(0, 3)], [-0.0007, -0.0004, 100]);
    assert.equal(units[0]!.sensors[0], 518.67); // sensor_1
    assert.equal(units[0]!.sensors[20], 23.419); // sensor_21
    assert.equal(units[0]!.sensors[N_SENSORS + 1], 642.15); // sensor_2 of cycle 2
  });

  it('rejects a row with the wrong field count and a gap in the cycles', () => {
    assert.throws(() => parseCmapss('1 1 0 0 100 1 2 3\n'), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
    const row = (u: number, c: number): string => `${u} ${c} 0 0 100 ${Array.from({ length: N_SENSORS }, () => '1').join(' ')}`;
    assert.throws(() => parseCmapss(`${row(1, 1)}\n${row(1, 3)}\n`), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST') && /cycle 3, expected 2/.test((e as Error).message));
  });

  it('labels RUL as min(last cycle − cycle, cap), 0 at failure', () => {
    const { text } = syntheticText({ units: 1, regimes: 1, seed: 3, minLen: 150, maxLen: 151 });
    const [unit] = parseCmapss(text) as [CmapssUnit];
    const n = unit.cycles.length;
    assert.equal(n, 150);
    const y = rulTargets(unit, 125);
    assert.equal(y[0], 125); // true RUL 149, capped
    assert.equal(y[24], 125); // cycle 25: RUL 125 exactly
    assert.equal(y[25], 124);
    assert.equal(y[99], 50); // cycle 100
    assert.equal(y[n - 1], 0);
    assert.equal(rulTargets(unit, 1000)[0], 149);
  });

  it('reads RUL files as one integer per line', () => {
    assert.deepEqual(parseRulFile('112\n98\n69\n'), [112, 98, 69]);
  });
});

describe('C-MAPSS operating-regime normalisation', () => {
  const { text, regimeOf } = syntheticText({ units: 12, regimes: 6, seed: 5 });
  const units = parseCmapss(text);

  it('finds 6 regimes in multi-condition data and 1 in single-condition data', () => {
    assert.equal(detectRegimeCount(units), 6);
    assert.equal(detectRegimeCount(parseCmapss(syntheticText({ units: 3, regimes: 1, seed: 6 }).text)), 1);
  });

  it('recovers the generating operating conditions (one cluster per condition)', () => {
    const scaler = fitSensorScaler(units);
    const pairs = new Map<number, number>();
    units.forEach((u, i) => {
      const found = assignRegimes(scaler.regimes, u);
      found.forEach((r, t) => {
        const truth = regimeOf[i]![t]!;
        if (!pairs.has(truth)) pairs.set(truth, r);
        assert.equal(pairs.get(truth), r, `condition ${truth} split across clusters`);
      });
    });
    assert.equal(new Set(pairs.values()).size, 6);
  });

  it('standardises every informative sensor per regime (mean 0, sd 1 within each regime) and drops constant sensors', () => {
    const scaler = fitSensorScaler(units);
    assert.ok(!scaler.informative.includes(0) && !scaler.informative.includes(4) && !scaler.informative.includes(9));
    assert.equal(scaler.informative.length, N_SENSORS - 3);
    const m = scaler.informative.length;
    const stats = new Map<number, { n: number; sum: Float64Array; sum2: Float64Array }>();
    for (const u of units) {
      const z = normaliseSensors(scaler, u);
      const reg = assignRegimes(scaler.regimes, u);
      reg.forEach((r, t) => {
        let s = stats.get(r);
        if (!s) stats.set(r, (s = { n: 0, sum: new Float64Array(m), sum2: new Float64Array(m) }));
        s.n++;
        for (let k = 0; k < m; k++) {
          s.sum[k]! += z[t * m + k]!;
          s.sum2[k]! += z[t * m + k]! ** 2;
        }
      });
    }
    for (const [r, s] of stats) {
      for (let k = 0; k < m; k++) {
        const mean = s.sum[k]! / s.n;
        const sd = Math.sqrt(s.sum2[k]! / s.n - mean ** 2);
        assert.ok(Math.abs(mean) < 1e-9, `regime ${r} sensor ${k} mean ${mean}`);
        assert.ok(Math.abs(sd - 1) < 1e-9, `regime ${r} sensor ${k} sd ${sd}`);
      }
    }
    // Without regimes the condition offsets would dominate: the raw spread is far larger.
    const raw = units[0]!.sensors;
    const spread = Math.max(...Array.from({ length: units[0]!.cycles.length }, (_, t) => raw[t * N_SENSORS + 2]!)) - Math.min(...Array.from({ length: units[0]!.cycles.length }, (_, t) => raw[t * N_SENSORS + 2]!));
    assert.ok(spread > 20, `raw spread ${spread}`);
  });
});

describe('C-MAPSS causal features', () => {
  const { text } = syntheticText({ units: 6, regimes: 6, seed: 7, minLen: 220, maxLen: 260 });
  const units = parseCmapss(text);
  const scaler = fitSensorScaler(units);
  const m = scaler.informative.length;
  const names = cmapssFeatureNames(scaler.informative);
  const d = names.length;
  // The default spec includes the health index: its column follows the sensors.
  const weights = fitHealthIndex(units.map((u) => normaliseSensors(scaler, u)), units.map((u) => rulTargets(u, 125)), m);

  it('names features <sensor>__<kind>, then health_index__<kind>, then cycle__count', () => {
    assert.equal(d, (m + 1) * featureKinds(DEFAULT_FEATURE_SPEC).length + 1);
    assert.equal(names[0], 'sensor_2__level');
    assert.equal(names[m * featureKinds(DEFAULT_FEATURE_SPEC).length], 'health_index__level');
    assert.ok(names.includes('sensor_11__slope_50'));
    assert.ok(names.includes('sensor_11__volatility_10'));
    assert.ok(names.includes('sensor_11__ewm_30'));
    assert.equal(names.at(-1), 'cycle__count');
    for (const n of names) assert.match(n, /^[a-z0-9_]+__[a-z0-9_]+$/);
  });

  it('a feature at cycle t never depends on cycles after t (truncation and perturbation)', () => {
    const unit = units[0]!;
    const n = unit.cycles.length;
    const z = normaliseSensors(scaler, unit);
    const features = (sensors: Float64Array, cycles: Int32Array): Float64Array => unitFeatures(withHealthIndexes(sensors, m, [{ byRegime: [weights] }]), m + 1, cycles);
    const full = features(z, unit.cycles);
    assert.equal(full.length, n * d);
    const random = seededRandom(11);
    for (const t of [0, 1, 4, 19, 49, 120, n - 2]) {
      // Truncated after t: the rows it has are identical to the full trajectory's.
      const truncated = features(z.slice(0, (t + 1) * m), unit.cycles.slice(0, t + 1));
      assert.deepEqual(truncated, full.slice(0, (t + 1) * d), `truncated at ${t}`);
      // Later cycles replaced by noise: rows ≤ t unchanged, and row t + 1 does change (the test can fail).
      const perturbed = z.slice();
      for (let i = (t + 1) * m; i < n * m; i++) perturbed[i] = 50 * gaussian(random);
      const p = features(perturbed, unit.cycles);
      assert.deepEqual(p.subarray(0, (t + 1) * d), full.subarray(0, (t + 1) * d), `perturbed after ${t}`);
      assert.notDeepEqual(p.subarray((t + 1) * d, (t + 2) * d), full.subarray((t + 1) * d, (t + 2) * d));
    }
  });

  it('computes level, window mean, slope, volatility and EWM as defined', () => {
    const cycles = Int32Array.from({ length: 6 }, (_, i) => i + 1);
    const series = Float64Array.from([1, 3, 2, 5, 4, 8]);
    const spec = { meanWindows: [3], slopeWindows: [3], volatilityWindows: [3], ewmSpans: [3] };
    const f = unitFeatures(series, 1, cycles, spec); // columns: level, mean_3, slope_3, volatility_3, ewm_3, cycle
    const row = (t: number): number[] => [...f.subarray(t * 6, t * 6 + 6)];
    const close = (actual: number[], expected: number[]): void => assertClose(actual, expected, 1e-12, 'column');
    close(row(0), [1, 1, 0, 0, 1, 1]);
    // t = 1: window [1, 3]: mean 2, slope 2, sd 1; ewm alpha 0.5: 0.5·3 + 0.5·1 = 2.
    close(row(1), [3, 2, 2, 1, 2, 2]);
    // t = 3: window [3, 2, 5]: mean 10/3, slope (5 − 3)/2 = 1.
    close(row(3).slice(1, 3), [10 / 3, 1]);
    // t = 5: window [5, 4, 8]: mean 17/3, slope (8 − 5)/2 = 1.5, sd sqrt(((5−17/3)² + (4−17/3)² + (8−17/3)²)/3).
    const [level, mean, slope, vol, , cycle] = row(5);
    assert.equal(level, 8);
    assert.ok(Math.abs(mean! - 17 / 3) < 1e-12);
    assert.ok(Math.abs(slope! - 1.5) < 1e-12);
    assert.ok(Math.abs(vol! - Math.sqrt(((5 - 17 / 3) ** 2 + (4 - 17 / 3) ** 2 + (8 - 17 / 3) ** 2) / 3)) < 1e-12);
    assert.equal(cycle, 6);
    let ewm = 1;
    for (const x of series.subarray(1)) ewm = 0.5 * x + 0.5 * ewm;
    assert.ok(Math.abs(row(5)[4]! - ewm) < 1e-12);
  });

  it('opt-in kinds (since start, regime history, health index) are causal too', () => {
    const unit = units[0]!;
    const n = unit.cycles.length;
    const spec = { ...DEFAULT_FEATURE_SPEC, sinceStart: { baselineCycles: 20, meanWindows: [10], ewmSpans: [30] }, regimeHistory: true, healthIndex: true };
    const regimes = { labels: assignRegimes(scaler.regimes, unit), count: 6 };
    const features = (z: Float64Array, labels: Int32Array): Float64Array => unitFeatures(withHealthIndexes(z, m, [{ byRegime: [weights] }]), m + 1, unit.cycles, spec, { ...regimes, labels });
    const z = normaliseSensors(scaler, unit);
    const full = features(z, regimes.labels);
    const width = cmapssFeatureNames(scaler.informative, spec, 6).length;
    assert.equal(full.length, n * width);
    const random = seededRandom(12);
    for (const t of [0, 5, 19, 20, 70, n - 2]) {
      const perturbed = z.slice();
      for (let i = (t + 1) * m; i < n * m; i++) perturbed[i] = 50 * gaussian(random);
      const labels = regimes.labels.slice();
      for (let i = t + 1; i < n; i++) labels[i] = (labels[i]! + 1) % 6;
      const p = features(perturbed, labels);
      assert.deepEqual(p.subarray(0, (t + 1) * width), full.subarray(0, (t + 1) * width), `perturbed after ${t}`);
      assert.notDeepEqual(p.subarray((t + 1) * width, (t + 2) * width), full.subarray((t + 1) * width, (t + 2) * width));
    }
  });

  it('change since start: a level minus the mean of the first cycles (the cycles so far before that)', () => {
    const cycles = Int32Array.from({ length: 6 }, (_, i) => i + 1);
    const series = Float64Array.from([1, 3, 2, 5, 4, 8]);
    const spec = { meanWindows: [], slopeWindows: [], volatilityWindows: [], ewmSpans: [], sinceStart: { baselineCycles: 2, meanWindows: [2], ewmSpans: [3] } };
    assert.deepEqual(cmapssFeatureNames([0], spec), ['sensor_1__level', 'sensor_1__mean_2_since_start', 'sensor_1__ewm_3_since_start', 'cycle__count']);
    const f = unitFeatures(series, 1, cycles, spec);
    const column = (c: number): number[] => Array.from({ length: 6 }, (_, t) => f[t * 4 + c]!);
    // Baseline: 1 at t = 0, then mean(1, 3) = 2. mean_2: 1, 2, 2.5, 3.5, 4.5, 6.
    assert.deepEqual(column(1), [0, 0, 0.5, 1.5, 2.5, 4]);
    // ewm_3 (alpha 0.5): 1, 2, 2, 3.5, 3.75, 5.875.
    assert.deepEqual(column(2), [0, 0, 0, 1.5, 1.75, 3.875]);
    assert.throws(() => unitFeatures(series, 1, cycles, { ...spec, sinceStart: { baselineCycles: 0 } }), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
  });

  it('regime history: share of cycles so far and cycles since the last one, per regime', () => {
    const cycles = Int32Array.from({ length: 6 }, (_, i) => i + 1);
    const spec = { meanWindows: [], slopeWindows: [], volatilityWindows: [], ewmSpans: [], regimeHistory: true };
    const names = cmapssFeatureNames([0], spec, 2);
    assert.deepEqual(names, ['sensor_1__level', 'regime_1__share', 'regime_1__since', 'regime_2__share', 'regime_2__since', 'cycle__count']);
    const labels = Int32Array.from([0, 1, 1, 0, 1, 1]);
    const f = unitFeatures(new Float64Array(6), 1, cycles, spec, { labels, count: 2 });
    const row = (t: number): number[] => [...f.subarray(t * 6 + 1, t * 6 + 5)];
    assert.deepEqual(row(0), [1, 0, 0, 1]); // regime 2 not seen yet: cycles since = t + 1
    assert.deepEqual(row(2), [1 / 3, 2, 2 / 3, 0]);
    assert.deepEqual(row(5), [2 / 6, 2, 4 / 6, 0]);
    assert.throws(() => unitFeatures(new Float64Array(6), 1, cycles, spec), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
  });

  it('health index: least squares of the target on the sensors, appended as the last column', () => {
    // y = 10 + 2·a − 3·b exactly: the fit recovers the weights (the ridge is tiny at this scale).
    const random = seededRandom(5);
    const z = Float64Array.from({ length: 400 }, () => gaussian(random));
    const y = Float64Array.from({ length: 200 }, (_, t) => 10 + 2 * z[2 * t]! - 3 * z[2 * t + 1]!);
    const w = fitHealthIndex([z.subarray(0, 200), z.subarray(200)], [y.subarray(0, 100), y.subarray(100)], 2);
    [10, 2, -3].forEach((expected, i) => assert.ok(Math.abs(w[i]! - expected) < 0.02, `weight ${i}: ${w[i]}`));
    const with3 = withHealthIndexes(Float64Array.from([1, 2]), 2, [{ byRegime: [Float64Array.from([10, 2, -3])] }]);
    assert.deepEqual([...with3], [1, 2, 10 + 2 - 6]);
    assert.ok(cmapssFeatureNames([1], { ...DEFAULT_FEATURE_SPEC, healthIndex: true }).includes('health_index__ewm_30'));
  });
});

describe('C-MAPSS health indexes per regime and per fault mode', () => {
  it('fits only the rows it is told to include', () => {
    // Rows 0..99 follow y = 1 + a, rows 100..199 follow y = −5 + 4·b: each half recovers its own weights.
    const random = seededRandom(31);
    const z = Float64Array.from({ length: 400 }, () => gaussian(random));
    const y = Float64Array.from({ length: 200 }, (_, t) => (t < 100 ? 1 + z[2 * t]! : -5 + 4 * z[2 * t + 1]!));
    assertClose(fitHealthIndex([z], [y], 2, (_, t) => t < 100), [1, 1, 0], 0.01, 'first half');
    assertClose(fitHealthIndex([z], [y], 2, (_, t) => t >= 100), [-5, 0, 4], 0.02, 'second half');
  });

  it('per regime: one weight vector per regime, chosen by the row\'s regime', () => {
    const random = seededRandom(32);
    const z = Float64Array.from({ length: 600 }, () => gaussian(random));
    const labels = Int32Array.from({ length: 300 }, (_, t) => t % 3);
    const truth = [
      [2, 1, 0],
      [0, 0, -1],
    ];
    // Regime 2 has no rows: it gets the pooled fit.
    const y = Float64Array.from({ length: 300 }, (_, t) => {
      const w = truth[labels[t]! % 2]!;
      return w[0]! + w[1]! * z[2 * t]! + w[2]! * z[2 * t + 1]!;
    });
    labels.forEach((r, t) => (labels[t] = r === 2 ? 0 : r));
    const weights = fitRegimeHealthIndex([z], [y], 2, [labels], 3);
    assertClose(weights[0]!, truth[0]!, 0.01, 'regime 0');
    assertClose(weights[1]!, truth[1]!, 0.01, 'regime 1');
    assertClose(weights[2]!, [...fitHealthIndex([z], [y], 2)], 1e-12, 'unseen regime');
    // Hand-computed: row 0 in regime 1 (0 − 1·4 = −4), row 1 in regime 0 (10 + 2·1 + 3·0 = 12).
    const hi = withHealthIndexes(Float64Array.from([3, 4, 1, 0]), 2, [{ byRegime: [Float64Array.from([10, 2, 3]), Float64Array.from([0, 0, -1])] }], Int32Array.from([1, 0]));
    assert.deepEqual([...hi], [3, 4, -4, 1, 0, 12]);
    // A single-vector column ignores the regimes; columns come in order.
    const two = withHealthIndexes(Float64Array.from([3, 4]), 2, [{ byRegime: [Float64Array.from([1, 1, 0])] }, { byRegime: [Float64Array.from([0, 0, 1])] }]);
    assert.deepEqual([...two], [3, 4, 4, 4]);
    assert.throws(() => withHealthIndexes(Float64Array.from([3, 4]), 2, [{ byRegime: [new Float64Array(3), new Float64Array(3)] }]), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
  });

  it('fault modes: units split by how their sensors changed between start and failure', () => {
    // Units 0, 2, 4 drift on sensor 0 by failure, units 1, 3, 5 on sensor 1 (plus noise).
    const random = seededRandom(33);
    const zs = Array.from({ length: 6 }, (_, u) => {
      const n = 80 + 10 * u;
      return Float64Array.from({ length: n * 2 }, (_, i) => {
        const t = Math.floor(i / 2);
        const drifts = i % 2 === u % 2;
        return 0.3 * gaussian(random) + (drifts ? (4 * t) / n : 0);
      });
    });
    const groups = [...faultModeGroups(zs, 2)];
    assert.deepEqual(groups, [0, 1, 0, 1, 0, 1]);
    assert.deepEqual([...faultModeGroups(zs.slice(0, 1), 2)], [0]);
  });

  it('names: health_index, then health_index_regime, then health_index_mode_1/2, each with every kind', () => {
    const spec = { meanWindows: [3], slopeWindows: [], volatilityWindows: [], ewmSpans: [], healthIndex: true, regimeHealthIndex: true, faultModeHealthIndex: 'pooled' as const };
    assert.deepEqual(healthIndexNames(spec), ['health_index', 'health_index_regime', 'health_index_mode_1', 'health_index_mode_2']);
    assert.deepEqual(cmapssFeatureNames([0], { ...spec, healthIndex: false, faultModeHealthIndex: undefined }), [
      'sensor_1__level',
      'sensor_1__mean_3',
      'health_index_regime__level',
      'health_index_regime__mean_3',
      'cycle__count',
    ]);
  });

  it('the fitted pipeline featurises causally with every health index (truncation and later changes)', () => {
    const units = parseCmapss(syntheticText({ units: 10, regimes: 6, seed: 34, minLen: 150, maxLen: 200 }).text);
    const spec = MULTI_CONDITION_FEATURE_SPEC;
    const gbdt = { objective: 'regression' as const, nEstimators: 5, learningRate: 0.3, maxDepth: 2, maxBins: 16, validation: false as const };
    const fitted = fitCmapssPipeline(units, 125, { features: spec, gbdt, seeds: [1] });
    // The default multi-condition spec: global, per-regime, and per-regime for each fault-mode group.
    assert.deepEqual(
      fitted.healthIndexes.map((c) => c.byRegime.length),
      [1, 6, 6, 6],
    );
    const zs = units.map((u) => normaliseSensors(fitted.scaler, u));
    const groups = faultModeGroups(zs, fitted.scaler.informative.length);
    const members = units.flatMap((_, u) => (groups[u] === 1 ? [u] : []));
    assert.ok(members.length > 0 && members.length < units.length, `group sizes ${members.length}/${units.length}`);
    const expected = fitRegimeHealthIndex(
      members.map((u) => zs[u]!),
      members.map((u) => rulTargets(units[u]!, 125)),
      fitted.scaler.informative.length,
      members.map((u) => assignRegimes(fitted.scaler.regimes, units[u]!)),
      6,
    );
    assert.deepEqual(fitted.healthIndexes[3]!.byRegime, expected, 'mode 2: per-regime fit on its group only');
    const pooled = fitCmapssPipeline(units, 125, { features: { ...spec, faultModeHealthIndex: 'pooled' }, gbdt, seeds: [1] });
    assert.deepEqual(
      pooled.healthIndexes.map((c) => c.byRegime.length),
      [1, 6, 1, 1],
    );
    const d = fitted.featureNames.length;
    const k = featureKinds(spec).length;
    assert.equal(fitted.featureNames.filter((n) => n.startsWith('health_index')).length, 6 * k, 'four indexes and two contrasts');
    const unit = units[0]!;
    const n = unit.cycles.length;
    const full = featurise(fitted, unit);
    assert.equal(full.length, n * d);
    // The contrasts: per kind, the smaller fault-mode index and mode 1 minus mode 2.
    const column = (name: string): number => {
      const j = fitted.featureNames.indexOf(name);
      assert.ok(j >= 0, name);
      return j;
    };
    for (const kind of featureKinds(spec)) {
      const [a, b, lo, diff] = ['health_index_mode_1', 'health_index_mode_2', 'health_index_modes_min', 'health_index_modes_diff'].map((index) => column(`${index}__${kind}`));
      for (const t of [0, 50, n - 1]) {
        const x = full[t * d + a!]!;
        const y = full[t * d + b!]!;
        assert.equal(full[t * d + lo!], Math.min(x, y), `${kind} min at ${t}`);
        assert.equal(full[t * d + diff!], x - y, `${kind} diff at ${t}`);
      }
    }
    assert.ok(fitted.featureNames.indexOf('health_index_modes_diff__level') < fitted.featureNames.indexOf('regime_1__share'));
    assert.throws(() => cmapssFeatureNames([0], { ...DEFAULT_FEATURE_SPEC, faultModeContrast: true }), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
    for (const t of [0, 7, 40, n - 2]) {
      const truncated: CmapssUnit = { unit: unit.unit, cycles: unit.cycles.slice(0, t + 1), settings: unit.settings.slice(0, (t + 1) * 3), sensors: unit.sensors.slice(0, (t + 1) * N_SENSORS) };
      assert.deepEqual(featurise(fitted, truncated), full.slice(0, (t + 1) * d), `truncated at ${t}`);
      // Later cycles flown in another condition with other readings: rows ≤ t unchanged.
      const settings = unit.settings.slice();
      const sensors = unit.sensors.slice();
      for (let i = (t + 1) * 3; i < settings.length; i++) settings[i] = units[1]!.settings[i % units[1]!.settings.length]!;
      for (let i = (t + 1) * N_SENSORS; i < sensors.length; i++) sensors[i]! *= 1.05;
      const changed = featurise(fitted, { ...unit, settings, sensors });
      assert.deepEqual(changed.subarray(0, (t + 1) * d), full.subarray(0, (t + 1) * d), `changed after ${t}`);
      assert.notDeepEqual(changed.subarray((t + 1) * d, (t + 2) * d), full.subarray((t + 1) * d, (t + 2) * d));
    }
  });
});

describe('C-MAPSS metrics', () => {
  it('PHM08 Score: exp(−d/13) − 1 early, exp(d/10) − 1 late', () => {
    assert.equal(nasaScore(0), 0);
    assert.ok(Math.abs(nasaScore(-13) - (Math.E - 1)) < 1e-12);
    assert.ok(Math.abs(nasaScore(10) - (Math.E - 1)) < 1e-12);
    assert.ok(nasaScore(5) > nasaScore(-5), 'late costs more than early');
  });

  it('RMSE and summed Score match hand-computed values', () => {
    // d = −2, +5, 0, −26
    const m = rulMetrics([10, 20, 30, 4], [12, 15, 30, 30]);
    assert.equal(m.n, 4);
    assert.ok(Math.abs(m.rmse - Math.sqrt((4 + 25 + 0 + 676) / 4)) < 1e-12);
    const score = Math.exp(2 / 13) - 1 + (Math.exp(0.5) - 1) + 0 + (Math.exp(2) - 1);
    assert.ok(Math.abs(m.score - score) < 1e-12);
    assert.ok(Math.abs(m.score - 7.2041) < 1e-3); // 0.16632 + 0.64872 + 0 + 6.38906 (by hand)
  });

  it('alarm precision, recall and F1 for "fails within 30 cycles"', () => {
    // truth ≤ 30: units 0, 1, 2; alarms (pred ≤ 30): units 0, 1, 3 → tp 2, fp 1, fn 1.
    const a = alarmMetrics([5, 30, 31, 12, 100], [10, 25, 29, 90, 80], 30);
    assert.deepEqual({ p: a.precision, r: a.recall, pos: a.positives, alarms: a.alarms }, { p: 2 / 3, r: 2 / 3, pos: 3, alarms: 3 });
    assert.ok(Math.abs(a.f1 - 2 / 3) < 1e-12);
    // Raising the threshold to 31 catches unit 2 too.
    assert.equal(chooseThreshold([5, 30, 31, 12, 100], [10, 25, 29, 90, 80]), 31);
  });

  it('deals whole units into folds, each once, reproducibly', () => {
    const f = unitFolds(23, 5, 9);
    assert.deepEqual(f, unitFolds(23, 5, 9));
    assert.deepEqual(f.flat().sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
    for (const fold of f) assert.ok(fold.length === 4 || fold.length === 5);
  });
});

describe('prognos eval cmapss pipeline', () => {
  it('writes predictions in the README format and summary.json; scores the test set only when RUL labels are present', async () => {
    const data = tempDir();
    const train = syntheticText({ units: 16, regimes: 6, seed: 21 });
    const test = syntheticText({ units: 9, regimes: 6, seed: 22, truncate: true });
    writeFileSync(join(data, 'train_FD002.txt'), train.text);
    writeFileSync(join(data, 'test_FD002.txt'), test.text);
    const out = join(tempDir(), 'out');

    // FD002 also trains on the other three training files (joint training): without one the run stops.
    writeFileSync(join(data, 'train_FD001.txt'), syntheticText({ units: 5, regimes: 1, seed: 26 }).text);
    writeFileSync(join(data, 'train_FD003.txt'), syntheticText({ units: 4, regimes: 1, seed: 27 }).text);
    await assert.rejects(runCmapssEval({ dataDir: data, outDir: out, subsets: ['FD002'], quick: true }), (e: unknown) => isPrognosError(e, 'PRG_NOT_FOUND') && /train_FD004\.txt is missing/.test((e as Error).message));
    writeFileSync(join(data, 'train_FD004.txt'), syntheticText({ units: 12, regimes: 6, seed: 25 }).text);

    const summary = await runCmapssEval({ dataDir: data, outDir: out, subsets: ['FD002'], quick: true });
    const text = readFileSync(join(out, 'predictions_FD002.txt'), 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, 9);
    for (const l of lines) assert.match(l, /^\d+\.\d+$/);
    const s = summary.subsets[0]!;
    assert.equal(s.regimes, 6);
    assert.equal(s.test, null);
    // CV scores FD002's own units only; the other files' 5 + 4 + 12 are in every fold's training set.
    assert.ok(s.cv && s.cv.n === 16 * 2 && Number.isFinite(s.cv.rmse) && s.cv.rmse > 0);
    assert.deepEqual(s.jointWith, ['FD001', 'FD003', 'FD004']);
    assert.equal(s.trainUnits, 16);
    assert.equal(s.jointTrainUnits, 5 + 4 + 12);
    assert.match(String(summary.protocol.training), /for FD002 train_FD001, train_FD003, train_FD004;/);
    const json = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(json.subsets[0].subset, 'FD002');
    // Six operating conditions: the multi-condition cap and model, recorded per subset.
    assert.equal(json.subsets[0].rulCap, 175);
    assert.equal(s.rulCap, 175);
    assert.equal(s.model.maxTrainingRul, 195);
    assert.equal(s.model.refit, true);
    assert.deepEqual(json.subsets[0].model.features, { ...MULTI_CONDITION_FEATURE_SPEC });
    assert.equal(s.features, cmapssFeatureNames(s.informativeSensors.map((n) => Number(n.slice('sensor_'.length)) - 1), MULTI_CONDITION_FEATURE_SPEC, 6).length);

    // With the labels in --data, the test metrics are those of the written predictions.
    writeFileSync(join(data, 'RUL_FD002.txt'), test.ruls.map((r) => `${r}\n`).join(''));
    const scored = await runCmapssEval({ dataDir: data, outDir: out, subsets: ['FD002'], quick: true, folds: 0 });
    const predictions = readFileSync(join(out, 'predictions_FD002.txt'), 'utf8').trim().split('\n').map(Number);
    const expected = rulMetrics(predictions, test.ruls);
    assert.ok(scored.subsets[0]!.test);
    assert.ok(Math.abs(scored.subsets[0]!.test.rmse - expected.rmse) < 0.01);
    assert.equal(scored.subsets[0]!.cv, null);

    // joint: false trains on FD002's own file: another model, other predictions.
    const alone = await runCmapssEval({ dataDir: data, outDir: out, subsets: ['FD002'], quick: true, folds: 0, joint: false });
    assert.deepEqual(alone.subsets[0]!.jointWith, []);
    assert.equal(alone.subsets[0]!.jointTrainUnits, 0);
    assert.equal(alone.protocol.training, "each subset's own training file");
    const alonePredictions = readFileSync(join(out, 'predictions_FD002.txt'), 'utf8').trim().split('\n').map(Number);
    assert.equal(alonePredictions.length, 9);
    assert.notDeepEqual(alonePredictions, predictions);
  });

  it('single-condition subsets keep the default features and every training cycle', () => {
    const units = parseCmapss(syntheticText({ units: 4, regimes: 1, seed: 23 }).text);
    const shared = { gbdt: { objective: 'regression' as const }, seeds: [1] };
    assert.deepEqual(defaultModelConfig(units, shared), { ...shared, features: DEFAULT_FEATURE_SPEC, refit: true });
  });

  it('maxTrainingRul leaves later-failing cycles out; refit grows the early-stopped count on every unit', () => {
    const units = parseCmapss(syntheticText({ units: 10, regimes: 6, seed: 24 }).text);
    const gbdt = { objective: 'regression' as const, nEstimators: 30, learningRate: 0.3, maxDepth: 3, maxBins: 32, earlyStoppingRounds: 5, validation: { fraction: 0.2 } };
    const config = { features: { ...DEFAULT_FEATURE_SPEC, healthIndex: false }, gbdt, seeds: [1] };
    // Only the failure cycles (RUL 0) are kept: the model has nothing but zeros to learn.
    const zeros = fitCmapssPipeline(units, 125, { ...config, maxTrainingRul: 0 });
    assert.equal(predictAt(zeros, featurise(zeros, units[0]!), 10), 0);
    const once = fitCmapssPipeline(units, 125, config);
    const refit = fitCmapssPipeline(units, 125, { ...config, refit: true });
    assert.ok(once.models[0]!.trees.length > 0);
    assert.equal(refit.models[0]!.trees.length, Math.round(once.models[0]!.trees.length / 0.8));
  });

  it('formats predictions one per line with two decimals', () => {
    assert.equal(formatPredictions([112.456, 0, 7]), '112.46\n0.00\n7.00\n');
  });

  it('names a missing data file', async () => {
    await assert.rejects(runCmapssEval({ dataDir: tempDir(), outDir: tempDir(), subsets: ['FD001'], quick: true }), (e: unknown) => isPrognosError(e, 'PRG_NOT_FOUND'));
  });
});

describe('C-MAPSS real data (skipped when ../shared/datasets/cmapss is absent)', { skip: !existsSync(join(REAL_DATA, 'train_FD001.txt')) }, () => {
  it('FD001: 100 units, 20631 rows, 1 regime; the README\'s constant sensors are dropped', () => {
    const units = readCmapssFile(join(REAL_DATA, 'train_FD001.txt'));
    assert.equal(units.length, 100);
    assert.equal(
      units.reduce((a, u) => a + u.cycles.length, 0),
      20631,
    );
    assert.equal(detectRegimeCount(units), 1);
    const informative = fitSensorScaler(units).informative.map((j) => j + 1);
    for (const constant of [1, 5, 10, 16, 18, 19]) assert.ok(!informative.includes(constant), `sensor ${constant}`);
    assert.ok(informative.includes(11) && informative.includes(13), 'Ps30 and NRf kept');
  });

  it('FD001 --quick: 100 predictions, trained with the other three files, and a CV RMSE well below the spread of the labels', async () => {
    const out = tempDir();
    const summary = await runCmapssEval({ dataDir: REAL_DATA, outDir: out, subsets: ['FD001'], quick: true });
    const lines = readFileSync(join(out, 'predictions_FD001.txt'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 100);
    // Trained jointly with the other three training files: 260 + 100 + 249 units.
    assert.equal(summary.subsets[0]!.jointTrainUnits, 609);
    const cv = summary.subsets[0]!.cv!;
    assert.ok(cv.rmse < 25, `quick CV RMSE ${cv.rmse}`);
    assert.ok(cv.alarm.f1 > 0.7, `quick CV F1 ${cv.alarm.f1}`);
  });
});
