import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, quietHoursEnd } from '../../alerts/notify/notification-policy.ts';
import { type Recipient, recipientFromCustomer } from '../../alerts/notify/recipient.ts';

const HOUR = 3600_000;
const r = (over: Partial<Recipient> = {}): Recipient => ({
  tenant: 'acme', customerId: 'c', email: 'a@b.example', phone: null, preferredChannel: 'email', webhookUrl: null, language: 'en',
  plainLanguage: false, quietHours: { start: '21:00', end: '08:00' }, timezone: 'Asia/Shanghai', optedOut: false, ...over,
});

describe('notification policy', () => {
  test('quiet hours across midnight defer to their end in the customer time zone', () => {
    // 23:30 in Shanghai (15:30 UTC) → 08:00 next morning Shanghai = 00:00 UTC.
    assert.equal(quietHoursEnd(Date.parse('2026-11-24T15:30:00Z'), { start: '21:00', end: '08:00' }, 'Asia/Shanghai'), Date.parse('2026-11-25T00:00:00Z'));
    // 06:15 in Shanghai → 08:00 the same morning.
    assert.equal(quietHoursEnd(Date.parse('2026-11-24T22:15:00Z'), { start: '21:00', end: '08:00' }, 'Asia/Shanghai'), Date.parse('2026-11-25T00:00:00Z'));
    assert.equal(quietHoursEnd(Date.parse('2026-11-24T04:00:00Z'), { start: '21:00', end: '08:00' }, 'Asia/Shanghai'), null, 'noon is not quiet');
    assert.equal(quietHoursEnd(Date.parse('2026-11-24T04:00:00Z'), { start: '12:00', end: '14:00' }, 'Asia/Shanghai'), Date.parse('2026-11-24T06:00:00Z'), 'a window inside one day');
    assert.equal(quietHoursEnd(Date.parse('2026-11-24T04:00:00Z'), { start: '12:00', end: '12:00' }, 'Asia/Shanghai'), null, 'an empty window');
  });

  test('quiet hours that span a DST change end at the right instant', () => {
    // Berlin springs forward on 2026-03-29 at 02:00 → 03:00. 01:30 CET is 00:30 UTC; 04:00 CEST is 02:00 UTC.
    assert.equal(quietHoursEnd(Date.parse('2026-03-29T00:30:00Z'), { start: '22:00', end: '04:00' }, 'Europe/Berlin'), Date.parse('2026-03-29T02:00:00Z'));
    // And falls back on 2026-10-25 at 03:00 → 02:00. 01:30 CEST is 23:30 UTC; 04:00 CET is 03:00 UTC.
    assert.equal(quietHoursEnd(Date.parse('2026-10-24T23:30:00Z'), { start: '22:00', end: '04:00' }, 'Europe/Berlin'), Date.parse('2026-10-25T03:00:00Z'));
  });

  test('opted out is suppressed, quiet hours deferred (not for the device display), the fourth proactive message in 24 h deferred', () => {
    const night = Date.parse('2026-11-24T15:30:00Z');
    const day = Date.parse('2026-11-24T04:00:00Z');
    const base = { kind: 'proactive' as const, channel: 'email' as const, recentProactive: [] };
    assert.deepEqual(decide({ ...base, now: day, recipient: r({ optedOut: true }) }), { action: 'suppress', reason: 'opted_out' });
    assert.deepEqual(decide({ ...base, now: day, recipient: null }), { action: 'suppress', reason: 'customer_unknown' });
    assert.deepEqual(decide({ ...base, now: night, recipient: r() }), { action: 'defer', until: Date.parse('2026-11-25T00:00:00Z'), reason: 'quiet_hours' });
    assert.deepEqual(decide({ ...base, channel: 'mqtt', now: night, recipient: r() }), { action: 'send' });
    assert.deepEqual(decide({ ...base, now: day, recipient: r({ quietHours: null }) }), { action: 'send' });
    const sent = [day - 20 * HOUR, day - 10 * HOUR, day - HOUR];
    assert.deepEqual(decide({ ...base, now: day, recipient: r(), recentProactive: sent.slice(1) }), { action: 'send' });
    assert.deepEqual(decide({ ...base, now: day, recipient: r(), recentProactive: sent }), { action: 'defer', until: day + 4 * HOUR, reason: 'rate_limit' });
    assert.deepEqual(decide({ ...base, kind: 'reminder', now: day, recipient: r(), recentProactive: sent }), { action: 'send' }, 'reminders are not rate limited');
    assert.deepEqual(decide({ ...base, now: day, recipient: r(), recentProactive: [day - 30 * HOUR, ...sent.slice(1)] }), { action: 'send' }, 'older than the window');
    assert.deepEqual(decide({ ...base, now: day, recipient: r(), recentProactive: sent }, { maxProactivePerWindow: 5 }), { action: 'send' });
  });
});

describe('recipient from a customers row', () => {
  test('quiet hours, channel and language map over; an unknown channel falls back to e-mail', () => {
    const row = {
      id: 'c-1', tenant: 'acme', name: '陈女士', contact_email: 'chen@example.com', phone: '+86 10 8888 6666', preferred_channel: 'webhook',
      webhook_url: 'https://hooks.example.com/x', language: 'zh-CN', plain_language: true, quiet_start: '21:00', quiet_end: '08:00',
      timezone: 'Asia/Shanghai', availability: [], needs_human: false, opted_out: false, updated_at: new Date(0),
    };
    const r = recipientFromCustomer(row);
    assert.deepEqual(
      { ch: r.preferredChannel, q: r.quietHours, lang: r.language, plain: r.plainLanguage, email: r.email, id: r.customerId },
      { ch: 'webhook', q: { start: '21:00', end: '08:00' }, lang: 'zh-CN', plain: true, email: 'chen@example.com', id: 'c-1' },
    );
    assert.equal(recipientFromCustomer({ ...row, preferred_channel: 'sms', quiet_start: null }).preferredChannel, 'email');
    assert.equal(recipientFromCustomer({ ...row, quiet_start: null }).quietHours, null);
  });
});
