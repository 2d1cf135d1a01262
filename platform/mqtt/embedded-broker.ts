// First: libraries below create their `debug` loggers at load time.
import '../quiet-debug.ts';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from '../logger.ts';

/**
 * Persists a message the broker received, before the broker acknowledges it to the device.
 * Returns null for topics it does not take.
 */
export type PublishInterceptor = (topic: string, payload: Buffer) => Promise<void> | null;

/**
 * Who may connect and which topics each may use. `authenticate` returns the identity a
 * username/password stands for, or null to refuse the connection.
 */
export interface BrokerAuth<I = unknown> {
  authenticate(username: string | undefined, password: Buffer | undefined): Promise<I | null>;
  mayPublish(identity: I, topic: string): boolean;
  maySubscribe(identity: I, filter: string): boolean;
  /** Tells the broker when a username's credential is revoked, so its live connections close. */
  onRevoked?(listener: (username: string) => void): () => void;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  logger: Logger;
  intercept?: PublishInterceptor;
  /** Unset: every client is admitted to every topic (MQTT_AUTH=off). */
  auth?: BrokerAuth<any>;
}

/**
 * The zero-setup broker (aedes, MQTT 3.1.1) on a real TCP port, so real devices can connect.
 *
 * aedes sends a QoS 1 PUBACK as soon as it has the message in memory. To keep "acknowledged
 * means persisted" for devices on this broker, the interceptor runs in `authorizePublish`,
 * which aedes awaits before the PUBACK: the device holds (and re-sends after a reconnect)
 * whatever prognos has not yet stored, so a crash of this process loses nothing. aedes reads a
 * socket chunk's packets concurrently, so this still batches.
 *
 * With `auth`, every client authenticates at CONNECT and is held to the topics its identity may
 * use: a forbidden subscription gets SUBACK 128, a forbidden publish closes the connection before
 * the interceptor sees it (so nothing is stored or acknowledged). A revoked credential closes the
 * connections made with it at once (they could otherwise publish until they disconnect). A client
 * id belongs to the username that first used it while its session lives: another credential
 * presenting it is refused (CONNACK 2), so no device can kick another off or take over its session.
 */
export class EmbeddedBroker {
  private broker: Aedes | null = null;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** The username each authenticated, connected client logged in with. */
  private readonly usernames = new Map<Client, string>();
  /** Client id → the username whose session it is (released when a clean session ends). */
  private readonly sessionOwners = new Map<string, string>();
  private unwatchRevocations: (() => void) | null = null;
  port = 0;

  constructor(private readonly o: EmbeddedBrokerOptions) {}

  async start(): Promise<void> {
    const intercept = this.o.intercept;
    const logger = this.o.logger;
    const auth = this.o.auth;
    // The identity each authenticated connection stands for.
    const identities = new WeakMap<Client, unknown>();
    const broker = await Aedes.createBroker({
      authenticate: (client: Client, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void) => {
        if (!auth) return done(null, true);
        auth.authenticate(username, password).then(
          (identity) => {
            if (identity === null) {
              logger.info({ client: client.id, username }, 'MQTT connection refused: bad username or password');
              // 4 = CONNACK "bad user name or password" (aedes' AuthErrorCode is a const enum, absent at run time)
              return done(Object.assign(new Error('bad username or password'), { returnCode: 4 }) as AuthenticateError, false);
            }
            const owner = this.sessionOwners.get(client.id);
            if (owner !== undefined && owner !== username) {
              logger.info({ client: client.id, username }, "MQTT connection refused: the client id is another credential's session");
              // 2 = CONNACK "identifier rejected"
              return done(Object.assign(new Error('client id belongs to another credential'), { returnCode: 2 }) as AuthenticateError, false);
            }
            identities.set(client, identity);
            if (username) {
              this.usernames.set(client, username);
              this.sessionOwners.set(client.id, username);
            }
            done(null, true);
          },
          (err: unknown) => {
            logger.error({ err, client: client.id }, 'MQTT authentication failed');
            done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false);
          },
        );
      },
      authorizeSubscribe: (client: Client, sub: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void) => {
        if (!auth || auth.maySubscribe(identities.get(client), sub.topic)) return callback(null, sub);
        logger.info({ client: client.id, filter: sub.topic }, 'MQTT subscription refused');
        callback(null, null);
      },
      authorizePublish: (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
        // A client without the right to this topic is disconnected before anything is stored.
        if (client && auth && !auth.mayPublish(identities.get(client), packet.topic)) {
          logger.info({ client: client.id, topic: packet.topic }, 'MQTT publish refused; disconnecting the client');
          return callback(new Error('not authorized to publish to this topic'));
        }
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
    broker.on('clientDisconnect', (client) => {
      // A clean session ends with its connection, and so does its claim on the id; a persistent one keeps it.
      if (this.usernames.get(client) !== undefined && client.clean) this.sessionOwners.delete(client.id);
      this.usernames.delete(client);
    });
    this.unwatchRevocations = auth?.onRevoked?.((username) => this.disconnectUser(username)) ?? null;
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

  /** Closes every connection logged in as `username`; returns how many. */
  disconnectUser(username: string): number {
    let closed = 0;
    for (const [client, name] of this.usernames) {
      if (name !== username) continue;
      this.usernames.delete(client);
      this.o.logger.info({ client: client.id, username }, 'MQTT credential revoked; closing its connection');
      client.close();
      closed++;
    }
    return closed;
  }

  async stop(): Promise<void> {
    this.unwatchRevocations?.();
    this.unwatchRevocations = null;
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    const broker = this.broker;
    this.broker = null;
    if (broker) await new Promise<void>((r) => broker.close(() => r()));
  }
}
