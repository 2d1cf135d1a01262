import { z } from 'zod';

/**
 * The device payload, one reading or a JSON array of readings:
 *
 *   {"ts": 1732406400000 | "2026-11-24T10:00:00Z", "seq": 42, "metrics": {"vibration_rms": 2.31, ...}}
 *
 * Unknown top-level keys are ignored. Metric names become InfluxDB field keys, so they are held
 * to a safe set and may not shadow the tags or the time column.
 */
export const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const RESERVED_METRIC_NAMES: ReadonlySet<string> = new Set(['time', 'tenant', 'device']);
export const MAX_METRICS_PER_READING = 200;

const MetricName = z
  .string()
  .regex(METRIC_NAME)
  .refine((n) => !RESERVED_METRIC_NAMES.has(n));

export const ReadingSchema = z.object({
  ts: z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })]),
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  metrics: z
    .record(MetricName, z.number())
    .refine((m) => {
      const n = Object.keys(m).length;
      return n > 0 && n <= MAX_METRICS_PER_READING;
    }),
});

/** A reading after validation: time in epoch milliseconds. */
export interface Reading {
  readonly ts: number;
  readonly seq: number | undefined;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Why a payload or reading was rejected: stable strings, counted and stored per reason. */
export const REJECT_REASONS = [
  'bad_topic',
  'payload_too_large',
  'malformed_json',
  'too_many_readings',
  'not_an_object',
  'missing_field',
  'wrong_type',
  'non_finite_number',
  'bad_metric_name',
  'bad_metric_count',
  'bad_timestamp',
  'timestamp_in_future',
  'timestamp_too_old',
  'influx_rejected',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  readonly reason: RejectReason;
  /** Human-readable detail, with the issue paths. */
  readonly detail: string;
}

const NON_FINITE_TEXT = /^[+-]?(nan|inf|infinity)$/i;

function at(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Maps the first zod issue to a stable reason. */
function reasonFor(raw: unknown, issue: z.core.$ZodIssue): RejectReason {
  const path = issue.path;
  const top = path[0];
  if (path.length === 0) return 'not_an_object';
  if (top === 'metrics') {
    if (path.length === 1) {
      if (issue.code === 'custom') return 'bad_metric_count';
      return at(raw, path) === undefined ? 'missing_field' : 'wrong_type';
    }
    if (issue.code === 'invalid_key') return 'bad_metric_name';
    const value = at(raw, path);
    if ((typeof value === 'number' && !Number.isFinite(value)) || (typeof value === 'string' && NON_FINITE_TEXT.test(value.trim()))) {
      return 'non_finite_number';
    }
    return 'wrong_type';
  }
  if (at(raw, path) === undefined) return 'missing_field';
  if (top === 'ts') return 'bad_timestamp';
  return 'wrong_type';
}

export interface TimeWindow {
  readonly now: number;
  readonly maxFutureMs: number;
  readonly maxPastMs: number;
}

/** Metric names already found good: a fleet repeats a few names in every reading. */
const goodMetricNames = new Set<string>();
function isGoodMetricName(name: string): boolean {
  if (goodMetricNames.has(name)) return true;
  if (!METRIC_NAME.test(name) || RESERVED_METRIC_NAMES.has(name)) return false;
  if (goodMetricNames.size >= 10_000) goodMetricNames.clear();
  goodMetricNames.add(name);
  return true;
}

/**
 * The common case checked by hand: an epoch-ms reading whose every field is as the schema
 * wants. Returns null for anything else, which then goes through the zod schema for the verdict
 * and the reason. It never accepts what the schema rejects (a property test holds it to that);
 * it exists because zod per reading was a fifth of ingest's CPU.
 */
export function quickReading(raw: unknown): { ts: number; seq: number | undefined; metrics: Record<string, number> } | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as { ts?: unknown; seq?: unknown; metrics?: unknown };
  const { ts, seq, metrics } = r;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return null;
  if (seq !== undefined && (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)) return null;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return null;
  let n = 0;
  for (const name in metrics) {
    const v = (metrics as Record<string, unknown>)[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !isGoodMetricName(name)) return null;
    n++;
  }
  if (n === 0 || n > MAX_METRICS_PER_READING || Object.getPrototypeOf(metrics) !== Object.prototype) return null;
  return { ts, seq, metrics: metrics as Record<string, number> };
}

/** Validates one decoded reading. Never throws. */
export function validateReading(raw: unknown, window: TimeWindow): { ok: true; reading: Reading } | { ok: false; rejection: Rejection } {
  let checked: { ts: number | string; seq: number | undefined; metrics: Record<string, number> } | null = quickReading(raw);
  if (!checked) {
    const parsed = ReadingSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? issue.path.map(String).join('.') : '(root)';
      return { ok: false, rejection: { reason: reasonFor(raw, issue), detail: `${where}: ${issue.message}` } };
    }
    checked = { ts: parsed.data.ts, seq: parsed.data.seq, metrics: parsed.data.metrics };
  }
  const { ts, seq, metrics } = checked;
  const ms = typeof ts === 'number' ? ts : Date.parse(ts);
  if (!Number.isFinite(ms)) return { ok: false, rejection: { reason: 'bad_timestamp', detail: `ts: cannot be read as a time` } };
  if (ms > window.now + window.maxFutureMs) {
    return { ok: false, rejection: { reason: 'timestamp_in_future', detail: `ts: ${new Date(ms).toISOString()} is more than ${window.maxFutureMs} ms ahead` } };
  }
  if (ms < window.now - window.maxPastMs) {
    return { ok: false, rejection: { reason: 'timestamp_too_old', detail: `ts: ${new Date(ms).toISOString()} is more than ${window.maxPastMs} ms old` } };
  }
  // An epoch-ms reading is already in its final form: no second object per reading.
  return { ok: true, reading: typeof ts === 'number' ? (checked as Reading) : { ts: ms, seq, metrics } };
}
