import { localMinuteOfDay } from '../messages/message-dates.ts';
import type { NotificationKind } from './notification-channel.ts';
import type { ChannelName, Recipient } from './recipient.ts';

/**
 * What may go out now. Pure and clock-free: the dispatcher asks before every send, with the
 * customer's current data. Nothing is ever silently dropped: a message is sent, deferred to a
 * named moment (end of quiet hours, when the rate window frees up), or suppressed with a
 * stored reason (opted out, customer gone).
 */
export interface NotificationPolicyOptions {
  /** Proactive messages per customer within {@link windowMs}. Default 3. */
  maxProactivePerWindow?: number;
  /** Default 24 h. */
  windowMs?: number;
  /** Channels that reach a person and so respect quiet hours. Default e-mail and webhook (the device display does not wake anyone). */
  quietHourChannels?: readonly ChannelName[];
}

export type PolicyDecision =
  | { readonly action: 'send' }
  | { readonly action: 'defer'; readonly until: number; readonly reason: 'quiet_hours' | 'rate_limit' }
  | { readonly action: 'suppress'; readonly reason: 'opted_out' | 'customer_unknown' };

export interface PolicyInput {
  readonly now: number;
  readonly kind: NotificationKind;
  readonly channel: ChannelName;
  readonly recipient: Recipient | null;
  /** When earlier proactive messages to this customer went out (or are going out), within the window. */
  readonly recentProactive: readonly number[];
}

function minutes(hhmm: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(hhmm.trim());
  if (!m) throw new RangeError(`quiet hours time ${hhmm} is not HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * If `now` lies in the quiet hours (local 'HH:MM' start..end in `timeZone`, wrapping midnight
 * when start > end), the instant they end; else null. DST-safe: the candidate is corrected
 * once by the local time actually found there.
 */
export function quietHoursEnd(now: number, quiet: { start: string; end: string }, timeZone: string): number | null {
  const s = minutes(quiet.start);
  const e = minutes(quiet.end);
  if (s === e) return null;
  const local = localMinuteOfDay(now, timeZone);
  const inside = s < e ? local >= s && local < e : local >= s || local < e;
  if (!inside) return null;
  let at = Math.floor(now / 60_000) * 60_000 + ((e - local + 1440) % 1440) * 60_000;
  const off = (e - localMinuteOfDay(at, timeZone) + 1440) % 1440;
  if (off !== 0) at += (off < 720 ? off : off - 1440) * 60_000;
  return at;
}

export function decide(input: PolicyInput, o: NotificationPolicyOptions = {}): PolicyDecision {
  const r = input.recipient;
  if (!r) return { action: 'suppress', reason: 'customer_unknown' };
  if (r.optedOut) return { action: 'suppress', reason: 'opted_out' };
  const quietChannels = o.quietHourChannels ?? ['email', 'webhook'];
  if (r.quietHours && quietChannels.includes(input.channel)) {
    const end = quietHoursEnd(input.now, r.quietHours, r.timezone);
    if (end !== null) return { action: 'defer', until: end, reason: 'quiet_hours' };
  }
  if (input.kind === 'proactive') {
    const max = o.maxProactivePerWindow ?? 3;
    const windowMs = o.windowMs ?? 24 * 3600_000;
    const recent = input.recentProactive.filter((t) => t > input.now - windowMs).sort((a, b) => a - b);
    if (recent.length >= max) {
      // The moment enough of them have left the window for one more.
      return { action: 'defer', until: recent[recent.length - max]! + windowMs, reason: 'rate_limit' };
    }
  }
  return { action: 'send' };
}
