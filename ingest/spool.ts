import { mkdirSync, readdirSync, readFileSync, truncateSync, unlinkSync } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The on-disk spool: where batches go while InfluxDB is down, replayed oldest first when it
 * is back. Append-only segment files; each batch is one frame
 *
 *   <byteLength> <crc32 hex>\n<payload>\n
 *
 * so a torn write at a crash is found and cut off at the next open. Each append is fsync'd
 * before it resolves (callers batch, so that is one fsync per batch). The spool is bounded:
 * an append that would pass `maxBytes` waits for the replay to free space, and the waiting
 * caller stops acknowledging MQTT messages, so the broker holds the rest.
 */
export interface SpoolOptions {
  dir: string;
  /** Upper bound on the bytes held on disk. */
  maxBytes: number;
  /** A segment is sealed (made replayable) past this size. Default 8 MiB. */
  segmentBytes?: number;
}

export interface SpoolSegment {
  readonly id: number;
  /** The batches in append order. */
  readonly frames: string[];
  readonly bytes: number;
}

const SEGMENT = /^seg-(\d{12})\.spool$/;
const name = (id: number) => `seg-${String(id).padStart(12, '0')}.spool`;

export class Spool {
  private readonly segmentBytes: number;
  private sealed: { id: number; bytes: number }[] = [];
  private current: { id: number; file: FileHandle; bytes: number } | null = null;
  private nextId = 1;
  private totalBytes = 0;
  private spaceWaiters: (() => void)[] = [];
  /** Serialises use of the open segment between appends and the replayer's sealing. */
  private lock: Promise<unknown> = Promise.resolve();
  /** Frames cut from torn segment tails at open. */
  tornFrames = 0;

  constructor(private readonly opts: SpoolOptions) {
    this.segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
  }

  /** Scans the directory, repairing a torn tail, and makes every existing segment replayable. */
  open(): void {
    mkdirSync(this.opts.dir, { recursive: true });
    const ids = readdirSync(this.opts.dir)
      .map((f) => SEGMENT.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) {
      const path = join(this.opts.dir, name(id));
      const { validBytes, torn } = scanFrames(readFileSync(path));
      if (torn) {
        truncateSync(path, validBytes);
        this.tornFrames++;
      }
      if (validBytes === 0) {
        unlinkSync(path);
        continue;
      }
      this.sealed.push({ id, bytes: validBytes });
      this.totalBytes += validBytes;
    }
    this.nextId = (ids.at(-1) ?? 0) + 1;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get isEmpty(): boolean {
    return this.totalBytes === 0;
  }

  /** Appends one batch durably. Waits while the spool is full. */
  async append(payload: string | Uint8Array): Promise<void> {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const frame = Buffer.concat([Buffer.from(`${body.length} ${crc32(body).toString(16)}\n`), body, Buffer.from('\n')]);
    // A frame larger than the whole bound could never fit: let it through alone rather than wait forever.
    while (this.totalBytes > 0 && this.totalBytes + frame.length > this.opts.maxBytes) {
      await this.exclusive(() => this.sealCurrent());
      await new Promise<void>((r) => this.spaceWaiters.push(r));
    }
    await this.exclusive(async () => {
      if (!this.current) {
        const id = this.nextId++;
        this.current = { id, file: await open(join(this.opts.dir, name(id)), 'a'), bytes: 0 };
      }
      await this.current.file.write(frame);
      await this.current.file.datasync();
      this.current.bytes += frame.length;
      this.totalBytes += frame.length;
      if (this.current.bytes >= this.segmentBytes) await this.sealCurrent();
    });
  }

  /** True while appends are waiting for space. */
  get isFull(): boolean {
    return this.spaceWaiters.length > 0;
  }

  /** The oldest segment for replay, sealing the open one if nothing else is left. */
  async oldest(): Promise<SpoolSegment | null> {
    if (this.sealed.length === 0) await this.exclusive(() => this.sealCurrent());
    const seg = this.sealed[0];
    if (!seg) return null;
    const { frames } = scanFrames(await readFile(join(this.opts.dir, name(seg.id))));
    return { id: seg.id, frames, bytes: seg.bytes };
  }

  /** Deletes a replayed segment and wakes appends waiting for space. */
  remove(id: number): void {
    const i = this.sealed.findIndex((s) => s.id === id);
    if (i < 0) return;
    const [seg] = this.sealed.splice(i, 1);
    unlinkSync(join(this.opts.dir, name(id)));
    this.totalBytes -= seg!.bytes;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  /** Closes the open segment; its data stays on disk and is replayed after the next open. */
  async close(): Promise<void> {
    await this.exclusive(() => this.sealCurrent());
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async sealCurrent(): Promise<void> {
    const cur = this.current;
    if (!cur || cur.bytes === 0) return;
    this.current = null;
    this.sealed.push({ id: cur.id, bytes: cur.bytes });
    await cur.file.close();
  }
}

/** Reads frames until the end or the first frame that is incomplete or fails its checksum. */
export function scanFrames(buf: Buffer): { frames: string[]; validBytes: number; torn: boolean } {
  const frames: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const m = /^(\d+) ([0-9a-f]+)$/.exec(buf.toString('latin1', pos, nl));
    if (!m) break;
    const len = Number(m[1]);
    const start = nl + 1;
    const end = start + len;
    if (end + 1 > buf.length || buf[end] !== 10) break;
    const body = buf.subarray(start, end);
    if (crc32(body).toString(16) !== m[2]) break;
    frames.push(body.toString('utf8'));
    pos = end + 1;
  }
  return { frames, validBytes: pos, torn: pos < buf.length };
}
