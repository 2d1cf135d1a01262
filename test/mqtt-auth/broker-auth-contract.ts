import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * What device authentication means, run against each broker: the embedded aedes broker with
 * DeviceBrokerAuth, and a real Mosquitto with the files `prognos broker-config` writes.
 */
export interface Credential {
  readonly username: string;
  readonly password: string;
}

export interface BrokerUnderTest {
  readonly url: string;
  /** acme/dev-1, acme/dev-2, globex/dev-1 and the acme gateway, issued before the broker started. */
  readonly creds: Record<'acmeDev1' | 'acmeDev2' | 'globexDev1' | 'acmeGateway', Credential>;
  readonly service: Credential;
  /**
   * How a forbidden subscription is refused: `suback` (return code 128: aedes) or `delivery`
   * (granted, but the read ACL delivers nothing: Mosquitto 2.0 with MQTT 3.1.1). Either way the
   * device receives nothing but its own commands, which every test checks.
   */
  readonly refusesSubscriptionsBy: 'suback' | 'delivery';
  stop(): Promise<void>;
}

const clients: MqttClient[] = [];

function connect(url: string, opts: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, clientId: `t-${Math.random().toString(16).slice(2, 10)}`, ...opts });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => reject(err));
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** The SUBACK return code: the granted QoS, or 128 (refused; MQTT.js reports it as an error). */
async function subscribe(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]!.qos;
  } catch (err) {
    const code = (err as { packet?: { granted?: number[] } }).packet?.granted?.[0];
    if (code === undefined) throw err;
    return code;
  }
}

export function brokerAuthContract(name: string, start: () => Promise<BrokerUnderTest>): void {
  describe(`device authentication: ${name}`, () => {
    let b: BrokerUnderTest;
    let observer: MqttClient;
    const seen: string[] = [];
    before(async () => {
      b = await start();
      observer = await connect(b.url, { ...b.service });
      assert.equal(await subscribe(observer, 'prognos/#'), 1);
      observer.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    });
    after(async () => {
      for (const c of clients.splice(0)) await c.endAsync(true).catch(() => {});
      await b?.stop();
    });

    const until = async (p: () => boolean, what: string) => {
      const end = Date.now() + 5000;
      while (!p()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; observer saw: ${seen.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    test('a wrong password, an unknown user and an anonymous client are refused', async () => {
      await assert.rejects(connect(b.url, { username: b.creds.acmeDev1.username, password: `${b.creds.acmeDev1.password}x` }), /Bad username or password|Not authorized|closed before CONNACK/i);
      await assert.rejects(connect(b.url, { username: 'acme/nobody', password: 'whatever' }), /Bad username or password|Not authorized|closed before CONNACK/i);
      await assert.rejects(connect(b.url, {}), /Bad username or password|Not authorized|closed before CONNACK/i);
      await assert.rejects(connect(b.url, { username: b.creds.acmeDev1.username, password: b.creds.acmeDev2.password }), /Bad username or password|Not authorized|closed before CONNACK/i);
    });

    test('a device publishes to its own telemetry topic only: never as another device, tenant or topic', async () => {
      const dev1 = await connect(b.url, { ...b.creds.acmeDev1 });
      await dev1.publishAsync('prognos/acme/dev-1/telemetry', 'own-1', { qos: 1 });
      await until(() => seen.includes('prognos/acme/dev-1/telemetry own-1'), 'own telemetry');

      for (const topic of ['prognos/acme/dev-2/telemetry', 'prognos/globex/dev-1/telemetry', 'prognos/acme/dev-1/commands', 'elsewhere']) {
        const forger = await connect(b.url, { ...b.creds.acmeDev1 });
        // The embedded broker drops the connection, Mosquitto drops the message: either way it never lands.
        forger.publish(topic, 'forged', { qos: 1 }, () => {});
        await new Promise((r) => setTimeout(r, 150));
      }
      const dev2 = await connect(b.url, { ...b.creds.acmeDev2 });
      await dev2.publishAsync('prognos/acme/dev-2/telemetry', 'own-2', { qos: 1 });
      await until(() => seen.includes('prognos/acme/dev-2/telemetry own-2'), "dev-2's own telemetry");
      assert.deepEqual(
        seen.filter((s) => s.endsWith(' forged')),
        [],
      );
    });

    test('a device cannot subscribe to # or to another device; it reads its own commands only', async () => {
      const dev1 = await connect(b.url, { ...b.creds.acmeDev1 });
      const got: string[] = [];
      dev1.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
      const forbidden = ['#', 'prognos/acme/+/commands', 'prognos/acme/dev-2/commands', 'prognos/acme/dev-1/telemetry'];
      const codes = [];
      for (const filter of forbidden) codes.push(await subscribe(dev1, filter));
      if (b.refusesSubscriptionsBy === 'suback') assert.deepEqual(codes, [128, 128, 128, 128]);
      assert.equal(await subscribe(dev1, 'prognos/acme/dev-1/commands'), 1);

      const svc = await connect(b.url, { ...b.service });
      await svc.publishAsync('prognos/acme/dev-2/commands', 'for-dev-2', { qos: 1 });
      await svc.publishAsync('prognos/globex/dev-1/commands', 'for-globex', { qos: 1 });
      const dev2 = await connect(b.url, { ...b.creds.acmeDev2 });
      await dev2.publishAsync('prognos/acme/dev-2/telemetry', 'telemetry-2', { qos: 1 });
      await svc.publishAsync('prognos/acme/dev-1/commands', 'for-dev-1', { qos: 1 });
      await until(() => got.length > 0, 'a command for dev-1');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(got, ['prognos/acme/dev-1/commands for-dev-1']);
    });

    test("a gateway speaks for every device of its tenant, not for another tenant's", async () => {
      const gw = await connect(b.url, { ...b.creds.acmeGateway });
      const gwGot: string[] = [];
      gw.on('message', (topic, payload) => gwGot.push(`${topic} ${payload.toString()}`));
      assert.equal(await subscribe(gw, 'prognos/acme/+/commands'), 1);
      const other = await subscribe(gw, 'prognos/globex/+/commands');
      if (b.refusesSubscriptionsBy === 'suback') assert.equal(other, 128);
      const forger = await connect(b.url, { ...b.creds.acmeGateway });
      forger.publish('prognos/globex/dev-1/telemetry', 'forged', { qos: 1 }, () => {});
      await new Promise((r) => setTimeout(r, 150));
      await gw.publishAsync('prognos/acme/dev-7/telemetry', 'via-gateway', { qos: 1 });
      await until(() => seen.includes('prognos/acme/dev-7/telemetry via-gateway'), 'gateway telemetry');
      assert.deepEqual(
        seen.filter((s) => s.endsWith(' forged')),
        [],
      );
      const svc = await connect(b.url, { ...b.service });
      await svc.publishAsync('prognos/globex/dev-1/commands', 'for-globex', { qos: 1 });
      await svc.publishAsync('prognos/acme/dev-7/commands', 'for-dev-7', { qos: 1 });
      await until(() => gwGot.length > 0, 'a command through the gateway');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(gwGot, ['prognos/acme/dev-7/commands for-dev-7']);
    });
  });
}
