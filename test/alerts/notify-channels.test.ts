import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { SMTPServer } from 'smtp-server';
import { composeProactiveMessage } from '../../alerts/messages/proactive-message.ts';
import { CustomerLinks } from '../../alerts/notify/customer-links.ts';
import { EmailChannel } from '../../alerts/notify/email-channel.ts';
import { MqttDownlinkChannel } from '../../alerts/notify/mqtt-downlink-channel.ts';
import { DeliveryError, type Delivery } from '../../alerts/notify/notification-channel.ts';
import { notificationFor } from '../../alerts/notify/proactive-notification.ts';
import type { Recipient } from '../../alerts/notify/recipient.ts';
import { WebhookChannel } from '../../alerts/notify/webhook-channel.ts';
import { SIGNATURE_HEADER, signWebhook, verifyWebhook } from '../../alerts/notify/webhook-signature.ts';
import { ManualClock, systemClock } from '../../platform/clock.ts';
import { createLogger } from '../../platform/logger.ts';
import { EmbeddedBroker } from '../../platform/mqtt/embedded-broker.ts';

const logger = createLogger({ log: { level: 'silent' } });
const LINK_SECRET = 'link-secret-for-tests-0123456789abcdef';
const WEBHOOK_SECRET = 'webhook-secret-for-tests';

function recipient(over: Partial<Recipient> = {}): Recipient {
  return {
    tenant: 'acme',
    customerId: 'c-1',
    name: '陈女士',
    email: 'chen@customer.example',
    phone: '+86 10 8888 6666',
    preferredChannel: 'email',
    webhookUrl: null,
    language: 'zh-CN',
    plainLanguage: true,
    quietHours: null,
    timezone: 'Asia/Shanghai',
    optedOut: false,
    ...over,
  };
}

function message(clock: ManualClock, language: 'en' | 'zh-CN', plain: boolean) {
  const links = new CustomerLinks({ secret: LINK_SECRET, baseUrl: 'https://svc.example.com/r', clock });
  const forMessage = links.forMessage({ tenant: 'acme', ticketId: 't-9', customerId: 'c-1' });
  const m = composeProactiveMessage(
    {
      language,
      timezone: 'Asia/Shanghai',
      deviceLabel: 'P-7',
      prediction: {
        tenant: 'acme', device: 'pump-7', equipmentType: 'centrifugal_pump', at: clock.now(), modelVersion: 'm', status: 'ok', rulHours: 90, rulLowerHours: 60,
        risks: [{ mode: 'seal_wear', risk: 0.7, horizonHours: 168, threshold: 0.5, attributions: [{ sensor: 'flow_m3h', feature: 'flow_m3h__level', contribution: 1, share: 0.6, value: 20 }] }],
      },
      slots: [{ id: 's1', startsAt: '2026-12-01T01:00:00Z', endsAt: '2026-12-01T03:00:00Z', technicianName: 'Li Wei' }],
      links: forMessage,
      supportPhone: '+86 10 8888 6666',
    },
    { plain },
  );
  return { m, optOutUrl: forMessage.optOut };
}

function delivery(n: ReturnType<typeof notificationFor>, r: Recipient): Delivery {
  return { dedupeKey: n.dedupeKey, tenant: n.tenant, customerId: n.customerId, ticketId: n.ticketId, kind: n.kind, payload: n.payload, recipient: r };
}

