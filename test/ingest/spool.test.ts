import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { Spool, scanFrames } from '../../ingest/spool.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prognos-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function drain(spool: Spool): Promise<string[]> {
  const out: string[] = [];
  for (let seg = await spool.oldest(); seg; seg = await spool.oldest()) {
    out.push(...seg.frames);
    spool.remove(seg.id);
  }
  return out;
}

test('batches come back in append order, across segments and a reopen', async () => {
  const spool = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 200 });
  spool.open();
  const batches = Array.from({ length: 20 }, (_, i) => `telemetry,device=d,tenant=t a=${i} ${1000 + i}\nline two of ${i}`);
  for (const b of batches) await spool.append(b);
  assert.ok(readdirSync(dir).length > 2, 'small segments rotate');
  await spool.close();

  const reopened = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 200 });
  reopened.open();
  assert.equal(reopened.isEmpty, false);
  assert.deepEqual(await drain(reopened), batches);
  assert.equal(reopened.isEmpty, true);
  assert.equal(reopened.bytes, 0);
  assert.deepEqual(readdirSync(dir), []);
});

test('a torn tail from a crash mid-write is cut off; complete batches survive', async () => {
  const spool = new Spool({ dir, maxBytes: 1 << 20 });
  spool.open();
  await spool.append('first');
  await spool.append('second');
  await spool.close();
  const [file] = readdirSync(dir);
  appendFileSync(join(dir, file!), '120 deadbeef\npartial batch that never fini');

  const reopened = new Spool({ dir, maxBytes: 1 << 20 });
  reopened.open();
  assert.equal(reopened.tornFrames, 1);
  assert.deepEqual(await drain(reopened), ['first', 'second']);
});

test('a frame with a bad checksum ends the readable part', () => {
  const good = Buffer.from('5 ' + '3610a686' + '\nhello\n');
  const { frames, torn } = scanFrames(Buffer.concat([good, Buffer.from('5 00000000\nworld\n')]));
  assert.deepEqual(frames, ['hello']);
  assert.equal(torn, true);
});

test('a full spool makes appends wait until replay frees space (back-pressure, no drop)', async () => {
  // Each frame is 90 bytes of payload plus a header of about 13: three fit in 320, a fourth does not.
  const spool = new Spool({ dir, maxBytes: 320, segmentBytes: 100 });
  spool.open();
  const payload = 'x'.repeat(90);
  await spool.append(payload);
  await spool.append(payload);
  await spool.append(payload);
  let fourthDone = false;
  const fourth = spool.append(payload).then(() => {
    fourthDone = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fourthDone, false, 'the append waits while the spool is full');
  assert.equal(spool.isFull, true);

  const oldest = await spool.oldest();
  assert.ok(oldest);
  spool.remove(oldest.id);
  await fourth;
  assert.equal(fourthDone, true);
  assert.deepEqual(await drain(spool), [payload, payload, payload]);
});
