import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS, PrognosError } from '../../platform/errors.ts';

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const missing = Object.keys(ERRORS).filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('a coded error keeps its status, code and cause', () => {
  const cause = new Error('socket hang up');
  const err = new PrognosError('PRG_INFLUX_UNAVAILABLE', 'ECONNREFUSED', { cause });
  assert.equal(err.status, 503);
  assert.equal(err.code, 'PRG_INFLUX_UNAVAILABLE');
  assert.equal(err.cause, cause);
  assert.match(err.message, /InfluxDB is unavailable: ECONNREFUSED/);
});
