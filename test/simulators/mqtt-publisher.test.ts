import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { validateReading } from '../../ingest/payload-schema.ts';
import { parseTelemetryTopic, telemetrySubscription } from '../../ingest/topics.ts';
import { startSimulatedFleet } from '../../simulators/simulated-fleet.ts';

/** The Mosquitto this machine runs for tests. */
const BROKER = 'mqtt://127.0.0.1:1883';

const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;

for (const protocolVersion of [4, 5] as const) {
  test(`3 devices at --speed 3600 publish over MQTT ${protocolVersion === 5 ? '5' : '3.1.1'} to Mosquitto; a subscriber gets every reading`, async () => {
    const before = sockets();
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const received = new Map<string, { seq: number; ts: number; metrics: Record<string, number> }[]>();
    const subscriber = await mqtt.connectAsync(BROKER, { clientId: `sim-test-sub-${randomUUID().slice(0, 8)}`, protocolVersion });
    subscriber.on('message', (topic, payload) => {
      const ref = parseTelemetryTopic(topic);
      if (ref?.tenant !== tenant) return;
      const body = JSON.parse(payload.toString('utf8')) as { seq: number; ts: number; metrics: Record<string, number> };
      const r = validateReading(body, { now: Date.now(), maxFutureMs: 5000, maxPastMs: 60_000 });
      assert.ok(r.ok, r.ok ? '' : r.rejection.detail);
      received.set(ref.device, [...(received.get(ref.device) ?? []), body]);
    });
    await subscriber.subscribeAsync(telemetrySubscription(), { qos: 1 });

    const fleet = await startSimulatedFleet({
      mqttUrl: BROKER,
      tenant,
      devices: 3,
      seed: 42,
      speed: 3600,
      intervalMs: 100,
      protocolVersion,
      // Two connections for three devices, and a window of one: the shared, back-pressured path.
      connections: 2,
      maxInFlight: 1,
      badRate: 0,
      dropoutRate: 0,
    });
    await new Promise((r) => setTimeout(r, 2500));
    await fleet.stop();
    const stats = fleet.stats();
    // Let the last messages reach the subscriber.
    const deadline = Date.now() + 3000;
    const total = () => [...received.values()].reduce((n, rs) => n + rs.length, 0);
    while (total() < stats.mqtt.acked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await subscriber.endAsync();

    assert.deepEqual([...received.keys()].sort(), ['compressor-0002', 'drive-0003', 'pump-0001']);
    assert.equal(stats.mqtt.acked, stats.mqtt.published, 'every publish was acknowledged before disconnecting');
    assert.equal(stats.inFlight, 0);
    for (const [device, readings] of received) {
      assert.ok(readings.length >= 10, `${device}: ${readings.length} readings`);
      // QoS 1 may deliver twice, never loses: seqs run 1…n without holes.
      const seqs = [...new Set(readings.map((r) => r.seq))].sort((a, b) => a - b);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1), device);
      // 100 ms × 3600 = 0.1 simulated hour per reading.
      const hours = readings.map((r) => r.metrics.run_hours!);
      assert.ok(hours.at(-1)! - hours[0]! > 1, `${device}: physics ran at speed (${hours[0]} → ${hours.at(-1)} run hours)`);
    }
    await new Promise((r) => setImmediate(r));
    assert.ok(sockets() <= before, 'no sockets or timers left behind');
  });
}

test('an unreachable broker fails start with PRG_MQTT_CONNECT_FAILED and leaves nothing open', async () => {
  const { MqttTelemetryPublisher } = await import('../../simulators/mqtt-publisher.ts');
  const publisher = new MqttTelemetryPublisher({ url: 'mqtt://127.0.0.1:1', clientIdPrefix: 'sim-unreachable', connectTimeoutMs: 500 });
  await assert.rejects(publisher.start(), (err: Error & { code?: string }) => err.code === 'PRG_MQTT_CONNECT_FAILED');
});
