import type { InfluxHttp } from '../platform/influx/influx-http.ts';
import { TELEMETRY_MEASUREMENT } from './line-protocol.ts';
import type { DeviceRef } from './topics.ts';

/**
 * Reads a device's history back from InfluxDB for people and the assistant: downsampled series
 * for charts (with the gaps shown, not interpolated over), and a per-metric summary over a window
 * (stats, trend, gaps). One query each; the database does the downsampling.
 */

export interface TelemetryWindow {
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** About how many buckets to return. Default 300. */
  readonly points?: number;
  /** Only these metrics (default: every field the device sent). Names are checked, not quoted. */
  readonly metrics?: readonly string[];
}

export interface TelemetrySeries {
  readonly bucketMs: number;
  /** Bucket start times, epoch ms. */
  readonly times: number[];
  /** Per metric, the bucket means; null where the device sent nothing. */
  readonly values: Record<string, (number | null)[]>;
  /** Runs of empty buckets: the device was silent from `from` to `to`. */
  readonly gaps: { from: number; to: number }[];
}

export interface MetricSummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  readonly first: number;
  readonly last: number;
  /** Least-squares slope of the bucket means, per hour of clock time. */
  readonly slopePerHour: number;
}

export interface TelemetrySummary {
  readonly window: { from: number; to: number };
  readonly metrics: Record<string, MetricSummary>;
  readonly gaps: { from: number; to: number }[];
  /** Share of buckets with data, 0..1. */
  readonly coverage: number;
}

const METRIC_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function bucketFor(w: TelemetryWindow): number {
  const span = Math.max(1, w.to - w.from);
  const raw = span / (w.points ?? 300);
  // Round up to a whole second so InfluxQL's GROUP BY time() accepts it.
  return Math.max(1000, Math.ceil(raw / 1000) * 1000);
}

function selectList(metrics: readonly string[] | undefined): string {
  if (!metrics || metrics.length === 0) return 'mean(*)';
  for (const m of metrics) if (!METRIC_NAME.test(m)) throw new RangeError(`not a metric name: ${m}`);
  return metrics.map((m) => `mean("${m}") AS "mean_${m}"`).join(', ');
}

export async function telemetrySeries(influx: InfluxHttp, ref: DeviceRef, w: TelemetryWindow): Promise<TelemetrySeries> {
  const bucketMs = bucketFor(w);
  // Tenant and device ids are restricted to [A-Za-z0-9._-] by the topic parser: safe in quotes.
  const q =
    `SELECT ${selectList(w.metrics)} FROM "${TELEMETRY_MEASUREMENT}" ` +
    `WHERE "tenant" = '${ref.tenant}' AND "device" = '${ref.device}' AND time >= ${Math.floor(w.from)}ms AND time < ${Math.ceil(w.to)}ms ` +
    `GROUP BY time(${bucketMs}ms) fill(null)`;
  const [series] = await influx.query(q);
  const times: number[] = [];
  const values: Record<string, (number | null)[]> = {};
  if (!series) return { bucketMs, times, values, gaps: w.to > w.from ? [{ from: w.from, to: w.to }] : [] };
  const cols = series.columns.map((c) => (c.startsWith('mean_') ? c.slice(5) : c));
  for (let c = 1; c < cols.length; c++) values[cols[c]!] = [];
  const gaps: { from: number; to: number }[] = [];
  let gapStart: number | null = null;
  for (const row of series.values) {
    const t = Number(row[0]);
    times.push(t);
    let any = false;
    for (let c = 1; c < cols.length; c++) {
      const v = row[c];
      const num = typeof v === 'number' ? v : null;
      if (num !== null) any = true;
      values[cols[c]!]!.push(num);
    }
    if (!any && gapStart === null) gapStart = t;
    if (any && gapStart !== null) {
      gaps.push({ from: gapStart, to: t });
      gapStart = null;
    }
  }
  if (gapStart !== null) gaps.push({ from: gapStart, to: Math.min(w.to, (times.at(-1) ?? gapStart) + bucketMs) });
  return { bucketMs, times, values, gaps };
}

function slopePerHour(times: number[], ys: (number | null)[]): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || y === undefined) continue;
    const x = (times[i]! - times[0]!) / 3_600_000;
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const den = n * sxx - sx * sx;
  return n < 2 || den === 0 ? 0 : (n * sxy - sx * sy) / den;
}

/** Stats per metric over the window (from the raw readings), trend and gaps (from the buckets). */
export async function telemetrySummary(influx: InfluxHttp, ref: DeviceRef, w: TelemetryWindow): Promise<TelemetrySummary> {
  const series = await telemetrySeries(influx, ref, w);
  const where = `WHERE "tenant" = '${ref.tenant}' AND "device" = '${ref.device}' AND time >= ${Math.floor(w.from)}ms AND time < ${Math.ceil(w.to)}ms`;
  const names = Object.keys(series.values);
  const metrics: Record<string, MetricSummary> = {};
  if (names.length > 0) {
    const parts = names.flatMap((m) => [`count("${m}")`, `min("${m}")`, `max("${m}")`, `mean("${m}")`, `stddev("${m}")`, `first("${m}")`, `last("${m}")`]);
    const [stats] = await influx.query(`SELECT ${parts.join(', ')} FROM "${TELEMETRY_MEASUREMENT}" ${where}`);
    const row = stats?.values[0] ?? [];
    names.forEach((m, i) => {
      const at = (k: number) => Number(row[1 + i * 7 + k] ?? Number.NaN);
      const count = at(0);
      if (!(count > 0)) return;
      metrics[m] = {
        count,
        min: at(1),
        max: at(2),
        mean: at(3),
        stddev: Number.isFinite(at(4)) ? at(4) : 0,
        first: at(5),
        last: at(6),
        slopePerHour: slopePerHour(series.times, series.values[m]!),
      };
    });
  }
  const filled = series.times.filter((_, i) => names.some((m) => series.values[m]![i] !== null)).length;
  return { window: { from: w.from, to: w.to }, metrics, gaps: series.gaps, coverage: series.times.length ? filled / series.times.length : 0 };
}
