import type { Config } from '../config.ts';
import { PrognosError } from '../errors.ts';

/**
 * InfluxDB over the v1-compatible HTTP API (`/write`, `/query`, `/ping`), which InfluxDB 1.x,
 * 2.x (with a DBRP mapping) and 3.x all serve. The client library's WriteApi targets
 * `/api/v2/write`, which 1.6 lacks, so we send its line protocol ourselves.
 */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export class InfluxHttp {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly cfg: Config['influx'],
    private readonly timeoutMs = 10_000,
  ) {
    this.headers = cfg.token ? { Authorization: `Token ${cfg.token}` } : {};
  }

  private endpoint(path: string, params: Record<string, string>): string {
    const u = new URL(path, this.cfg.url.endsWith('/') ? this.cfg.url : `${this.cfg.url}/`);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  }

  /**
   * Writes line protocol with millisecond timestamps. Throws PRG_INFLUX_UNAVAILABLE for
   * faults worth retrying (network, timeout, 5xx, 429, missing database) and
   * PRG_INFLUX_REJECTED for a body the server refuses (400).
   */
  async write(lines: string | Uint8Array): Promise<void> {
    const params: Record<string, string> = { db: this.cfg.database, precision: 'ms' };
    if (this.cfg.retentionPolicy) params.rp = this.cfg.retentionPolicy;
    let res: Response;
    try {
      res = await fetch(this.endpoint('write', params), {
        method: 'POST',
        headers: { ...this.headers, 'Content-Type': 'text/plain; charset=utf-8' },
        // Buffers are views of plain ArrayBuffers; the DOM typing wants that said.
        body: typeof lines === 'string' ? lines : new Uint8Array(lines.buffer as ArrayBuffer, lines.byteOffset, lines.byteLength),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new PrognosError('PRG_INFLUX_UNAVAILABLE', describe(err), { cause: err });
    }
    if (res.status === 204 || res.status === 200) {
      await res.body?.cancel();
      return;
    }
    const text = (await res.text().catch(() => '')).slice(0, 500);
    if (res.status === 400) throw new PrognosError('PRG_INFLUX_REJECTED', text);
    throw new PrognosError('PRG_INFLUX_UNAVAILABLE', `HTTP ${res.status} ${text}`);
  }

  /** Runs InfluxQL; returns the series of the first statement. Times come back as epoch ms. */
  async query(influxql: string, database = this.cfg.database): Promise<InfluxSeries[]> {
    let res: Response;
    try {
      res = await fetch(this.endpoint('query', { db: database, epoch: 'ms' }), {
        method: 'POST',
        headers: { ...this.headers, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ q: influxql }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new PrognosError('PRG_INFLUX_UNAVAILABLE', describe(err), { cause: err });
    }
    const body = (await res.json().catch(() => ({}))) as { results?: { series?: InfluxSeries[]; error?: string }[]; error?: string };
    if (!res.ok || body.error) throw new PrognosError('PRG_INFLUX_QUERY_FAILED', body.error ?? `HTTP ${res.status}`);
    const first = body.results?.[0];
    if (first?.error) throw new PrognosError('PRG_INFLUX_QUERY_FAILED', first.error);
    return first?.series ?? [];
  }

  async ping(): Promise<boolean> {
    try {
      const res = await fetch(this.endpoint('ping', {}), { headers: this.headers, signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.status === 204 || res.status === 200;
    } catch {
      return false;
    }
  }

  /** Creates the database on InfluxDB 1.x (idempotent). On 2.x/3.x the bucket/DBRP is set up by the operator. */
  async ensureDatabase(): Promise<void> {
    await this.query(`CREATE DATABASE "${this.cfg.database}"`);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}
