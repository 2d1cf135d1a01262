import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A CSV file written as a stream: rows are buffered in memory up to `bufferBytes`, then
 * written with the stream's back-pressure honoured, so a long history never sits in memory.
 * Fields are quoted per RFC 4180 when they hold a comma, a quote or a line break.
 */
export class CsvFile {
  private buffer = '';
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  /**
   * @param path file to create (replaced if it exists)
   * @param header column names
   * @param bufferBytes rows held before a write. Default 1 MiB.
   */
  constructor(
    readonly path: string,
    header: readonly string[],
    private readonly bufferBytes = 1 << 20,
  ) {
    this.stream = createWriteStream(path, { encoding: 'utf8' });
    this.stream.on('error', (err) => (this.failure = err));
    this.buffer = csvLine(header);
  }

  async row(fields: readonly (string | number)[]): Promise<void> {
    this.buffer += csvLine(fields);
    if (this.buffer.length >= this.bufferBytes) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'close');
    if (this.failure) throw this.failure;
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.buffer) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}

export function csvLine(fields: readonly (string | number)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
