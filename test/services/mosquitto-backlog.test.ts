import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import mqtt, { type IClientOptions } from 'mqtt';
import { runScript } from '../support/run-script.ts';
import { disposeAll, type MosquittoInstance, startMosquitto, uniqueName } from '../support/services.ts';

/**
 * The recommended scripts/mosquitto/prognos.conf on a real Mosquitto: a persistent session
 * keeps a 20 000-message backlog (the defaults keep 1000), also across a broker restart.
 */
const N = 20_000;
const IDLE_MS = 1_000;

after(disposeAll);

function sessionOptions(protocolVersion: 4 | 5): IClientOptions {
  return {
    clientId: uniqueName('backlog-sub'),
    clean: false,
    protocolVersion,
    reconnectPeriod: 0,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
  };
}

/** Subscribes with a persistent session at QoS 1, then disconnects. */
async function openSession(broker: MosquittoInstance, options: IClientOptions, topic: string): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, options);
  await client.subscribeAsync(topic, { qos: 1 });
  await client.endAsync();
}

async function publish(broker: MosquittoInstance, topic: string, count: number): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { clientId: uniqueName('backlog-pub'), reconnectPeriod: 0 });
  try {
    for (let i = 0; i < count; i += 1000) {
      const batch = [];
      for (let seq = i; seq < Math.min(i + 1000, count); seq++) batch.push(client.publishAsync(topic, JSON.stringify({ seq, metrics: { v: seq } }), { qos: 1 }));
      await Promise.all(batch);
    }
  } finally {
    await client.endAsync();
  }
}

/** Reconnects the session and counts distinct messages until all arrived or none came for IDLE_MS. */
async function drain(broker: MosquittoInstance, options: IClientOptions, expected: number): Promise<{ received: number; sessionPresent: boolean }> {
  const seen = new Set<number>();
  let last = Date.now();
  const client = mqtt.connect(broker.url, options);
  // Listen before the CONNACK arrives: the backlog follows it in the same read.
  client.on('message', (_t, payload) => {
    seen.add((JSON.parse(payload.toString()) as { seq: number }).seq);
    last = Date.now();
  });
  try {
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent));
      client.once('error', reject);
    });
    while (seen.size < expected && Date.now() - last < IDLE_MS) await new Promise((r) => setTimeout(r, 25));
    return { received: seen.size, sessionPresent };
  } finally {
    await client.endAsync();
  }
}

describe('Mosquitto with scripts/mosquitto/prognos.conf', () => {
  test('keeps a 20 000-message backlog for a disconnected persistent session (MQTT 3.1.1 and 5)', async () => {
    const broker = await startMosquitto();
    for (const version of [4, 5] as const) {
      const options = sessionOptions(version);
      const topic = uniqueName('t');
      await openSession(broker, options, topic);
      await publish(broker, topic, N);
      const { received, sessionPresent } = await drain(broker, options, N);
      assert.equal(sessionPresent, true);
      assert.equal(received, N, `MQTT ${version === 5 ? 5 : '3.1.1'}: ${received} of ${N} queued messages arrived`);
    }
    assert.doesNotMatch(broker.log(), /Outgoing messages are being dropped/);
    await broker.dispose();
  });

  test('keeps the backlog across a broker restart (persistence)', async () => {
    const broker = await startMosquitto();
    const options = sessionOptions(5);
    const topic = uniqueName('t');
    await openSession(broker, options, topic);
    await publish(broker, topic, N);
    await broker.stop(); // SIGTERM: Mosquitto writes its snapshot
    await broker.start();
    const { received, sessionPresent } = await drain(broker, options, N);
    assert.equal(sessionPresent, true);
    assert.equal(received, N);
    await broker.dispose();
  });

  test("Mosquitto's defaults drop all but 1000 (why prognos.conf exists)", async () => {
    const broker = await startMosquitto({ defaults: true });
    const options = sessionOptions(4);
    const topic = uniqueName('t');
    await openSession(broker, options, topic);
    await publish(broker, topic, 3000);
    const { received } = await drain(broker, options, 3000);
    assert.equal(received, 1000);
    assert.match(broker.log(), /Outgoing messages are being dropped/);
    await broker.dispose();
  });

  test('mosquitto.sh refuses a port held by another process, with one line', async () => {
    const broker = await startMosquitto();
    const res = await runScript('mosquitto.sh', ['start', '--dir', `${broker.dir}/other`, '--port', String(broker.port)]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`^mosquitto: port ${broker.port} is taken by another process`));
    assert.equal(res.stderr.trim().split('\n').length, 1);
    const again = await runScript('mosquitto.sh', ['start', '--dir', broker.dir, '--port', String(broker.port)]);
    assert.match(again.stdout, /already running .*\(ours/);
    await broker.dispose();
  });
});
