import mqtt, { type MqttClient } from 'mqtt';
import { type Clock, systemClock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';

/**
 * The simulator's MQTT edge: K client connections that the devices share (device i uses
 * connection i mod K), QoS 1, and a bounded window of unacknowledged publishes per connection.
 * `publish` resolves when the message is inside the window, and waits while it is full, so a
 * slow or absent broker slows the publishers down instead of growing an unbounded queue.
 */

export interface MqttPublisherOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1884`. */
  readonly url: string;
  /** Client ids are `<clientIdPrefix>-<k>` for k = 1…connections: stable across runs. */
  readonly clientIdPrefix: string;
  /** Connections the devices share. Default 1. */
  readonly connections?: number;
  /** MQTT protocol version: 4 (3.1.1) or 5. Default 4 (the embedded broker speaks 4 only). */
  readonly protocolVersion?: 4 | 5;
  /** Unacknowledged QoS 1 publishes per connection before `publish` waits. Default 64. */
  readonly maxInFlight?: number;
  /** How long `start` waits for every connection's CONNACK. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long `stop` waits for outstanding PUBACKs before closing regardless. Default 5000 ms. */
  readonly drainTimeoutMs?: number;
  readonly username?: string;
  readonly password?: string;
  /** Timers for the connect and drain deadlines. Default: the system clock. */
  readonly clock?: Clock;
  /** Told of client errors (the client reconnects by itself). */
  onError?(err: Error): void;
}

export interface MqttPublisherStats {
  published: number;
  acked: number;
  failed: number;
}

interface Lane {
  readonly client: MqttClient;
  inFlight: number;
  readonly waiting: { resolve: () => void; reject: (err: Error) => void }[];
  /** Resolved when inFlight drops to zero during stop. */
  drained: (() => void) | null;
}

export class MqttTelemetryPublisher {
  readonly stats: MqttPublisherStats = { published: 0, acked: 0, failed: 0 };
  private lanes: Lane[] = [];
  private closing = false;

  constructor(private readonly o: MqttPublisherOptions) {}

  get maxInFlight(): number {
    return this.o.maxInFlight ?? 64;
  }

  async start(): Promise<void> {
    const count = Math.max(1, this.o.connections ?? 1);
    this.lanes = Array.from({ length: count }, (_, k) => ({
      client: mqtt.connect(this.o.url, {
        clientId: `${this.o.clientIdPrefix}-${k + 1}`,
        protocolVersion: this.o.protocolVersion ?? 4,
        clean: true,
        keepalive: 30,
        reconnectPeriod: 1000,
        connectTimeout: this.o.connectTimeoutMs ?? 10_000,
        username: this.o.username,
        password: this.o.password,
      }),
      inFlight: 0,
      waiting: [],
      drained: null,
    }));
    for (const lane of this.lanes) lane.client.on('error', (err) => this.o.onError?.(err));
    const clock = this.o.clock ?? systemClock;
    const timeoutMs = this.o.connectTimeoutMs ?? 10_000;
    let cancel = () => {};
    const deadline = new Promise<never>((_, reject) => {
      cancel = clock.setTimer(() => reject(new PrognosError('PRG_MQTT_CONNECT_FAILED', `${this.o.url}: no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    });
    const connected = this.lanes.map((lane) => (lane.client.connected ? Promise.resolve() : new Promise<void>((resolve) => lane.client.once('connect', () => resolve()))));
    try {
      await Promise.race([Promise.all(connected), deadline]);
    } catch (err) {
      await Promise.all(this.lanes.map((l) => l.client.endAsync(true)));
      this.lanes = [];
      throw err;
    } finally {
      cancel();
    }
  }

  /** Hands a QoS 1 message to connection `lane mod K`; waits while that connection's window is full. */
  async publish(lane: number, topic: string, payload: string): Promise<void> {
    const l = this.lanes[lane % this.lanes.length];
    if (!l || this.closing) throw new Error('publisher is not running');
    // A full window hands its next free slot straight to the longest waiter, so it never overshoots.
    if (l.inFlight >= this.maxInFlight) await new Promise<void>((resolve, reject) => l.waiting.push({ resolve, reject }));
    else l.inFlight++;
    this.stats.published++;
    l.client.publish(topic, payload, { qos: 1 }, (err) => {
      if (err) this.stats.failed++;
      else this.stats.acked++;
      const next = l.waiting.shift();
      if (next) return next.resolve();
      l.inFlight--;
      if (l.inFlight === 0) l.drained?.();
    });
  }

  /** In-flight publishes over all connections. */
  get inFlight(): number {
    return this.lanes.reduce((n, l) => n + l.inFlight, 0);
  }

  /** Stops taking messages, waits (bounded) for outstanding PUBACKs, then disconnects. */
  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const stopped = new Error('publisher stopped');
    for (const l of this.lanes) for (const w of l.waiting.splice(0)) w.reject(stopped);
    const clock = this.o.clock ?? systemClock;
    let cancel = () => {};
    const timedOut = new Promise<boolean>((resolve) => {
      cancel = clock.setTimer(() => resolve(true), this.o.drainTimeoutMs ?? 5000);
    });
    const drained = Promise.all(
      this.lanes.map((l) => (l.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (l.drained = resolve)))),
    ).then(() => false);
    const force = await Promise.race([drained, timedOut]);
    cancel();
    await Promise.all(this.lanes.map((l) => l.client.endAsync(force)));
    this.lanes = [];
  }
}
