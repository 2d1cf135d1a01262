import { randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/logger.ts';
import { DeliveryError, type NotificationChannel } from './notification-channel.ts';
import { decide, type NotificationPolicyOptions } from './notification-policy.ts';
import type { NotificationOutbox, OutboxMessage } from './outbox.ts';
import type { ChannelName, RecipientLookup } from './recipient.ts';

export interface OutboxDispatcherOptions {
  outbox: NotificationOutbox;
  channels: Partial<Record<ChannelName, NotificationChannel>>;
  recipients: RecipientLookup;
  clock: Clock;
  logger: Logger;
  /** Names this dispatcher's claims. Default a random id. */
  workerId?: string;
  /** Rows per claim. Default 20. */
  batchSize?: number;
  /** How long a claim holds before another dispatcher may take the row over; keep it above the channels' timeouts. Default 5 min. */
  leaseMs?: number;
  /** Pause between polls when idle, ms. Default 1000. */
  pollMs?: number;
  /** Attempts before a row is `failed`. Default 8. */
  maxAttempts?: number;
  /** Retry delay: baseMs · 2^(attempt-1), at most maxMs. Default 30 s and 1 h. */
  backoff?: { baseMs: number; maxMs: number };
  policy?: NotificationPolicyOptions;
}

export interface DispatchCounts {
  sent: number;
  deferred: number;
  suppressed: number;
  retried: number;
  failed: number;
  /** Claims lost to another dispatcher before the outcome was written. */
  lost: number;
}

/**
 * Sends what the outbox holds: claim due rows, ask the policy, send through the row's channel,
 * write the outcome. Delivery is at least once: a crash after the channel took a message and
 * before `sent` is written re-sends it once the lease runs out, with the same dedupe key
 * (Message-ID, `X-Prognos-Delivery`, the MQTT `id`) so the receiving side can drop the repeat.
 */
export class OutboxDispatcher {
  readonly workerId: string;
  private cancelTimer: (() => void) | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;

  constructor(private readonly o: OutboxDispatcherOptions) {
    this.workerId = o.workerId ?? `dispatcher-${randomUUID()}`;
  }

  backoffMs(attempt: number): number {
    const b = this.o.backoff ?? { baseMs: 30_000, maxMs: 3600_000 };
    return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempt - 1));
  }

  /** One claim-and-send round; returns what happened. */
  async runOnce(): Promise<DispatchCounts> {
    const counts: DispatchCounts = { sent: 0, deferred: 0, suppressed: 0, retried: 0, failed: 0, lost: 0 };
    const rows = await this.o.outbox.claimDue({ workerId: this.workerId, limit: this.o.batchSize ?? 20, leaseMs: this.o.leaseMs ?? 300_000 });
    // One at a time: the rate limit of a customer then sees the previous message of the batch.
    for (const row of rows) await this.process(row, counts);
    return counts;
  }

  private async process(row: OutboxMessage, counts: DispatchCounts): Promise<void> {
    const { outbox, clock, logger } = this.o;
    const w = this.workerId;
    const note = (ok: boolean, key: Exclude<keyof DispatchCounts, 'lost'>) => {
      if (ok) counts[key]++;
      else counts.lost++;
    };
    const now = clock.now();
    const recipient = await this.o.recipients(row.tenant, row.customerId);
    const windowMs = this.o.policy?.windowMs ?? 24 * 3600_000;
    const recentProactive = row.kind === 'proactive' ? await outbox.recentProactive(row.tenant, row.customerId, now - windowMs, row.id) : [];
    const decision = decide({ now, kind: row.kind, channel: row.channel, recipient, recentProactive }, this.o.policy);
    if (decision.action === 'suppress') {
      logger.info({ id: row.id, reason: decision.reason }, 'notification suppressed');
      return note(await outbox.suppress(row.id, w, decision.reason), 'suppressed');
    }
    if (decision.action === 'defer') {
      logger.debug({ id: row.id, reason: decision.reason, until: new Date(decision.until).toISOString() }, 'notification deferred');
      return note(await outbox.defer(row.id, w, decision.until, decision.reason), 'deferred');
    }
    const channel = this.o.channels[row.channel];
    if (!channel) return note(await outbox.markFailed(row.id, w, `no ${row.channel} channel is configured`), 'failed');
    try {
      await channel.send({
        dedupeKey: row.dedupeKey,
        tenant: row.tenant,
        customerId: row.customerId,
        ticketId: row.ticketId,
        kind: row.kind,
        payload: row.payload,
        recipient: recipient!,
      });
    } catch (err) {
      // Anything but a coded permanent failure (e.g. a bug in a channel) is worth another try.
      const transient = err instanceof DeliveryError ? err.transient : true;
      const message = err instanceof Error ? err.message : String(err);
      if (transient && row.attempts < (this.o.maxAttempts ?? 8)) {
        logger.warn({ id: row.id, channel: row.channel, attempt: row.attempts, err: message }, 'notification delivery failed; will retry');
        return note(await outbox.retryAt(row.id, w, clock.now() + this.backoffMs(row.attempts), message), 'retried');
      }
      logger.error({ id: row.id, channel: row.channel, attempt: row.attempts, err: message }, 'notification delivery failed for good');
      return note(await outbox.markFailed(row.id, w, message), 'failed');
    }
    note(await outbox.markSent(row.id, w), 'sent');
  }

  /** Polls until stopped; a round that found work polls again at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.runOnce().then(
        (c) => c.sent + c.deferred + c.suppressed + c.retried + c.failed + c.lost,
        (err: unknown) => {
          this.o.logger.error({ err }, 'outbox dispatch round failed');
          return 0;
        },
      );
      void this.running.then((n) => {
        this.running = null;
        if (!this.stopped) this.cancelTimer = this.o.clock.setTimer(loop, (n as number) > 0 ? 0 : (this.o.pollMs ?? 1000));
      });
    };
    loop();
  }

  /** Stops polling and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.running;
  }
}
