import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { z } from 'zod';
import { DeliveryError, type Delivery, type NotificationChannel } from './notification-channel.ts';

/** What an e-mail outbox row carries. The address is the recipient's at send time. */
export const EmailPayloadSchema = z.object({
  subject: z.string().min(1),
  text: z.string().min(1),
  html: z.string().optional(),
  /** Content-Language of the message, e.g. `zh-CN`. */
  language: z.string().min(2),
  /** Signed opt-out link, sent as List-Unsubscribe. */
  unsubscribeUrl: z.string().url().optional(),
});
export type EmailPayload = z.infer<typeof EmailPayloadSchema>;

export interface EmailChannelOptions {
  /** SMTP server as a URL (SMTP_URL), e.g. `smtp://user:pass@mail.example.com:587` or `smtps://…:465`. */
  smtpUrl: string;
  /** Sender, e.g. `"prognos service" <service@example.com>`. */
  from: string;
  /** Domain for Message-IDs. Default: the sender's domain. */
  messageIdDomain?: string;
  /** Refuse to send without STARTTLS on a plain smtp:// URL. Default false (loopback relays). */
  requireTls?: boolean;
  /** Socket timeouts in ms. Default 15000. */
  timeoutMs?: number;
}

const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL', 'ETLS']);

/** E-mail through nodemailer's SMTP transport. */
export class EmailChannel implements NotificationChannel {
  readonly name = 'email' as const;
  private transport: Transporter<SMTPTransport.SentMessageInfo> | null = null;

  constructor(private readonly o: EmailChannelOptions) {}

  async start(): Promise<void> {
    const url = new URL(this.o.smtpUrl);
    const timeout = this.o.timeoutMs ?? 15_000;
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
      secure: url.protocol === 'smtps:',
      requireTLS: this.o.requireTls ?? false,
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  async stop(): Promise<void> {
    this.transport?.close();
    this.transport = null;
  }

  async send(d: Delivery): Promise<void> {
    if (!this.transport) throw new Error('EmailChannel.send before start()');
    const payload = EmailPayloadSchema.safeParse(d.payload);
    if (!payload.success) throw new DeliveryError(false, `e-mail payload invalid: ${payload.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    const to = d.recipient.email;
    if (!to) throw new DeliveryError(false, `customer ${d.customerId} has no e-mail address`);
    const p = payload.data;
    const domain = this.o.messageIdDomain ?? /@([^>\s]+)/.exec(this.o.from)?.[1] ?? 'prognos.local';
    // Same dedupe key, same Message-ID: a message re-sent after a crash is recognisably the same one.
    const messageId = `<${createHash('sha256').update(d.dedupeKey).digest('hex').slice(0, 32)}@${domain}>`;
    try {
      await this.transport.sendMail({
        from: this.o.from,
        to,
        subject: p.subject,
        text: p.text,
        html: p.html,
        messageId,
        headers: {
          'Content-Language': p.language,
          'X-Prognos-Kind': d.kind,
          'X-Prognos-Dedupe-Key': d.dedupeKey,
          ...(d.ticketId ? { 'X-Prognos-Ticket': d.ticketId } : {}),
        },
        list: p.unsubscribeUrl ? { unsubscribe: p.unsubscribeUrl } : undefined,
      });
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string };
      const transient = e.responseCode !== undefined ? e.responseCode < 500 : TRANSIENT_CODES.has(e.code ?? '') || e.code === undefined;
      throw new DeliveryError(transient, `SMTP: ${e.responseCode ?? e.code ?? ''} ${e.message ?? String(err)}`.trim(), { cause: err });
    }
  }
}
