/**
 * The hold-out split for early stopping, made by unit: rows of one machine are strongly
 * correlated (neighbouring windows of one run), so a row split would leak the validation units
 * into training and stop far too late. Whole units go to one side or the other.
 */
import { PrognosError } from '../platform/errors.ts';
import { sampleIndices, type Random } from './seeded-random.ts';

export interface RowSplit {
  /** Ascending row indices. */
  readonly trainRows: Int32Array;
  readonly validationRows: Int32Array;
}

/**
 * Holds out `round(fraction × units)` randomly chosen units (at least one, and at least one
 * left to train on), with all of their rows. `fraction` counts units, so the share of rows
 * held out matches it only on average.
 */
export function splitByUnit(groups: ArrayLike<string | number>, fraction: number, random: Random): RowSplit {
  const unitOf = new Int32Array(groups.length);
  const ids = new Map<string | number, number>(); // first-appearance order: independent of sorting rules
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    let id = ids.get(g);
    if (id === undefined) ids.set(g, (id = ids.size));
    unitOf[i] = id;
  }
  const nUnits = ids.size;
  if (nUnits < 2) throw new PrognosError('PRG_BAD_REQUEST', `a validation split by unit needs at least 2 units, got ${nUnits}`);
  const nHeld = Math.min(nUnits - 1, Math.max(1, Math.round(fraction * nUnits)));
  const held = new Uint8Array(nUnits);
  for (const u of sampleIndices(random, nUnits, nHeld)) held[u] = 1;

  let nValidation = 0;
  for (let i = 0; i < unitOf.length; i++) nValidation += held[unitOf[i]!]!;
  const trainRows = new Int32Array(unitOf.length - nValidation);
  const validationRows = new Int32Array(nValidation);
  let t = 0;
  let v = 0;
  for (let i = 0; i < unitOf.length; i++) {
    if (held[unitOf[i]!] === 1) validationRows[v++] = i;
    else trainRows[t++] = i;
  }
  return { trainRows, validationRows };
}
