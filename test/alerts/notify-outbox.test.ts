import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { NotificationOutbox, type NewNotification } from '../../alerts/notify/outbox.ts';
import { OutboxDispatcher } from '../../alerts/notify/outbox-dispatcher.ts';
import type { Recipient } from '../../alerts/notify/recipient.ts';
import { WebhookChannel } from '../../alerts/notify/webhook-channel.ts';
import { verifyWebhook } from '../../alerts/notify/webhook-signature.ts';
import { ManualClock } from '../../platform/clock.ts';
import type { Config } from '../../platform/config.ts';
import { createLogger } from '../../platform/logger.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { sqlEngines as engines } from '../support/sql-engines.ts';

/** The outbox contract on both engines: PGlite (embedded default) and PostgreSQL (fresh database per run). */
const logger = createLogger({ log: { level: 'silent' } });
const SECRET = 'outbox-test-webhook-secret';
const HOUR = 3600_000;

interface Engine {
  name: string;
  open(): Promise<{ config: Config['sql']; cleanup(): Promise<void> }>;
}


/** A customer's webhook endpoint: verifies every signature, records what arrived, answers as told. */
class Receiver {
  server: Server | null = null;
  url = '';
  clock = new ManualClock(0);
  received: { id: string; kind: string; customerId: string }[] = [];
  /** Statuses to answer with, one per request, then 204. */
  script: number[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const ok = verifyWebhook(SECRET, req.headers['x-prognos-signature'] as string, body, this.clock.now()).ok;
        const status = ok ? (this.script.shift() ?? 204) : 401;
        if (status < 300) {
          const b = JSON.parse(body.toString());
          this.received.push({ id: b.id, kind: b.kind, customerId: b.customerId });
        }
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hook`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

for (const engine of engines) {
  describe(`notification outbox on ${engine.name}`, () => {
    let db: Db;
    let db2: Db | null = null;
    let cleanup: () => Promise<void>;
    const receiver = new Receiver();
    const recipients = new Map<string, Recipient>();

    before(async () => {
      const opened = await engine.open();
      cleanup = opened.cleanup;
      db = await openDatabase(opened.config);
      // PostgreSQL: a second pool, so two dispatchers really race on separate connections.
      if (opened.config.kind === 'postgres') db2 = await openDatabase(opened.config);
      await receiver.start();
    });
    after(async () => {
      await receiver.stop();
      await db2?.destroy();
      await db.destroy();
      await cleanup();
    });

    function customer(tenant: string, over: Partial<Recipient> = {}): Recipient {
      const r: Recipient = {
        tenant, customerId: `c-${randomUUID().slice(0, 8)}`, email: null, phone: null, preferredChannel: 'webhook', webhookUrl: receiver.url,
        language: 'en', plainLanguage: false, quietHours: null, timezone: 'UTC', optedOut: false, ...over,
      };
      recipients.set(`${r.tenant}/${r.customerId}`, r);
      return r;
    }

    function note(r: Recipient, key: string, over: Partial<NewNotification> = {}): NewNotification {
      return { tenant: r.tenant, customerId: r.customerId, ticketId: 'tk-1', channel: 'webhook', kind: 'proactive', dedupeKey: key, payload: { text: key }, ...over };
    }

    function dispatcher(clock: ManualClock, database: Db = db, workerId?: string) {
      return new OutboxDispatcher({
        outbox: new NotificationOutbox(database, clock),
        channels: { webhook: new WebhookChannel({ secret: SECRET, clock }) },
        recipients: async (t, c) => recipients.get(`${t}/${c}`) ?? null,
        clock,
        logger,
        workerId,
        leaseMs: 60_000,
        backoff: { baseMs: 30_000, maxMs: HOUR },
        maxAttempts: 3,
      });
    }

    test('enqueue is idempotent by dedupe key, also when ten workers race', async () => {
      const clock = new ManualClock(Date.parse('2026-11-24T04:00:00Z'));
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const r = customer(tenant);
      const outbox = new NotificationOutbox(db, clock);
      const results = await Promise.all(Array.from({ length: 10 }, () => outbox.enqueue(note(r, `${tenant}:same`))));
      assert.equal(new Set(results.map((x) => x.id)).size, 1);
      assert.equal(results.filter((x) => x.created).length, 1);
      const again = await outbox.enqueue(note(r, `${tenant}:same`, { payload: { text: 'changed' } }));
      assert.equal(again.created, false);
      const rows = await outbox.list({ tenant });
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0]!.payload, { text: `${tenant}:same` }, 'the first enqueue wins');
      assert.equal(rows[0]!.status, 'pending');
    });

    test('two dispatchers never claim the same row', async () => {
      const clock = new ManualClock(Date.parse('2026-11-24T04:00:00Z'));
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const r = customer(tenant);
      const a = new NotificationOutbox(db, clock);
      const b = new NotificationOutbox(db2 ?? db, clock);
      for (let i = 0; i < 60; i++) await a.enqueue(note(r, `${tenant}:${i}`, { kind: 'reminder' }));
      const claimed = new Map<string, string>();
      const run = async (o: NotificationOutbox, w: string) => {
        for (;;) {
          const rows = await o.claimDue({ workerId: w, limit: 7, leaseMs: 60_000 });
          if (rows.length === 0) return;
          for (const row of rows) {
            assert.ok(!claimed.has(row.id), `row ${row.id} claimed by ${claimed.get(row.id)} and ${w}`);
            claimed.set(row.id, w);
          }
        }
      };
      await Promise.all([run(a, 'A'), run(b, 'B')]);
      const mine = (await a.list({ tenant })).map((x) => x.id);
      assert.equal(mine.length, 60);
      assert.deepEqual([...claimed.keys()].filter((id) => mine.includes(id)).sort(), [...mine].sort());
      assert.ok(new Set(claimed.values()).size === 2 || engine.name === 'PGlite', 'on PostgreSQL both dispatchers got work');
      // Leave nothing behind for the next test's dispatchers.
      for (const [id, w] of claimed) assert.equal(await a.markFailed(id, w, 'test cleanup'), true);
    });

    test('dispatch sends once and marks sent; two dispatchers racing deliver every message exactly once', async () => {
      const clock = new ManualClock(Date.parse('2026-11-24T04:00:00Z'));
      receiver.clock = clock;
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const outbox = new NotificationOutbox(db, clock);
      const keys: string[] = [];
      for (let i = 0; i < 24; i++) {
        const r = customer(tenant);
        keys.push(`${tenant}:${i}`);
        await outbox.enqueue(note(r, `${tenant}:${i}`));
      }
      const d1 = dispatcher(clock, db, 'd1');
      const d2 = dispatcher(clock, db2 ?? db, 'd2');
      const counts = await Promise.all([d1.runOnce(), d2.runOnce(), d1.runOnce(), d2.runOnce()]);
      assert.equal(counts.reduce((s, c) => s + c.sent, 0), 24);
      const got = receiver.received.filter((x) => x.id.startsWith(`${tenant}:`)).map((x) => x.id);
      assert.deepEqual([...got].sort(), [...keys].sort(), 'each message arrived exactly once');
      const rows = await outbox.list({ tenant });
      assert.ok(rows.every((x) => x.status === 'sent' && x.sentAt === clock.now() && x.attempts === 1));
      assert.equal((await d1.runOnce()).sent, 0, 'nothing left to send');
    });

    test('a transient failure retries with backoff; a permanent one fails with the error stored', async () => {
      const clock = new ManualClock(Date.parse('2026-11-24T04:00:00Z'));
      receiver.clock = clock;
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const r = customer(tenant);
      const outbox = new NotificationOutbox(db, clock);
      const { id } = await outbox.enqueue(note(r, `${tenant}:retry`));
      const d = dispatcher(clock);
      receiver.script = [503, 502];
      assert.equal((await d.runOnce()).retried, 1);
      let row = (await outbox.get(id))!;
      assert.equal(row.status, 'pending');
      assert.equal(row.attempts, 1);
      assert.equal(row.nextAttemptAt, clock.now() + 30_000);
      assert.match(row.error!, /503/);
      clock.advance(29_999);
      assert.equal((await d.runOnce()).retried, 0, 'not due yet');
      clock.advance(1);
      assert.equal((await d.runOnce()).retried, 1);
      row = (await outbox.get(id))!;
      assert.equal(row.nextAttemptAt, clock.now() + 60_000, 'the delay doubles');
      clock.advance(60_000);
      assert.equal((await d.runOnce()).sent, 1);
      assert.equal((await outbox.get(id))!.status, 'sent');

      const bad = await outbox.enqueue(note(r, `${tenant}:bad`, { kind: 'reminder' }));
      receiver.script = [400];
      assert.equal((await d.runOnce()).failed, 1);
      row = (await outbox.get(bad.id))!;
      assert.equal(row.status, 'failed');
      assert.match(row.error!, /400/);

      const gone = await outbox.enqueue(note(r, `${tenant}:gone`, { kind: 'reminder' }));
      receiver.script = [503, 503, 503];
      await d.runOnce();
      clock.advance(30_000);
      await d.runOnce();
      clock.advance(60_000);
      await d.runOnce();
      row = (await outbox.get(gone.id))!;
      assert.equal(row.status, 'failed', 'transient failures give up after maxAttempts');
      assert.equal(row.attempts, 3);
    });

    test('a crashed dispatcher: its rows come back after the lease, and its late outcome is refused', async () => {
      const clock = new ManualClock(Date.parse('2026-11-24T04:00:00Z'));
      receiver.clock = clock;
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const r = customer(tenant);
      const outbox = new NotificationOutbox(db, clock);
      const { id } = await outbox.enqueue(note(r, `${tenant}:crash`));
      const [claimed] = await outbox.claimDue({ workerId: 'crashed', limit: 10, leaseMs: 60_000 });
      assert.equal(claimed?.id, id);
      const d = dispatcher(clock);
      assert.equal((await d.runOnce()).sent, 0, 'held by the crashed worker');
      clock.advance(60_001);
      assert.equal((await d.runOnce()).sent, 1);
      assert.equal(await outbox.markSent(id, 'crashed'), false, 'the crashed worker no longer owns the row');
      const row = (await outbox.get(id))!;
      assert.equal(row.status, 'sent');
      assert.equal(row.attempts, 2);
      assert.equal(receiver.received.filter((x) => x.id === `${tenant}:crash`).length, 1);
    });

    test('quiet hours defer to their end, the rate limit defers the fourth proactive message, opt-out suppresses with the reason', async () => {
      // 23:30 in Shanghai.
      const clock = new ManualClock(Date.parse('2026-11-24T15:30:00Z'));
      receiver.clock = clock;
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const sleepy = customer(tenant, { quietHours: { start: '21:00', end: '08:00' }, timezone: 'Asia/Shanghai' });
      const busy = customer(tenant);
      const gone = customer(tenant, { optedOut: true });
      const outbox = new NotificationOutbox(db, clock);
      const night = await outbox.enqueue(note(sleepy, `${tenant}:night`));
      const p = [];
      for (let i = 0; i < 4; i++) p.push(await outbox.enqueue(note(busy, `${tenant}:p${i}`)));
      const stop = await outbox.enqueue(note(gone, `${tenant}:stop`));
      const d = dispatcher(clock);
      const c = await d.runOnce();
      assert.deepEqual({ sent: c.sent, deferred: c.deferred, suppressed: c.suppressed }, { sent: 3, deferred: 2, suppressed: 1 });

      let row = (await outbox.get(night.id))!;
      assert.equal(row.status, 'pending');
      assert.equal(row.reason, 'quiet_hours');
      assert.equal(row.nextAttemptAt, Date.parse('2026-11-25T00:00:00Z'), '08:00 in Shanghai');
      assert.equal(row.attempts, 0, 'a deferral is not an attempt');
      row = (await outbox.get(p[3]!.id))!;
      assert.equal(row.status, 'pending');
      assert.equal(row.reason, 'rate_limit');
      assert.equal(row.nextAttemptAt, clock.now() + 24 * HOUR);
      row = (await outbox.get(stop.id))!;
      assert.equal(row.status, 'suppressed');
      assert.equal(row.reason, 'opted_out');
      assert.equal(receiver.received.filter((x) => x.customerId === gone.customerId).length, 0);

      clock.advance(8.5 * HOUR);
      assert.equal((await d.runOnce()).sent, 1, 'the night message goes out at 08:00');
      assert.equal((await outbox.get(night.id))!.status, 'sent');
      clock.advance(16 * HOUR);
      assert.equal((await d.runOnce()).sent, 1, 'the fourth goes out when the 24 h window frees up');
      assert.equal(receiver.received.filter((x) => x.customerId === busy.customerId).length, 4, 'deferred, never dropped');
    });

    test('start/stop polls on the clock and stops cleanly', async () => {
      const clock = new ManualClock(Date.parse('2026-11-24T04:00:00Z'));
      receiver.clock = clock;
      const tenant = `t-${randomUUID().slice(0, 8)}`;
      const r = customer(tenant);
      const outbox = new NotificationOutbox(db, clock);
      const d = dispatcher(clock);
      d.start();
      await outbox.enqueue(note(r, `${tenant}:polled`, { kind: 'confirmation' }));
      for (let i = 0; i < 50 && receiver.received.every((x) => x.id !== `${tenant}:polled`); i++) {
        await new Promise((res) => setTimeout(res, 20));
        clock.advance(1000);
      }
      await d.stop();
      assert.ok(receiver.received.some((x) => x.id === `${tenant}:polled`));
    });
  });
}
