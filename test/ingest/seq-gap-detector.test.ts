import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeqGapDetector } from '../../ingest/seq-gap-detector.ts';

test('consecutive seqs raise nothing; a jump raises one gap with the missing count', () => {
  const d = new SeqGapDetector();
  assert.equal(d.observe('t', 'a', 1, 0), null);
  assert.equal(d.observe('t', 'a', 2, 0), null);
  const gap = d.observe('t', 'a', 6, 10);
  assert.deepEqual(gap, { kind: 'seq_gap', tenant: 't', device: 'a', at: 10, detail: { after: 2, next: 6, missing: 3 } });
  assert.equal(d.observe('t', 'a', 7, 11), null);
});

test('redelivered and slightly late messages are not gaps', () => {
  const d = new SeqGapDetector();
  for (const s of [1, 2, 3, 4]) d.observe('t', 'a', s, 0);
  assert.equal(d.observe('t', 'a', 3, 0), null, 'a redelivery');
  assert.equal(d.observe('t', 'a', 4, 0), null);
  assert.equal(d.observe('t', 'a', 5, 0), null);
});

test('a counter restart is reported as a reset, not a gap', () => {
  const d = new SeqGapDetector();
  d.observe('t', 'a', 5000, 0);
  assert.equal(d.observe('t', 'a', 1, 5)?.kind, 'seq_reset');
  assert.equal(d.observe('t', 'a', 2, 6), null);
});

test('devices are tracked apart, and state restored after a restart continues', () => {
  const d = new SeqGapDetector();
  d.restore('t', 'a', 10);
  assert.equal(d.observe('t', 'b', 1, 0), null);
  assert.equal(d.observe('t', 'a', 11, 0), null);
  assert.equal(d.observe('t', 'a', 13, 0)?.kind, 'seq_gap');
});
