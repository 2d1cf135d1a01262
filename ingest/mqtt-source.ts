// First: libraries below create their `debug` loggers at load time.
import '../platform/quiet-debug.ts';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Config } from '../platform/config.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { telemetrySubscription } from './topics.ts';

/** Persists one message; resolves when it may be acknowledged. */
export type MessageHandler = (topic: string, payload: Buffer) => Promise<void>;

export interface MqttSourceOptions {
  mqtt: Config['mqtt'] & { url: string };
  /** Unacknowledged messages held at once (MQTT 5 receive maximum; TCP back-pressure past it). */
  maxInFlight: number;
  /** How long the broker keeps our session and backlog while we are away. Default 7 days. */
  sessionExpirySeconds?: number;
  handler: MessageHandler;
  logger: Logger;
}

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * The one owner of ingest's connection to an external broker: QoS 1, persistent session,
 * optional shared-subscription group, and acknowledgement only after persistence.
 *
 * MQTT.js hands incoming messages over one at a time and will not read the next until the
 * current one's PUBACK is sent (customHandleAcks → handleMessage → puback). Holding that
 * callback until InfluxDB answers would persist one message per round trip. So the handler
 * accepts each message at once, and the PUBACK itself is held back: the client's packet
 * writer is wrapped so a PUBACK leaves only when its message is durable. Acks may leave out
 * of order, which MQTT allows. The broker stops sending at our receive maximum; past
 * `maxInFlight` we also stop reading the socket.
 */
export class MqttSource {
  private client: MqttClient | null = null;
  /**
   * Message id (1..65535) → its persistence, until the held PUBACK picks it up. An array, not a
   * Map: a Map that gains and loses an entry per message keeps resizing its table.
   */
  private readonly persisting: (Promise<void> | undefined)[] = new Array<Promise<void> | undefined>(65536).fill(undefined);
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private resumeReading: (() => void) | null = null;
  private closing = false;
  connected = false;

  constructor(private readonly o: MqttSourceOptions) {}

  async start(): Promise<void> {
    const { mqtt: m } = this.o;
    const options: IClientOptions = {
      clientId: m.clientId,
      clean: false,
      protocolVersion: m.protocolVersion,
      username: m.username,
      password: m.password,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
      // MQTT.js calls its `debug` logger several times per packet; even disabled that was 4% of
      // ingest's CPU under load (bench/README.md). Our own logger covers what matters.
      log: () => undefined,
      customHandleAcks: (topic, payload, packet, cb) => this.onMessage(topic, payload, packet as { messageId: number; qos: number }, cb),
      ...(m.protocolVersion === 5
        ? { properties: { sessionExpiryInterval: this.o.sessionExpirySeconds ?? 7 * 86400, receiveMaximum: Math.min(this.o.maxInFlight, 65535) } }
        : {}),
    };
    const client = mqtt.connect(m.url, options);
    this.client = client;
    this.gatePubacks(client);
    client.on('connect', (connack) => {
      this.connected = true;
      this.o.logger.info({ url: m.url, sessionPresent: connack.sessionPresent }, 'MQTT connected');
      // Subscriptions are re-made from this one place after every reconnect.
      const filter = telemetrySubscription(m.shareGroup);
      client.subscribe(filter, { qos: 1 }, (err) => {
        if (err) this.o.logger.error({ err, filter }, 'MQTT subscribe failed');
      });
    });
    client.on('close', () => {
      if (this.connected && !this.closing) this.o.logger.warn('MQTT connection closed; reconnecting');
      this.connected = false;
    });
    client.on('error', (err) => this.o.logger.error({ err: err.message }, 'MQTT error'));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new PrognosError('PRG_MQTT_CONNECT_FAILED', `${m.url}: no CONNACK within 10 s`));
      }, 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    }).catch(async (err) => {
      await this.client?.endAsync(true);
      throw err;
    });
  }

  /** Finishes persisting and acknowledging what is in hand, then disconnects (the session stays). */
  async stop(): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    // Let the last PUBACKs reach the socket before the DISCONNECT.
    await new Promise((r) => setImmediate(r));
    await this.client?.endAsync(false);
    this.client = null;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  private onMessage(topic: string, payload: Buffer, packet: { messageId: number; qos: number }, cb: (error: Error | number, code?: number) => void): void {
    if (this.closing) return; // unacknowledged: the broker redelivers it to the next session
    this.inFlight++;
    const persisted = this.o.handler(topic, payload);
    this.persisting[packet.messageId] = persisted;
    if (this.inFlight < this.o.maxInFlight) return cb(0);
    // Its PUBACK handler attaches only when reading resumes; until then a failure is expected, not unhandled.
    persisted.catch(() => undefined);
    this.resumeReading = () => cb(0);
  }

  /** Called once per message when its persistence settles (acknowledged or not). */
  private settled(count: number): void {
    this.inFlight -= count;
    if (this.resumeReading && this.inFlight < this.o.maxInFlight) {
      const resume = this.resumeReading;
      this.resumeReading = null;
      resume();
    }
    if (this.inFlight === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * A batch's PUBACKs all become due in the same tick; corking the socket turns thousands of
   * tiny writes into one.
   */
  private corked = false;
  private sendCorked(client: MqttClient, send: () => void): void {
    const stream = client.stream;
    if (!this.corked && stream && !stream.destroyed) {
      this.corked = true;
      stream.cork();
      setImmediate(() => {
        this.corked = false;
        stream.uncork();
      });
    }
    send();
  }


  private gatePubacks(client: MqttClient): void {
    const internal = client as unknown as { _sendPacket: SendPacket };
    const send = internal._sendPacket.bind(client);
    // Messages of one batch share one persistence promise: their PUBACKs wait in one list
    // behind one callback.
    const waiting = new Map<Promise<void>, { cmd: string; messageId?: number }[]>();
    internal._sendPacket = (packet, cb, ...rest) => {
      const id = packet.messageId;
      const persisted = packet.cmd === 'puback' && id !== undefined ? this.persisting[id] : undefined;
      if (!persisted) return send(packet, cb, ...rest);
      this.persisting[id!] = undefined;
      cb?.();
      const list = waiting.get(persisted);
      if (list) {
        list.push(packet);
        return;
      }
      const acks = [packet];
      waiting.set(persisted, acks);
      persisted.then(
        () => {
          waiting.delete(persisted);
          this.sendCorked(client, () => {
            for (const ack of acks) send(ack);
          });
          this.settled(acks.length);
        },
        (err: unknown) => {
          waiting.delete(persisted);
          this.settled(acks.length);
          // Unacknowledged messages come back only on a new connection: make one.
          this.o.logger.error({ err, messages: acks.length }, 'messages not persisted; reconnecting so the broker redelivers them');
          client.stream?.destroy();
        },
      );
    };
  }
}
