import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPrognosError } from '../../platform/errors.ts';
import { seededRandom } from '../../models/seeded-random.ts';
import { splitByUnit } from '../../models/validation-split.ts';

describe('splitByUnit', () => {
  it('never puts one unit on both sides, and covers every row once (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('pump-1', 'pump-2', '7')), { minLength: 2, maxLength: 400 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.integer(),
        (groups, fraction, seed) => {
          fc.pre(new Set(groups).size >= 2);
          const { trainRows, validationRows } = splitByUnit(groups, fraction, seededRandom(seed));
          const trainUnits = new Set(Array.from(trainRows, (r) => groups[r]));
          for (const r of validationRows) assert.ok(!trainUnits.has(groups[r]!), `unit ${groups[r]} on both sides`);
          assert.ok(trainRows.length > 0 && validationRows.length > 0);
          assert.deepEqual([...trainRows, ...validationRows].sort((a, b) => a - b), groups.map((_, i) => i));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds out round(fraction × units) units, the same ones for the same seed', () => {
    const groups = Array.from({ length: 1000 }, (_, i) => `unit-${i % 50}`);
    const a = splitByUnit(groups, 0.2, seededRandom(1));
    const b = splitByUnit(groups, 0.2, seededRandom(1));
    assert.deepEqual(a, b);
    assert.equal(new Set(Array.from(a.validationRows, (r) => groups[r])).size, 10);
    assert.equal(a.validationRows.length, 200);
  });

  it('needs two units', () => {
    assert.throws(() => splitByUnit([3, 3, 3], 0.5, seededRandom(1)), (e: unknown) => isPrognosError(e, 'PRG_BAD_REQUEST'));
  });
});