describe('e-mail channel against a real SMTP server on loopback', () => {
  let smtp: SMTPServer;
  let port = 0;
  const received: { from: string; to: string[]; raw: string }[] = [];
  let refuseNext: number | null = null;

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, cb) {
        if (refuseNext !== null) {
          const code = refuseNext;
          refuseNext = null;
          const err = Object.assign(new Error(code >= 500 ? 'no such user' : 'try again later'), { responseCode: code });
          return cb(err);
        }
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    port = (smtp.server.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  test('the customer language, subject, headers and both parts arrive; the Message-ID follows the dedupe key', async () => {
    const clock = new ManualClock(Date.parse('2026-11-24T08:00:00Z'));
    const email = new EmailChannel({ smtpUrl: `smtp://127.0.0.1:${port}`, from: '"prognos service" <service@prognos.example>' });
    await email.start();
    try {
      const r = recipient();
      const { m, optOutUrl } = message(clock, 'zh-CN', true);
      const n = notificationFor({ recipient: r, ticketId: 't-9', kind: 'proactive', dedupeKey: 'proactive:t-9:1', message: m, optOutUrl });
      await email.send(delivery(n, r));
      await email.send(delivery(n, r));
      assert.equal(received.length, 2);
      const [a, b] = received;
      assert.equal(a!.from, 'service@prognos.example');
      assert.deepEqual(a!.to, ['chen@customer.example']);
      assert.match(a!.raw, /^Content-Language: zh-CN$/m);
      assert.match(a!.raw, /^X-Prognos-Kind: proactive$/m);
      assert.match(a!.raw, /^X-Prognos-Ticket: t-9$/m);
      assert.match(a!.raw, /^List-Unsubscribe:\s+<https:\/\/svc\.example\.com\/r\/[\w.-]+>$/m);
      assert.match(a!.raw, /^Subject: =\?UTF-8\?/m, 'the Chinese subject is encoded');
      assert.match(a!.raw, /Content-Type: text\/plain; charset=utf-8/);
      assert.match(a!.raw, /Content-Type: text\/html; charset=utf-8/);
      const id = /^Message-ID: (<[^>]+>)$/m.exec(a!.raw)?.[1];
      assert.ok(id);
      assert.equal(/^Message-ID: (<[^>]+>)$/m.exec(b!.raw)?.[1], id, 'a re-send carries the same Message-ID');
      const text = decodeTextPart(a!.raw);
      assert.match(text, /2026年12月1日 星期二/);
      assert.match(text, /从 09:00 到 11:00。/);
      assert.match(text, /\+86 10 8888 6666/);
    } finally {
      await email.stop();
    }
  });

  test('SMTP 4xx is transient, 5xx permanent, a refused connection transient, no address permanent', async () => {
    const clock = new ManualClock(Date.parse('2026-11-24T08:00:00Z'));
    const email = new EmailChannel({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'service@prognos.example' });
    await email.start();
    const r = recipient({ language: 'en' });
    const { m } = message(clock, 'en', false);
    const n = notificationFor({ recipient: r, ticketId: 't-9', kind: 'proactive', dedupeKey: 'k-err', message: m });
    try {
      refuseNext = 451;
      await assert.rejects(email.send(delivery(n, r)), (e: unknown) => e instanceof DeliveryError && e.transient && /451/.test(e.message));
      refuseNext = 550;
      await assert.rejects(email.send(delivery(n, r)), (e: unknown) => e instanceof DeliveryError && !e.transient && /550/.test(e.message));
      await assert.rejects(email.send(delivery(n, recipient({ email: null }))), (e: unknown) => e instanceof DeliveryError && !e.transient);
    } finally {
      await email.stop();
    }
    const closed = new EmailChannel({ smtpUrl: 'smtp://127.0.0.1:1', from: 'service@prognos.example', timeoutMs: 2000 });
    await closed.start();
    await assert.rejects(closed.send(delivery(n, r)), (e: unknown) => e instanceof DeliveryError && e.transient);
    await closed.stop();
  });
});

/** The text/plain part of a MIME message, decoded (quoted-printable or base64). */
function decodeTextPart(raw: string): string {
  const m = /Content-Type: text\/plain; charset=utf-8\r?\nContent-Transfer-Encoding: (\S+)\r?\n\r?\n([\s\S]*?)\r?\n--/.exec(raw);
  assert.ok(m, 'a text/plain part');
  if (m[1] === 'base64') return Buffer.from(m[2]!.replace(/\s/g, ''), 'base64').toString('utf8');
  const bytes = m[2]!.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

describe('signed webhook against a local HTTP receiver', () => {
  let server: Server;
  let url = '';
  const got: { verified: ReturnType<typeof verifyWebhook>; body: string; delivery: string | undefined }[] = [];
  let status = 204;

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const header = req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
        const verified = verifyWebhook(WEBHOOK_SECRET, header, body, Date.now());
        got.push({ verified, body: body.toString('utf8'), delivery: req.headers['x-prognos-delivery'] as string | undefined });
        res.statusCode = verified.ok ? status : 401;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/prognos`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('the receiver verifies the signature over timestamp and body', async () => {
    const hook = new WebhookChannel({ secret: WEBHOOK_SECRET, clock: systemClock });
    const r = recipient({ preferredChannel: 'webhook', webhookUrl: url, language: 'en' });
    const { m } = message(new ManualClock(Date.now()), 'en', false);
    const n = notificationFor({ recipient: r, ticketId: 't-9', kind: 'proactive', dedupeKey: 'proactive:t-9:wh', message: m });
    await hook.send(delivery(n, r));
    const last = got.at(-1)!;
    assert.deepEqual(last.verified.ok, true);
    assert.equal(last.delivery, 'proactive:t-9:wh');
    const body = JSON.parse(last.body);
    assert.equal(body.id, 'proactive:t-9:wh');
    assert.equal(body.kind, 'proactive');
    assert.equal(body.data.language, 'en');
    assert.deepEqual(body.data.offeredSlotIds, ['s1']);
  });

  test('a wrong secret is refused by the receiver and the refusal is permanent; 503 is transient', async () => {
    const r = recipient({ preferredChannel: 'webhook', webhookUrl: url });
    const n = { dedupeKey: 'k', tenant: 'acme', customerId: 'c-1', ticketId: null, kind: 'reminder' as const, payload: { text: 'hi' }, recipient: r };
    const wrong = new WebhookChannel({ secret: 'not-the-secret', clock: systemClock });
    await assert.rejects(wrong.send(n), (e: unknown) => e instanceof DeliveryError && !e.transient && /401/.test(e.message));
    assert.equal(got.at(-1)!.verified.ok, false);
    status = 503;
    const hook = new WebhookChannel({ secret: WEBHOOK_SECRET, clock: systemClock });
    await assert.rejects(hook.send(n), (e: unknown) => e instanceof DeliveryError && e.transient);
    status = 204;
  });

  test('verify: a tampered body, a forged signature and a stale timestamp fail', () => {
    const now = Date.parse('2026-11-24T08:00:00Z');
    const body = JSON.stringify({ id: 'x', data: { slot: 's1' } });
    const header = signWebhook(WEBHOOK_SECRET, body, now);
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.deepEqual(verifyWebhook(WEBHOOK_SECRET, header, body, now), { ok: true, timestamp: Math.floor(now / 1000) });
    assert.deepEqual(verifyWebhook(WEBHOOK_SECRET, header, body.replace('s1', 's2'), now), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifyWebhook('other', header, body, now), { ok: false, reason: 'bad_signature' });
    const shifted = header.replace(/t=(\d+)/, (_s, t: string) => `t=${Number(t) + 1}`);
    assert.deepEqual(verifyWebhook(WEBHOOK_SECRET, shifted, body, now), { ok: false, reason: 'bad_signature' }, 'the timestamp is signed too');
    assert.deepEqual(verifyWebhook(WEBHOOK_SECRET, header, body, now + 301_000), { ok: false, reason: 'stale' });
    assert.deepEqual(verifyWebhook(WEBHOOK_SECRET, undefined, body, now), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyWebhook(WEBHOOK_SECRET, `${header},v1=${'0'.repeat(64)}`, body, now).ok, true, 'one good signature among several (rotation)');
  });
});

describe('MQTT downlink on the embedded broker', () => {
  test('a subscriber on prognos/<tenant>/<deviceId>/commands receives the command', async () => {
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, logger });
    await broker.start();
    const sub = await mqtt.connectAsync(broker.url, { clientId: `dev-${process.pid}` });
    const downlink = new MqttDownlinkChannel({ url: broker.url, clock: new ManualClock(Date.parse('2026-11-24T08:00:00Z')) });
    try {
      await sub.subscribeAsync('prognos/acme/pump-7/commands', { qos: 1 });
      const arrived = new Promise<{ topic: string; payload: string }>((resolve) => sub.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
      await downlink.start();
      const r = recipient({ preferredChannel: 'mqtt' });
      const { m } = message(new ManualClock(Date.parse('2026-11-24T08:00:00Z')), 'zh-CN', true);
      const n = notificationFor({ recipient: r, ticketId: 't-9', kind: 'proactive', dedupeKey: 'proactive:t-9:mq', message: m, deviceId: 'pump-7' });
      await downlink.send(delivery(n, r));
      const got = await arrived;
      assert.equal(got.topic, 'prognos/acme/pump-7/commands');
      const body = JSON.parse(got.payload);
      assert.equal(body.id, 'proactive:t-9:mq');
      assert.equal(body.type, 'service_notice');
      assert.equal(body.language, 'zh-CN');
      assert.equal(body.sentAt, '2026-11-24T08:00:00.000Z');
      assert.match(body.text, /2026年12月1日/);
      await assert.rejects(
        downlink.send(delivery({ ...n, payload: { deviceId: '../../#', command: {} } }, r)),
        (e: unknown) => e instanceof DeliveryError && !e.transient,
        'a device id that is not a safe topic level is refused',
      );
    } finally {
      await downlink.stop();
      await sub.endAsync();
      await broker.stop();
    }
  });
});

describe('signed customer links', () => {
  const clock = new ManualClock(Date.parse('2026-11-24T08:00:00Z'));
  const links = new CustomerLinks({ secret: LINK_SECRET, baseUrl: 'https://svc.example.com/r/', clock, ttlMs: 3600_000 });

  test('a link binds tenant, ticket, customer, slot and action', () => {
    const url = links.url({ tenant: 'acme', ticketId: 't-1', customerId: 'c-1', action: 'confirm', slotId: 's2' });
    assert.match(url, /^https:\/\/svc\.example\.com\/r\/[\w-]+\.[\w-]+$/);
    const v = links.verify(url.split('/').at(-1)!);
    assert.deepEqual(v, { ok: true, claims: { v: 1, tenant: 'acme', ticketId: 't-1', customerId: 'c-1', action: 'confirm', slotId: 's2', exp: clock.now() + 3600_000 } });
  });

  test('tampering, another key and expiry fail', () => {
    const token = links.token({ tenant: 'acme', ticketId: 't-1', customerId: 'c-1', action: 'confirm', slotId: 's2' });
    const [payload, sig] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, slotId: 's3' })).toString('base64url');
    assert.deepEqual(links.verify(`${forged}.${sig}`), { ok: false, reason: 'bad_signature' });
    const otherTicket = Buffer.from(JSON.stringify({ ...claims, ticketId: 't-2' })).toString('base64url');
    assert.deepEqual(links.verify(`${otherTicket}.${sig}`), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(links.verify(`${payload}.${sig.slice(0, -2)}AA`), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(links.verify('garbage'), { ok: false, reason: 'malformed' });
    const other = new CustomerLinks({ secret: 'another-secret-another-secret-0000', baseUrl: 'https://x', clock });
    assert.deepEqual(other.verify(token), { ok: false, reason: 'bad_signature' });
    const rotated = new CustomerLinks({ secret: 'another-secret-another-secret-0000', previousSecrets: [LINK_SECRET], baseUrl: 'https://x', clock });
    assert.equal(rotated.verify(token).ok, true, 'the previous key still verifies during a rotation');
    clock.advance(3600_000);
    assert.equal(links.verify(token).ok, true, 'valid up to its expiry');
    clock.advance(1);
    assert.deepEqual(links.verify(token), { ok: false, reason: 'expired' });
  });

  test('a short secret is refused', () => {
    assert.throws(() => new CustomerLinks({ secret: 'short', baseUrl: 'https://x', clock }), /32 characters/);
  });
});
