import type { ComposedMessage } from '../messages/proactive-message.ts';
import type { NotificationKind } from './notification-channel.ts';
import type { NewNotification } from './outbox.ts';
import type { Recipient } from './recipient.ts';

/**
 * Turns a composed message into the outbox row for the customer's preferred channel. The
 * dedupe key should name the decision, not the attempt (e.g. `proactive:<ticket>:<plan>`),
 * so a workflow step that runs twice enqueues once.
 */
export function notificationFor(o: {
  recipient: Recipient;
  ticketId: string | null;
  kind: NotificationKind;
  dedupeKey: string;
  message: ComposedMessage;
  /** The signed opt-out link (List-Unsubscribe for e-mail). */
  optOutUrl?: string;
  /** For the MQTT channel: the device whose display shows the notice. */
  deviceId?: string;
  notBefore?: number;
}): NewNotification {
  const { recipient: r, message: m } = o;
  const base = { tenant: r.tenant, customerId: r.customerId, ticketId: o.ticketId, kind: o.kind, dedupeKey: o.dedupeKey, notBefore: o.notBefore };
  switch (r.preferredChannel) {
    case 'email':
      return {
        ...base,
        channel: 'email',
        payload: { subject: m.subject, text: m.text, html: m.html, language: m.language, ...(o.optOutUrl ? { unsubscribeUrl: o.optOutUrl } : {}) },
      };
    case 'webhook':
      return {
        ...base,
        channel: 'webhook',
        payload: { subject: m.subject, text: m.text, language: m.language, plainLanguage: m.plain, offeredSlotIds: m.offeredSlotIds },
      };
    case 'mqtt':
      if (!o.deviceId) throw new RangeError('an MQTT notification needs the device id');
      return {
        ...base,
        channel: 'mqtt',
        payload: { deviceId: o.deviceId, command: { type: 'service_notice', language: m.language, subject: m.subject, text: m.text } },
      };
  }
}
