import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../platform/config.ts';

test('defaults give an embedded setup under ./data', () => {
  const c = loadConfig({});
  assert.equal(c.mqtt.url, undefined);
  assert.equal(c.mqtt.protocolVersion, 4, 'the embedded broker speaks MQTT 3.1.1');
  assert.equal(c.sql.kind, 'pglite');
  assert.match(c.dataDir, /\/data$/);
  assert.equal(c.influx.database, 'prognos');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.ingest), 'config is frozen all the way down');
});

test('an external broker and PostgreSQL are taken from the environment', () => {
  const c = loadConfig({ MQTT_URL: 'mqtt://broker:1883', DATABASE_URL: 'postgres://u@h/db', MQTT_SHARE_GROUP: 'ingest' });
  assert.equal(c.mqtt.url, 'mqtt://broker:1883');
  assert.equal(c.mqtt.protocolVersion, 5);
  assert.deepEqual(c.sql, { kind: 'postgres', url: 'postgres://u@h/db' });
  assert.equal(c.mqtt.shareGroup, 'ingest');
});

test('API and device authentication: on by default, tunable', () => {
  const d = loadConfig({});
  assert.equal(d.mqtt.auth, true, 'devices authenticate unless MQTT_AUTH=off');
  assert.deepEqual(d.api, { rateLimitMax: 600, rateLimitWindowMs: 60_000, tokenTtlMs: 12 * 3600_000, bootstrapPassword: undefined, token: undefined });
  const c = loadConfig({ MQTT_AUTH: 'off', API_RATE_LIMIT_MAX: '5', API_RATE_LIMIT_WINDOW_MS: '2000', API_TOKEN_TTL_HOURS: '1', PROGNOS_BOOTSTRAP_PASSWORD: 'long-enough', PROGNOS_TOKEN: 'tkn' });
  assert.equal(c.mqtt.auth, false);
  assert.deepEqual(c.api, { rateLimitMax: 5, rateLimitWindowMs: 2000, tokenTtlMs: 3600_000, bootstrapPassword: 'long-enough', token: 'tkn' });
});

test('empty values count as unset', () => {
  assert.equal(loadConfig({ MQTT_URL: '' }).mqtt.url, undefined);
});

for (const [name, value] of [
  ['INFLUX_URL', 'localhost:8086'],
  ['MQTT_URL', 'http://x'],
  ['DATABASE_URL', 'mysql://x'],
  ['PROGNOS_HTTP_PORT', 'eighty'],
  ['INGEST_BATCH_SIZE', '0'],
  ['MQTT_CLIENT_ID', 'has space'],
  ['LOG_LEVEL', 'loud'],
  ['MQTT_AUTH', 'yes'],
  ['PROGNOS_BOOTSTRAP_PASSWORD', 'short'],
] as const) {
  test(`a wrong ${name} fails with one line naming it`, () => {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${name}: `) && !err.message.includes('\n'),
    );
  });
}
