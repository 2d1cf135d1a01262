import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

/**
 * The zero-setup mail server: with no SMTP_URL, prognos sends its customer e-mail over real SMTP
 * to this sink on loopback, which keeps every message as an `.eml` file under `<dir>` (open them
 * with any mail client). Like the embedded MQTT broker, it makes the demo honest end to end
 * without a mail account; production sets SMTP_URL.
 */
export class SmtpSink {
  private server: SMTPServer | null = null;
  private count = 0;
  private portInUse = 0;

  constructor(
    private readonly dir: string,
    private readonly port = 0,
    private readonly host = '127.0.0.1',
  ) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.count++;
          const name = `${Date.now()}-${String(this.count).padStart(6, '0')}.eml`;
          try {
            writeFileSync(join(this.dir, name), Buffer.concat(chunks));
            callback();
          } catch (err) {
            // A 4xx: the sender's outbox retries later instead of losing the message.
            const e = new Error(`cannot store message: ${(err as Error).message}`) as Error & { responseCode: number };
            e.responseCode = 451;
            callback(e);
          }
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
    this.portInUse = (server.server.address() as AddressInfo).port;
  }

  /** `smtp://127.0.0.1:<port>` once started. */
  get url(): string {
    return `smtp://${this.host}:${this.portInUse}`;
  }

  get received(): number {
    return this.count;
  }

  get mailDir(): string {
    return this.dir;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
