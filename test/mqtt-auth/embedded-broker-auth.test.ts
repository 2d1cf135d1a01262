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
import { waitFor } from '../support/services.ts';
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

  test('revoking or rotating a credential closes the connections made with it; other devices stay connected', async () => {
    const doomed = await store.issue('acme', 'dev-revoke-live');
    const rotated = await store.issue('acme', 'dev-rotate-live');
    const bystander = await store.issue('acme', 'dev-stays');
    const broker = await startBroker();
    const connect = (c: { username: string; secret: string }) => mqtt.connectAsync(broker.url, { username: c.username, password: c.secret, reconnectPeriod: 0, protocolVersion: 4 });
    try {
      const [a, b, other] = [await connect(doomed), await connect(rotated), await connect(bystander)];
      const closedA = new Promise<void>((r) => a.once('close', () => r()));
      const closedB = new Promise<void>((r) => b.once('close', () => r()));
      assert.equal(await store.revoke('acme', 'dev-revoke-live'), 1);
      await closedA;
      const fresh = await store.issue('acme', 'dev-rotate-live'); // rotation: the old secret is revoked
      await closedB;
      assert.equal(other.connected, true, 'a device whose credential did not change stays connected');
      await other.publishAsync('prognos/acme/dev-stays/telemetry', 'still here', { qos: 1 });
      await assert.rejects(connect(doomed), /Bad username or password/);
      await assert.rejects(connect(rotated), /Bad username or password/);
      const renewed = await connect(fresh);
      await renewed.endAsync();
      await other.endAsync();
    } finally {
      await broker.stop();
    }
  });

  test("a client id in use by one credential's session is refused to another: no kicking off, no session takeover", async () => {
    const owner = await store.issue('acme', 'dev-owner');
    const thief = await store.issue('acme', 'dev-thief');
    const broker = await startBroker();
    const connect = (c: { username: string; secret: string }, clientId: string, clean: boolean) =>
      mqtt.connectAsync(broker.url, { username: c.username, password: c.secret, clientId, clean, reconnectPeriod: 0, protocolVersion: 4 });
    try {
      const first = await connect(owner, 'pump-controller-1', false);
      await assert.rejects(connect(thief, 'pump-controller-1', true), /Identifier rejected/);
      assert.equal(first.connected, true, 'the owner was not kicked off');
      await first.endAsync();
      // Its persistent session outlives the connection, and so does the claim.
      await assert.rejects(connect(thief, 'pump-controller-1', false), /Identifier rejected/);
      const back = await connect(owner, 'pump-controller-1', false);
      await back.endAsync();
      // A clean session's id is free again once it ends.
      const brief = await connect(owner, 'one-off-tool', true);
      await brief.endAsync();
      // (the broker handles the DISCONNECT a moment after the client has closed its side)
      let other: mqtt.MqttClient | null = null;
      await waitFor(async () => (other = await connect(thief, 'one-off-tool', true).catch(() => null)) !== null, { timeoutMs: 5000 });
      await other!.endAsync();
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
