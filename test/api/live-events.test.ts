import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type ApiFixture, apiFixture, type UserName } from './api-fixture.ts';

interface SseEvent {
  id: string;
  event: string;
  data: { type: string; tenant: string; customerId?: string | null; data: Record<string, unknown> };
}

/** A real HTTP client on the event stream: parses `id/event/data` blocks as they arrive. */
function openStream(url: string, token: string): Promise<{ status: number; contentType: string; events: SseEvent[]; ended: Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      const events: SseEvent[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => l && !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
          );
          if (fields.data) events.push({ id: fields.id!, event: fields.event!, data: JSON.parse(fields.data) });
        }
      });
      const ended = new Promise<void>((r) => res.once('close', () => r()));
      res.on('error', () => {});
      resolve({ status: res.statusCode!, contentType: String(res.headers['content-type']), events, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('live events (server-sent events)', () => {
  let f: ApiFixture;
  let base: string;
  before(async () => {
    f = await apiFixture();
    base = await f.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => f.close());

  test("each caller receives only its tenant's (a customer: only its own customer's) events", async () => {
    const who: UserName[] = ['admin', 'eng-acme', 'eng-globex', 'cust-acme-1', 'cust-acme-2', 'cust-globex-1'];
    const streams = Object.fromEntries(await Promise.all(who.map(async (w) => [w, await openStream(`${base}/api/v1/events`, f.tokens[w])] as const)));
    for (const s of Object.values(streams)) {
      assert.equal(s.status, 200);
      assert.match(s.contentType, /^text\/event-stream/);
    }
    await waitUntil(() => f.events.subscriberCount === who.length);

    f.events.publish({ type: 'episode.opened', tenant: 'acme', data: { device: 'pump-1' } });
    f.events.publish({ type: 'visit.scheduled', tenant: 'acme', customerId: 'c1', data: { visit: 'v1' } });
    f.events.publish({ type: 'ticket.created', tenant: 'globex', customerId: 'c1', data: { ticket: 't9' } });
    f.events.publish({ type: 'visit.scheduled', tenant: 'acme', customerId: 'c2', data: { visit: 'v2' } });

    await waitUntil(() => streams.admin!.events.length === 4);
    await new Promise((r) => setTimeout(r, 200)); // time for any stray delivery to arrive
    const seen = (w: UserName) => streams[w]!.events.map((e) => `${e.event}:${e.data.tenant}:${String(e.data.data.device ?? e.data.data.visit ?? e.data.data.ticket)}`);
    assert.deepEqual(seen('admin'), ['episode.opened:acme:pump-1', 'visit.scheduled:acme:v1', 'ticket.created:globex:t9', 'visit.scheduled:acme:v2']);
    assert.deepEqual(seen('eng-acme'), ['episode.opened:acme:pump-1', 'visit.scheduled:acme:v1', 'visit.scheduled:acme:v2']);
    assert.deepEqual(seen('eng-globex'), ['ticket.created:globex:t9']);
    assert.deepEqual(seen('cust-acme-1'), ['visit.scheduled:acme:v1']);
    assert.deepEqual(seen('cust-acme-2'), ['visit.scheduled:acme:v2']);
    // Same customer id, other tenant: sees its own tenant's event only.
    assert.deepEqual(seen('cust-globex-1'), ['ticket.created:globex:t9']);
    assert.deepEqual(
      streams.admin!.events.map((e) => Number(e.id)),
      [1, 2, 3, 4],
    );

    for (const s of Object.values(streams)) s.close();
    await waitUntil(() => f.events.subscriberCount === 0);
  });

  test('without a login the stream is refused with a coded 401', async () => {
    const res = await fetch(`${base}/api/v1/events`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'PRG_UNAUTHENTICATED');
  });

  test('a client that goes away is unsubscribed', async () => {
    const s = await openStream(`${base}/api/v1/events`, f.tokens['eng-acme']);
    await waitUntil(() => f.events.subscriberCount === 1);
    s.close();
    await waitUntil(() => f.events.subscriberCount === 0);
  });

  // Last: it closes the server.
  test('closing the server ends open streams instead of waiting for them', async () => {
    const s = await openStream(`${base}/api/v1/events`, f.tokens['eng-acme']);
    await waitUntil(() => f.events.subscriberCount === 1);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([f.app.close(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('app.close() waited on the stream')), 5000)))]);
    clearTimeout(timer);
    await s.ended;
    await waitUntil(() => f.events.subscriberCount === 0);
  });
});

async function waitUntil(p: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!p()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
