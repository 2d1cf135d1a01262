import mqtt from 'mqtt';
import { z } from 'zod';
import { commandTopic, SAFE_ID } from '../../ingest/topics.ts';
import type { Clock } from '../../platform/clock.ts';
import { PrognosError } from '../../platform/errors.ts';
import { DeliveryError, type Delivery, type NotificationChannel } from './notification-channel.ts';

/** What an MQTT outbox row carries: the device and the command it shows or acts on. */
export const MqttPayloadSchema = z.object({
  deviceId: z.string().regex(SAFE_ID),
  command: z.record(z.string(), z.unknown()),
});
export type MqttPayload = z.infer<typeof MqttPayloadSchema>;

export interface MqttDownlinkOptions {
  /** Broker URL (MQTT_URL, or the embedded broker's). */
  url: string;
  clock: Clock;
  clientId?: string;
  username?: string;
  password?: string;
  /** Wait this long for CONNACK at start, ms. Default 10000. */
  connectTimeoutMs?: number;
}

/**
 * Downlink to the device: QoS 1 publish of `{ id, kind, ticketId, sentAt, ...command }` to
 * `prognos/<tenant>/<deviceId>/commands`. Resolves on PUBACK, i.e. once the broker holds it.
 */
export class MqttDownlinkChannel implements NotificationChannel {
  readonly name = 'mqtt' as const;
  private client: mqtt.MqttClient | null = null;

  constructor(private readonly o: MqttDownlinkOptions) {}

  async start(): Promise<void> {
    try {
      this.client = await mqtt.connectAsync(this.o.url, {
        clientId: this.o.clientId ?? `prognos-notify-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        username: this.o.username,
        password: this.o.password,
        connectTimeout: this.o.connectTimeoutMs ?? 10_000,
        reconnectPeriod: 1000,
      });
    } catch (err) {
      throw new PrognosError('PRG_MQTT_CONNECT_FAILED', this.o.url, { cause: err });
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    await c?.endAsync();
  }

  async send(d: Delivery): Promise<void> {
    if (!this.client) throw new Error('MqttDownlinkChannel.send before start()');
    const payload = MqttPayloadSchema.safeParse(d.payload);
    if (!payload.success) throw new DeliveryError(false, `MQTT payload invalid: ${payload.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    if (!SAFE_ID.test(d.tenant)) throw new DeliveryError(false, `tenant id ${d.tenant} cannot be a topic level`);
    if (!this.client.connected) throw new DeliveryError(true, 'MQTT broker not connected');
    const topic = commandTopic({ tenant: d.tenant, device: payload.data.deviceId });
    const message = JSON.stringify({
      id: d.dedupeKey,
      kind: d.kind,
      ticketId: d.ticketId,
      sentAt: new Date(this.o.clock.now()).toISOString(),
      ...payload.data.command,
    });
    try {
      await this.client.publishAsync(topic, message, { qos: 1 });
    } catch (err) {
      throw new DeliveryError(true, `MQTT publish to ${topic}: ${(err as Error).message}`, { cause: err });
    }
  }
}
