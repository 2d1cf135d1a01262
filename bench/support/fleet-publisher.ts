import mqtt, { type MqttClient } from 'mqtt';
import { fleetPayload, telemetryTopicOf } from './fleet-payload.ts';

/**
 * A benchmark publisher process: a share of the simulated fleet, spread over a few MQTT
 * connections, each keeping a bounded window of QoS 1 publishes in flight and publishing the
 * next as soon as a PUBACK frees a slot. Devices publish their readings in seq order, with
 * ts = baseTs + seq, so every (device, ts) is unique and the seq stream has no gaps.
 *
 * Run by `ingest-e2e.ts` through `fork`; it speaks over the IPC channel:
 *   parent → {type:'configure', config} → child connects → {type:'ready'}
 *   parent → {type:'go'} → child publishes → {type:'done', report}
 * It exits when the parent goes away or when `deadlineMs` passes.
 */

export interface FleetPublisherConfig {
  url: string;
  tenant: string;
  /** This process's devices and how many readings each publishes. */
  devices: { id: string; messages: number }[];
  connections: number;
  /** Unacknowledged QoS 1 publishes per connection. */
  window: number;
  baseTs: number;
  protocolVersion: 4 | 5;
  /** Gives up (and reports what it has) this long after `go`. */
  deadlineMs: number;
}

export interface FleetPublisherReport {
  published: number;
  acked: number;
  /** Epoch ms of the first publish and of the last PUBACK. */
  firstPublishAt: number;
  lastAckAt: number;
  errors: string[];
}

export type ToPublisher = { type: 'configure'; config: FleetPublisherConfig } | { type: 'go' };
export type FromPublisher = { type: 'ready' } | { type: 'done'; report: FleetPublisherReport } | { type: 'failed'; error: string };

/** Readings of one device in seq order, interleaved round-robin with the connection's other devices. */
class Schedule {
  private round = 1;
  private cursor = 0;
  private readonly maxRound: number;

  constructor(private readonly devices: { topic: string; messages: number }[]) {
    this.maxRound = devices.reduce((m, d) => Math.max(m, d.messages), 0);
  }

  next(): { topic: string; seq: number } | null {
    while (this.round <= this.maxRound) {
      while (this.cursor < this.devices.length) {
        const d = this.devices[this.cursor++]!;
        if (d.messages >= this.round) return { topic: d.topic, seq: this.round };
      }
      this.cursor = 0;
      this.round++;
    }
    return null;
  }
}

function send(msg: FromPublisher): void {
  process.send?.(msg);
}

async function connectAll(c: FleetPublisherConfig): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < c.connections; i++) {
    clients.push(
      mqtt.connect(c.url, {
        clientId: `bench-pub-${process.pid}-${i}`,
        clean: true,
        protocolVersion: c.protocolVersion,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        keepalive: 60,
      }),
    );
  }
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', reject);
          client.once('close', () => reject(new Error('connection closed before CONNACK')));
        }),
    ),
  );
  return clients;
}

function run(c: FleetPublisherConfig, clients: MqttClient[]): Promise<FleetPublisherReport> {
  const total = c.devices.reduce((n, d) => n + d.messages, 0);
  const report: FleetPublisherReport = { published: 0, acked: 0, firstPublishAt: 0, lastAckAt: 0, errors: [] };
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      resolve(report);
    };
    const deadline = setTimeout(() => {
      report.errors.push(`deadline of ${c.deadlineMs} ms passed with ${report.acked}/${total} acknowledged`);
      finish();
    }, c.deadlineMs);
    if (total === 0) return finish();
    report.firstPublishAt = Date.now();
    clients.forEach((client, i) => {
      const mine = c.devices.filter((_, d) => d % clients.length === i).map((d) => ({ topic: telemetryTopicOf(c.tenant, d.id), messages: d.messages }));
      const schedule = new Schedule(mine);
      const publishNext = (): void => {
        const m = schedule.next();
        if (!m) return;
        report.published++;
        client.publish(m.topic, fleetPayload(c.baseTs, m.seq), { qos: 1 }, (err) => {
          if (err) {
            if (report.errors.length < 10) report.errors.push(err.message);
            return;
          }
          report.acked++;
          if (report.acked === total) {
            report.lastAckAt = Date.now();
            finish();
          } else publishNext();
        });
      };
      for (let w = 0; w < c.window; w++) publishNext();
      client.on('close', () => {
        if (!finished && report.errors.length < 10) report.errors.push(`connection ${i} closed`);
      });
    });
  });
}

let config: FleetPublisherConfig | null = null;
let clients: MqttClient[] = [];

process.on('disconnect', () => process.exit(0));
process.on('message', (msg: ToPublisher) => {
  if (msg.type === 'configure') {
    config = msg.config;
    connectAll(config).then(
      (c) => {
        clients = c;
        send({ type: 'ready' });
      },
      (err: Error) => send({ type: 'failed', error: err.message }),
    );
  } else if (msg.type === 'go' && config) {
    void run(config, clients).then(async (report) => {
      send({ type: 'done', report });
      await Promise.all(clients.map((cl) => cl.endAsync(true)));
    });
  }
});
