import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { type ServiceRuntime, startServiceRuntime } from '../../cli/service-runtime.ts';
import { loadConfig } from '../../platform/config.ts';
import { freePort, startInflux, startMosquitto, type InfluxInstance, type MosquittoInstance, waitFor } from '../support/services.ts';
import { startPrognos } from '../support/prognos-child.ts';

/**
 * Ingest against real services: a private InfluxDB this file can stop and start, a private
 * Mosquitto with the recommended config (MQTT 5), and the embedded broker.
 */
let influx: InfluxInstance;
let mosquitto: MosquittoInstance;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'prognos-it-'));
  dirs.push(d);
  return d;
};

before(async () => {
  influx = await startInflux();
  mosquitto = await startMosquitto();
});
after(async () => {
  await mosquitto?.stop();
  await influx?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let dbCounter = 0;
function envFor(extra: Record<string, string> = {}): Record<string, string> {
  return {
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: `it_${process.pid}_${dbCounter++}`,
    PROGNOS_DATA_DIR: tempDir(),
    PROGNOS_HTTP_PORT: '0',
    MQTT_PORT: '0',
    LOG_LEVEL: 'silent',
    MQTT_AUTH: 'off',
    INGEST_FLUSH_MS: '20',
    ...extra,
  };
}

async function countPoints(database: string, device?: string): Promise<number> {
  const where = device ? ` WHERE device = '${device}'` : '';
  const series = await influx.query(`SELECT count(v) FROM telemetry${where}`, database);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

const base = Date.now() - 60 * 60_000;
const reading = (seq: number, extra: Record<string, unknown> = {}) => JSON.stringify({ ts: base + seq, seq, metrics: { v: seq, temp_c: 20 + (seq % 10) }, ...extra });

async function publishAll(client: MqttClient, topic: string, payloads: string[], window = 200): Promise<void> {
  for (let i = 0; i < payloads.length; i += window) {
    await Promise.all(payloads.slice(i, i + window).map((p) => client.publishAsync(topic, p, { qos: 1 })));
  }
}

/** Every bad-input class of the issue, each with the reason it must be stored under. */
const BAD_INPUTS: { name: string; topic?: string; payload: string | Buffer; reason: string }[] = [
  { name: 'malformed JSON', payload: '{"ts": 1, "metrics": {', reason: 'malformed_json' },
  { name: 'NaN as a value', payload: '{"ts": 1, "metrics": {"v": NaN}}', reason: 'malformed_json' },
  { name: 'NaN as a string', payload: JSON.stringify({ ts: base, metrics: { v: 'NaN' } }), reason: 'non_finite_number' },
  { name: 'Infinity as a number', payload: `{"ts": ${base}, "metrics": {"v": 1e999}}`, reason: 'non_finite_number' },
  { name: 'a wrong type', payload: JSON.stringify({ ts: base, metrics: { v: true } }), reason: 'wrong_type' },
  { name: 'a missing field', payload: JSON.stringify({ metrics: { v: 1 } }), reason: 'missing_field' },
  { name: 'an oversized payload', payload: Buffer.alloc(70_000, 0x20), reason: 'payload_too_large' },
  { name: 'a time far in the future', payload: JSON.stringify({ ts: Date.now() + 86400_000, metrics: { v: 1 } }), reason: 'timestamp_in_future' },
  { name: 'a time far in the past', payload: JSON.stringify({ ts: Date.now() - 400 * 86400_000, metrics: { v: 1 } }), reason: 'timestamp_too_old' },
  { name: 'an unsafe device id', topic: 'prognos/acme/pump\\/telemetry', payload: JSON.stringify({ ts: base, metrics: { v: 1 } }), reason: 'bad_topic' },
  { name: 'a device id with a space', topic: 'prognos/acme/pump 9/telemetry', payload: JSON.stringify({ ts: base, metrics: { v: 1 } }), reason: 'bad_topic' },
  { name: 'a line-protocol-breaking metric name', payload: JSON.stringify({ ts: base, metrics: { 'v a,b=c': 1 } }), reason: 'bad_metric_name' },
  { name: 'not an object', payload: '42', reason: 'not_an_object' },
  { name: 'binary garbage', payload: Buffer.from([0xff, 0xfe, 0x00, 0x01]), reason: 'malformed_json' },
];

for (const brokerKind of ['mosquitto', 'embedded'] as const) {
  describe(`ingest through the ${brokerKind} broker`, () => {
    let rt: ServiceRuntime;
    let device: MqttClient;
    let database: string;

    before(async () => {
      const env = envFor({ INGEST_MAX_PAYLOAD_BYTES: '65536', ...(brokerKind === 'mosquitto' ? { MQTT_URL: mosquitto.url, MQTT_CLIENT_ID: `it-${brokerKind}-${process.pid}` } : {}) });
      database = env.INFLUX_DATABASE!;
      rt = await startServiceRuntime(loadConfig(env));
      device = await mqtt.connectAsync(rt.ingest.brokerUrl, { clientId: `dev-${brokerKind}-${process.pid}`, protocolVersion: brokerKind === 'mosquitto' ? 5 : 4 });
    });
    after(async () => {
      await device?.endAsync();
      await rt?.stop();
    });

    test('readings arrive and are queryable, arrays included', async () => {
      const singles = Array.from({ length: 300 }, (_, i) => reading(i + 1));
      await publishAll(device, 'prognos/acme/pump-1/telemetry', singles);
      const batch = JSON.stringify(Array.from({ length: 50 }, (_, i) => JSON.parse(reading(1000 + i))));
      await device.publishAsync('prognos/acme/pump-2/telemetry', batch, { qos: 1 });
      // The device's PUBACK comes from the broker; ingest's own ack-after-persist is tested below.
      await waitFor(async () => (await countPoints(database, 'pump-1')) === 300 && (await countPoints(database, 'pump-2')) === 50, { timeoutMs: 15_000 });
      const [series] = await influx.query(`SELECT v, temp_c FROM telemetry WHERE device = 'pump-1' AND tenant = 'acme' ORDER BY time ASC LIMIT 1`, database);
      assert.deepEqual(series?.values[0], [base + 1, 1, 21]);
    });

    test('every bad-input class is rejected and stored, while good readings on the same connection land', async () => {
      const good: string[] = [];
      for (const [i, bad] of BAD_INPUTS.entries()) {
        const g = reading(5000 + i);
        good.push(g);
        await device.publishAsync('prognos/acme/pump-3/telemetry', g, { qos: 1 });
        await device.publishAsync(bad.topic ?? 'prognos/acme/pump-3/telemetry', bad.payload, { qos: 1 });
      }
      // A bad reading inside an array is rejected alone; its sibling lands.
      await device.publishAsync('prognos/acme/pump-3/telemetry', JSON.stringify([JSON.parse(reading(6000)), { ts: base, metrics: { v: 'Infinity' } }]), { qos: 1 });
      assert.ok(device.connected, 'the device connection survived all of it');
      await waitFor(async () => (await countPoints(database, 'pump-3')) === good.length + 1, { timeoutMs: 15_000 });
      await waitFor(() => rt.ingest.metrics.rejectedTotal >= BAD_INPUTS.length + 1, { timeoutMs: 15_000 });
      await rt.ingest.flush();

      const res = await rt.api.inject({ url: '/api/v1/rejects?limit=100', headers: { authorization: `Bearer ${await rt.apiServices.auth.issueToken('admin')}` } });
      const { items } = res.json() as { items: { reason: string; topic: string; payloadExcerpt: string; detail: string }[] };
      for (const bad of BAD_INPUTS) {
        const topic = bad.topic ?? 'prognos/acme/pump-3/telemetry';
        assert.ok(
          items.some((r) => r.reason === bad.reason && r.topic === topic),
          `${bad.name}: expected a stored rejection with reason ${bad.reason} on ${topic}; got ${JSON.stringify(items.map((r) => r.reason))}`,
        );
      }
      const inArray = items.find((r) => r.detail.startsWith('[1] '));
      assert.equal(inArray?.reason, 'non_finite_number');
      const counted = rt.ingest.metrics.snapshot().rejected as Record<string, number>;
      for (const bad of BAD_INPUTS) assert.ok((counted[bad.reason] ?? 0) >= 1, `${bad.reason} is counted`);
      const metrics = (await rt.api.inject({ url: '/metrics' })).body;
      assert.match(metrics, /prognos_ingest_rejected_total\{reason="malformed_json"\} [1-9]/);
    });

    test('a gap in seq is counted and stored as a data-quality event', async () => {
      for (const seq of [1, 2, 3, 7, 8]) {
        await device.publishAsync('prognos/acme/pump-4/telemetry', reading(seq), { qos: 1 });
      }
      await waitFor(async () => (await countPoints(database, 'pump-4')) === 5, { timeoutMs: 15_000 });
      await rt.ingest.flush();
      const res = await rt.api.inject({ url: '/api/v1/data-quality?device=pump-4', headers: { authorization: `Bearer ${await rt.apiServices.auth.issueToken('admin')}` } });
      const { items } = res.json() as { items: { kind: string; detail: { missing: number } }[] };
      assert.deepEqual(
        items.map((e) => [e.kind, e.detail.missing]),
        [['seq_gap', 3]],
      );
      const devices = (await rt.api.inject({ url: '/api/v1/devices', headers: { authorization: `Bearer ${await rt.apiServices.auth.issueToken('admin')}` } })).json() as { items: { device: string; lastSeq: number; silent: boolean }[] };
      const pump4 = devices.items.find((d) => d.device === 'pump-4');
      assert.equal(pump4?.lastSeq, 8);
      assert.equal(pump4?.silent, false);
    });
  });
}

describe('InfluxDB outage', () => {
  test('stopped mid-stream: readings are spooled, replayed when it is back, each present exactly once', async () => {
    const env = envFor({ MQTT_URL: mosquitto.url, MQTT_CLIENT_ID: `it-outage-${process.pid}`, INGEST_BATCH_SIZE: '200' });
    const rt = await startServiceRuntime(loadConfig(env));
    const device = await mqtt.connectAsync(mosquitto.url, { clientId: `dev-outage-${process.pid}`, protocolVersion: 5 });
    try {
      const N = 3000;
      const payloads = Array.from({ length: N }, (_, i) => reading(i + 1));
      await publishAll(device, 'prognos/acme/outage-1/telemetry', payloads.slice(0, 1000));
      await influx.stop();
      await publishAll(device, 'prognos/acme/outage-1/telemetry', payloads.slice(1000, 2000));
      // Mosquitto acknowledged the device; ingest's acknowledgements now wait for the spool.
      await waitFor(() => rt.ingest.metrics.spooled > 0, { timeoutMs: 15_000, what: 'readings to be spooled while InfluxDB is down' });
      await influx.start();
      await publishAll(device, 'prognos/acme/outage-1/telemetry', payloads.slice(2000));
      await waitFor(async () => (await countPoints(env.INFLUX_DATABASE!, 'outage-1').catch(() => 0)) === N, { timeoutMs: 30_000 });
      // Exactly once: every seq present, none twice (a duplicate point would need a second timestamp).
      const series = await influx.query(`SELECT v FROM telemetry WHERE device = 'outage-1'`, env.INFLUX_DATABASE!);
      const seqs = series[0]!.values.map((row) => Number(row[1]));
      assert.equal(seqs.length, N);
      assert.equal(new Set(seqs).size, N);
      await waitFor(() => !rt.ingest.metrics.snapshot().gauges.spooling, { timeoutMs: 10_000 });
      assert.equal(rt.ingest.metrics.snapshot().gauges.spool_bytes, 0, 'the spool is drained');
      assert.ok(rt.ingest.metrics.replayed > 0, 'what was spooled reached InfluxDB by replay');
    } finally {
      await device.endAsync();
      await rt.stop();
    }
  });
});

describe('ingest process crash', () => {
  test('killed mid-stream and restarted: nothing is missing (the broker redelivers)', async () => {
    const env = envFor({ MQTT_URL: mosquitto.url, MQTT_CLIENT_ID: `it-crash-${process.pid}` });
    const port = await freePort();
    let ingest = await startPrognos('ingest', env, port);
    const device = await mqtt.connectAsync(mosquitto.url, { clientId: `dev-crash-${process.pid}`, protocolVersion: 5 });
    const N = 20_000;
    try {
      const publishing = publishAll(device, 'prognos/acme/crash-1/telemetry', Array.from({ length: N }, (_, i) => reading(i + 1)), 500);
      await waitFor(async () => ((await ingest.status()).ingest.written ?? 0) > 2000, { timeoutMs: 30_000 });
      await ingest.kill();
      const beforeCrash = await countPoints(env.INFLUX_DATABASE!, 'crash-1');
      assert.ok(beforeCrash < N, `the crash came mid-stream (${beforeCrash} of ${N} stored)`);
      await publishing; // the broker acknowledges the device and keeps the backlog for ingest's session
      ingest = await startPrognos('ingest', env, port);
      await waitFor(async () => (await countPoints(env.INFLUX_DATABASE!, 'crash-1')) === N, { timeoutMs: 60_000 });
    } finally {
      await device.endAsync();
      await ingest.stop();
    }
  });
});

describe('shared subscription', () => {
  test('two ingest processes in one group (one of them ingest alone, --no-scoring) split the stream and write each reading once', async () => {
    const shared = envFor({ MQTT_URL: mosquitto.url, MQTT_SHARE_GROUP: `g${process.pid}` });
    const a = await startPrognos('ingest', { ...shared, MQTT_CLIENT_ID: `it-share-a-${process.pid}`, PROGNOS_DATA_DIR: tempDir() }, await freePort());
    const b = await startPrognos(['ingest', '--no-scoring'], { ...shared, MQTT_CLIENT_ID: `it-share-b-${process.pid}`, PROGNOS_DATA_DIR: tempDir() }, await freePort());
    const device = await mqtt.connectAsync(mosquitto.url, { clientId: `dev-share-${process.pid}`, protocolVersion: 5 });
    const N = 4000;
    try {
      await publishAll(device, 'prognos/acme/share-1/telemetry', Array.from({ length: N }, (_, i) => reading(i + 1)));
      await waitFor(async () => (await countPoints(shared.INFLUX_DATABASE!, 'share-1')) === N, { timeoutMs: 30_000 });
      const [sa, sb] = [(await a.status()).ingest, (await b.status()).ingest];
      assert.ok(sa.written! > 0 && sb.written! > 0, `both processes took part (a ${sa.written}, b ${sb.written})`);
      assert.equal(sa.written! + sb.written!, N, 'no reading was written by both');
      assert.equal(sa.messages! + sb.messages!, N, 'no message was delivered to both');
    } finally {
      await device.endAsync();
      await a.stop();
      await b.stop();
    }
  });
});

describe('prognos process crash with the embedded broker', () => {
  test('killed mid-stream and restarted: devices re-send what was not acknowledged, nothing is missing', async () => {
    const env = envFor({ MQTT_PORT: String(await freePort()) });
    const port = await freePort();
    let service = await startPrognos('ingest', env, port);
    // A device as devices are: a persistent session, QoS 1, reconnecting by itself.
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${env.MQTT_PORT}`, { clientId: `dev-embedded-crash-${process.pid}`, protocolVersion: 4, clean: false, reconnectPeriod: 200 });
    device.on('error', () => undefined);
    const N = 6000;
    try {
      const publishing = publishAll(device, 'prognos/acme/crash-2/telemetry', Array.from({ length: N }, (_, i) => reading(i + 1)), 300);
      await waitFor(async () => ((await service.status()).ingest.written ?? 0) > 1000, { timeoutMs: 30_000 });
      await service.kill();
      const beforeCrash = await countPoints(env.INFLUX_DATABASE!, 'crash-2');
      assert.ok(beforeCrash < N, `the crash came mid-stream (${beforeCrash} of ${N} stored)`);
      service = await startPrognos('ingest', env, port);
      await publishing; // every PUBACK arrived: from the restarted service for what the first one never stored
      await waitFor(async () => (await countPoints(env.INFLUX_DATABASE!, 'crash-2')) === N, { timeoutMs: 30_000 });
    } finally {
      await device.endAsync(true);
      await service.stop();
    }
  });
});
