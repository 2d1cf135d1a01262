import type { Selectable } from 'kysely';
import type { CustomerTable } from '../../platform/sql/schema.ts';

export type ChannelName = 'email' | 'webhook' | 'mqtt';
export const CHANNEL_NAMES: readonly ChannelName[] = ['email', 'webhook', 'mqtt'];

/**
 * Who a message goes to, as notify needs it: a plain object, read fresh before every send so
 * an opt-out or a new address made after enqueueing still counts.
 */
export interface Recipient {
  readonly tenant: string;
  readonly customerId: string;
  readonly name?: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly preferredChannel: ChannelName;
  readonly webhookUrl: string | null;
  /** `en` or `zh-CN`. */
  readonly language: string;
  readonly plainLanguage: boolean;
  /** Local 'HH:MM' in `timezone`; start > end wraps midnight. Null: no quiet hours. */
  readonly quietHours: { readonly start: string; readonly end: string } | null;
  /** IANA time zone. */
  readonly timezone: string;
  readonly optedOut: boolean;
}

/** Finds the current recipient data; null when the customer no longer exists. */
export type RecipientLookup = (tenant: string, customerId: string) => Promise<Recipient | null>;

/** Maps a `customers` row (maintenance's fleet registry) to a recipient. */
export function recipientFromCustomer(row: Selectable<CustomerTable>): Recipient {
  const channel = (['email', 'webhook', 'mqtt'] as const).find((c) => c === row.preferred_channel) ?? 'email';
  return {
    tenant: row.tenant,
    customerId: row.id,
    name: row.name,
    email: row.contact_email,
    phone: row.phone,
    preferredChannel: channel,
    webhookUrl: row.webhook_url,
    language: row.language,
    plainLanguage: row.plain_language,
    quietHours: row.quiet_start && row.quiet_end ? { start: row.quiet_start, end: row.quiet_end } : null,
    timezone: row.timezone,
    optedOut: row.opted_out,
  };
}
