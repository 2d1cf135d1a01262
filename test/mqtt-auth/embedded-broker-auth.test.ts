import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { DeviceBrokerAuth } from '../../api/device-identity/device-broker-auth.ts';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { GATEWAY_DEVICE } from '../../api/device-identity/mqtt-acl.ts';
import { ManualClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { createLogger } from '../../platform/logger.ts';
import { EmbeddedBroker } from '../../platform/mqtt/embedded-broker.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { brokerAuthContract } from './broker-auth-contract.ts';

let db: Db;
let store: DeviceCredentialStore;
let dir: string;
const intercepted: string[] = [];
const service = { username: 'prognos-service', password: 'service-secret-for-tests' };
const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prognos-mqtt-auth-'));
  db = await openDatabase({ kind: 'pglite', dir });
  store = new DeviceCredentialStore(db, new ManualClock(Date.parse('2026-03-01T00:00:00Z')));
});
after(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function startBroker(): Promise<EmbeddedBroker> {
  const broker = new EmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    logger,
    auth: new DeviceBrokerAuth(store, service),
    intercept: (topic, payload) => {
      intercepted.push(`${topic} ${payload.toString()}`);
      return Promise.resolve();
    },
  });
  await broker.start();
  return broker;
}

brokerAuthContract('embedded aedes broker', async () => {
  const issue = async (tenant: string, device: string) => {
    const c = await store.issue(tenant, device);
    return { username: c.username, password: c.secret };
  };
  const creds = { acmeDev1: await issue('acme', 'dev-1'), acmeDev2: await issue('acme', 'dev-2'), globexDev1: await issue('globex', 'dev-1'), acmeGateway: await issue('acme', GATEWAY_DEVICE) };
  const broker = await startBroker();
  return { url: broker.url, creds, service, refusesSubscriptionsBy: 'suback', stop: () => broker.stop() };
});

describe('embedded broker specifics', () => {
  test('refused publishes never reach ingest; revoked credentials stop working', async () => {
    intercepted.length = 0;
    const cred = await store.issue('acme', 'dev-r');
    const broker = await startBroker();
    try {
      const c = await mqtt.connectAsync(broker.url, { username: cred.username, password: cred.secret, reconnectPeriod: 0, protocolVersion: 4 });
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      c.publish('prognos/acme/dev-x/telemetry', 'forged', { qos: 1 }, () => {});
      await closed; // the broker drops a client that publishes outside its topics
      const again = await mqtt.connectAsync(broker.url, { username: cred.username, password: cred.secret, reconnectPeriod: 0, protocolVersion: 4 });
      await again.publishAsync('prognos/acme/dev-r/telemetry', 'ok', { qos: 1 });
      assert.deepEqual(intercepted, ['prognos/acme/dev-r/telemetry ok']);
      await again.endAsync();

      await store.revoke('acme', 'dev-r');
      await assert.rejects(mqtt.connectAsync(broker.url, { username: cred.username, password: cred.secret, reconnectPeriod: 0, protocolVersion: 4 }), /Bad username or password/);
    } finally {
      await broker.stop();
    }
  });

  test('without auth (MQTT_AUTH=off) the broker admits anonymous clients as before', async () => {
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, logger });
    await broker.start();
    try {
      const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, protocolVersion: 4 });
      assert.deepEqual(
        (await c.subscribeAsync('#', { qos: 1 })).map((g) => g.qos),
        [1],
      );
      await c.endAsync();
    } finally {
      await broker.stop();
    }
  });
});
