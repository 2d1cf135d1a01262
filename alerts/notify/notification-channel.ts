import { PrognosError } from '../../platform/errors.ts';
import type { ChannelName, Recipient } from './recipient.ts';

export type NotificationKind = 'proactive' | 'reminder' | 'escalation' | 'confirmation';
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['proactive', 'reminder', 'escalation', 'confirmation'];

/** One message on its way out, as the dispatcher hands it to a channel. */
export interface Delivery {
  /** Stable across retries: receivers can drop a message they already have by this key. */
  readonly dedupeKey: string;
  readonly tenant: string;
  readonly customerId: string;
  readonly ticketId: string | null;
  readonly kind: NotificationKind;
  /** Channel-specific; each channel checks it with its own schema. */
  readonly payload: unknown;
  readonly recipient: Recipient;
}

/** An adapter that owns its connection: `start()` and `stop()` do the I/O, `send()` delivers one. */
export interface NotificationChannel {
  readonly name: ChannelName;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the other side has taken the message; throws {@link DeliveryError}. */
  send(d: Delivery): Promise<void>;
}

/** A delivery that did not happen. `transient`: worth retrying later. */
export class DeliveryError extends PrognosError {
  constructor(
    readonly transient: boolean,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('PRG_DELIVERY_FAILED', detail, options);
  }
}
