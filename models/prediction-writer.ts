/**
 * Predictions in InfluxDB, measurement `predictions`, next to the telemetry they came from:
 *
 *     tags    tenant, device, equipment_type, model_version
 *     fields  status ("ok" | "insufficient_data"), insufficient_reason,
 *             horizon_hours, rul_hours, rul_lower_hours,
 *             risk_<mode>, threshold_<mode>, top_<mode> ("feature:share:contribution,…", strongest first)
 *
 * One point per (device, time): a prediction scored again for the same reading overwrites
 * itself. Written through ingest's line sink (the batching, retrying, spooling InfluxWriter in
 * the service), so predictions get the same durability as readings. The reader turns points
 * back into {@link Prediction}s (attribution values are not stored: `value` reads back null).
 */
import { Point } from '@influxdata/influxdb-client';
import type { InfluxHttp, InfluxSeries } from '../platform/influx/influx-http.ts';
import { sensorOf } from './attribution-summary.ts';
import type { Attribution, Prediction } from './prediction.ts';

export const PREDICTIONS_MEASUREMENT = 'predictions';

/** What the writer needs: ingest's `InfluxWriter` (resolves once the lines are durable). */
export interface PredictionSink {
  write(lines: readonly string[]): Promise<void>;
}

const MS = { convertTime: (t: string | number | Date | undefined) => String(t) };

/** Compact, readable in a Grafana table: `vibration_rms_mm_s__slope_24h:0.38:1.27,…`. */
export function formatAttributions(list: readonly Attribution[]): string {
  return list.map((a) => `${a.feature}:${round(a.share)}:${round(a.contribution)}`).join(',');
}

export function parseAttributions(text: string): Attribution[] {
  if (!text) return [];
  return text.split(',').map((part) => {
    const [feature = '', share = 'NaN', contribution = 'NaN'] = part.split(':');
    return { sensor: sensorOf(feature), feature, share: Math.min(1, Math.max(0, Number(share))), contribution: Number(contribution), value: null };
  });
}

