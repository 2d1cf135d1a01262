import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createDatabase, dropDatabase, queryShared, SHARED_INFLUX_URL } from '../support/shared-influx.ts';

const up = await new InfluxHttp({ url: SHARED_INFLUX_URL, database: '', token: undefined, retentionPolicy: undefined }).ping();
// `npm test` brings the shared instance up first; run alone, this file needs `prognos services up`.
// On CI its absence is a failure, not a skip.
const skip = !up && !process.env.CI ? `no InfluxDB at ${SHARED_INFLUX_URL} (npm test starts it)` : false;

test('the shared InfluxDB gives each test its own database and drops it again', { skip }, async () => {
  const db = await createDatabase();
  try {
    const [series] = await queryShared('SHOW DATABASES', db);
    assert.ok(series?.values.some(([name]) => name === db));
  } finally {
    await dropDatabase(db);
  }
  const [after] = await queryShared('SHOW DATABASES', '');
  assert.ok(!after?.values.some(([name]) => name === db));
});
