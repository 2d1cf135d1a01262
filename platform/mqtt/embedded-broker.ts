import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from '../logger.ts';

/**
 * Persists a message the broker received, before the broker acknowledges it to the device.
 * Returns null for topics it does not take.
 */
export type PublishInterceptor = (topic: string, payload: Buffer) => Promise<void> | null;

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  logger: Logger;
  intercept?: PublishInterceptor;
}

/**
 * The zero-setup broker (aedes, MQTT 3.1.1) on a real TCP port, so real devices can connect.
 *
 * aedes sends a QoS 1 PUBACK as soon as it has the message in memory. To keep "acknowledged
 * means persisted" for devices on this broker, the interceptor runs in `authorizePublish`,
 * which aedes awaits before the PUBACK: the device holds (and re-sends after a reconnect)
 * whatever prognos has not yet stored, so a crash of this process loses nothing. aedes reads a
 * socket chunk's packets concurrently, so this still batches.
 */
export class EmbeddedBroker {
  private broker: Aedes | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly o: EmbeddedBrokerOptions) {}

  async start(): Promise<void> {
    const intercept = this.o.intercept;
    const logger = this.o.logger;
    const broker = await Aedes.createBroker({
      authorizePublish: (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
        const persisted = client && intercept ? intercept(packet.topic, packet.payload as Buffer) : null;
        if (!persisted) return callback(null);
        persisted.then(
          () => callback(null),
          (err: unknown) => {
            // Closing the connection leaves the message unacknowledged; the device re-sends it.
            logger.error({ err, topic: packet.topic }, 'message not persisted; dropping the connection so the device re-sends');
            callback(err instanceof Error ? err : new Error(String(err)));
          },
        );
      },
    });
    broker.on('clientError', (client, err) => logger.debug({ client: client.id, err: err.message }, 'MQTT client error'));
    this.broker = broker;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.o.port;
    logger.info({ host: this.o.host, port: this.port }, 'embedded MQTT broker listening');
  }

  get url(): string {
    return `mqtt://${this.o.host === '0.0.0.0' ? '127.0.0.1' : this.o.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    const broker = this.broker;
    this.broker = null;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
  }
}