function round(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

export function predictionToLine(p: Prediction): string {
  const point = new Point(PREDICTIONS_MEASUREMENT)
    .tag('tenant', p.tenant)
    .tag('device', p.device)
    .tag('equipment_type', p.equipmentType)
    .tag('model_version', p.modelVersion)
    .stringField('status', p.status)
    .timestamp(p.at);
  if (p.insufficientReason !== undefined) point.stringField('insufficient_reason', p.insufficientReason);
  if (p.rulHours !== null) point.floatField('rul_hours', p.rulHours);
  if (p.rulLowerHours !== null) point.floatField('rul_lower_hours', p.rulLowerHours);
  if (p.risks.length > 0) point.floatField('horizon_hours', p.risks[0]!.horizonHours);
  for (const r of p.risks) {
    point.floatField(`risk_${r.mode}`, r.risk).floatField(`threshold_${r.mode}`, r.threshold);
    if (r.attributions.length > 0) point.stringField(`top_${r.mode}`, formatAttributions(r.attributions));
  }
  return point.toLineProtocol(MS)!;
}

export class PredictionWriter {
  private written = 0;

  constructor(private readonly sink: PredictionSink) {}

  /** Points written so far. */
  get count(): number {
    return this.written;
  }

  async write(predictions: readonly Prediction[]): Promise<void> {
    if (predictions.length === 0) return;
    await this.sink.write(predictions.map(predictionToLine));
    this.written += predictions.length;
  }
}

/** Ids are `[A-Za-z0-9._-]` (the topic parser's rule), so they are safe inside quotes; anything else is refused. */
const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

function where(tenant: string, device: string): string {
  if (!SAFE_ID.test(tenant) || !SAFE_ID.test(device)) throw new RangeError('tenant and device must match [A-Za-z0-9._-]{1,64}');
  return `"tenant" = '${tenant}' AND "device" = '${device}'`;
}

/** The device's newest prediction, or null when it has none. */
export async function latestPrediction(influx: InfluxHttp, tenant: string, device: string): Promise<Prediction | null> {
  const series = await influx.query(`SELECT * FROM "${PREDICTIONS_MEASUREMENT}" WHERE ${where(tenant, device)} ORDER BY time DESC LIMIT 1`);
  return rowsOf(series)[0] ?? null;
}

/** The device's predictions in [from, to), oldest first, at most `limit` (default 1000, the newest kept). */
export async function predictionHistory(influx: InfluxHttp, tenant: string, device: string, w: { from: number; to: number; limit?: number }): Promise<Prediction[]> {
  const limit = Math.max(1, Math.min(10_000, Math.floor(w.limit ?? 1000)));
  const series = await influx.query(
    `SELECT * FROM "${PREDICTIONS_MEASUREMENT}" WHERE ${where(tenant, device)} AND time >= ${Math.floor(w.from)}ms AND time < ${Math.ceil(w.to)}ms ORDER BY time DESC LIMIT ${limit}`,
  );
  return rowsOf(series).reverse();
}

export interface RiskHistory {
  readonly bucketMs: number;
  readonly times: number[];
  /** Per mode, the highest risk in each bucket; null where there was no ok prediction. */
  readonly risk: Record<string, (number | null)[]>;
  /** The lowest RUL lower bound in each bucket. */
  readonly rulLowerHours: (number | null)[];
}

/** Risk per mode over [from, to), downsampled in the database to about `points` buckets (default 300). */
export async function riskHistory(influx: InfluxHttp, tenant: string, device: string, w: { from: number; to: number; points?: number }): Promise<RiskHistory> {
  const bucketMs = Math.max(1000, Math.ceil((Math.max(1, w.to - w.from) / (w.points ?? 300)) / 1000) * 1000);
  const [series] = await influx.query(
    `SELECT max(/^risk_/), min("rul_lower_hours") AS "rul_lower_hours" FROM "${PREDICTIONS_MEASUREMENT}" WHERE ${where(tenant, device)} ` +
      `AND time >= ${Math.floor(w.from)}ms AND time < ${Math.ceil(w.to)}ms GROUP BY time(${bucketMs}ms) fill(null)`,
  );
  const out: RiskHistory = { bucketMs, times: [], risk: {}, rulLowerHours: [] };
  if (!series) return out;
  const cols = series.columns;
  for (const c of cols) if (c.startsWith('max_risk_')) out.risk[c.slice('max_risk_'.length)] = [];
  for (const row of series.values) {
    out.times.push(Number(row[0]));
    cols.forEach((c, i) => {
      const v = row[i] === null || row[i] === undefined ? null : Number(row[i]);
      if (c.startsWith('max_risk_')) out.risk[c.slice('max_risk_'.length)]!.push(v);
      else if (c === 'rul_lower_hours') out.rulLowerHours.push(v);
    });
  }
  return out;
}

function rowsOf(series: InfluxSeries[]): Prediction[] {
  const out: Prediction[] = [];
  for (const s of series) {
    for (const row of s.values) {
      const r: Record<string, unknown> = {};
      s.columns.forEach((c, i) => (r[c] = row[i]));
      out.push(toPrediction(r));
    }
  }
  return out;
}

function toPrediction(r: Record<string, unknown>): Prediction {
  const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);
  const status = r.status === 'ok' ? 'ok' : 'insufficient_data';
  const horizonHours = num('horizon_hours') ?? 1;
  const risks = Object.keys(r)
    .filter((k) => k.startsWith('risk_') && typeof r[k] === 'number')
    .sort()
    .map((k) => {
      const mode = k.slice('risk_'.length);
      return { mode, risk: r[k] as number, horizonHours, threshold: num(`threshold_${mode}`) ?? 0.5, attributions: parseAttributions(typeof r[`top_${mode}`] === 'string' ? (r[`top_${mode}`] as string) : '') };
    });
  return {
    tenant: String(r.tenant),
    device: String(r.device),
    equipmentType: String(r.equipment_type),
    at: Number(r.time),
    modelVersion: String(r.model_version),
    status,
    ...(typeof r.insufficient_reason === 'string' ? { insufficientReason: r.insufficient_reason } : {}),
    risks,
    rulHours: num('rul_hours'),
    rulLowerHours: num('rul_lower_hours'),
  };
}
