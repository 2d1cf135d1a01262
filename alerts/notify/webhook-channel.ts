import type { Clock } from '../../platform/clock.ts';
import { DeliveryError, type Delivery, type NotificationChannel } from './notification-channel.ts';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.ts';

export interface WebhookChannelOptions {
  /** HMAC key the customers verify with (PROGNOS_WEBHOOK_SECRET). */
  secret: string;
  clock: Clock;
  /** Per request, ms. Default 10000. */
  timeoutMs?: number;
}

/**
 * POSTs `{ id, kind, tenant, customerId, ticketId, sentAt, data }` as JSON to the customer's
 * webhook URL, signed (webhook-signature.ts). 2xx is delivered; 408, 429, 5xx and network
 * errors are retried; other statuses are permanent. `id` (also `X-Prognos-Delivery`) is the
 * dedupe key: the receiver drops a repeat.
 */
export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook' as const;

  constructor(private readonly o: WebhookChannelOptions) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(d: Delivery): Promise<void> {
    const url = d.recipient.webhookUrl;
    if (!url || !/^https?:\/\//.test(url)) throw new DeliveryError(false, `customer ${d.customerId} has no webhook URL`);
    const now = this.o.clock.now();
    const body = JSON.stringify({
      id: d.dedupeKey,
      kind: d.kind,
      tenant: d.tenant,
      customerId: d.customerId,
      ticketId: d.ticketId,
      sentAt: new Date(now).toISOString(),
      data: d.payload,
    });
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(this.o.secret, body, now),
          'X-Prognos-Delivery': d.dedupeKey,
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new DeliveryError(true, `webhook ${new URL(url).host}: ${(err as Error).message}`, { cause: err });
    }
    await res.body?.cancel();
    if (res.ok) return;
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new DeliveryError(transient, `webhook ${new URL(url).host} answered ${res.status}`);
  }
}
