import { Point, escape } from '@influxdata/influxdb-client';
import type { Reading } from './payload-schema.ts';
import type { DeviceRef } from './topics.ts';

export const TELEMETRY_MEASUREMENT = 'telemetry';

const MS = { convertTime: (t: string | number | Date | undefined) => String(t) };

/**
 * One reading as one line: measurement `telemetry`, tags `tenant` and `device`, one float field
 * per metric, the device's timestamp in ms. The same reading always gives the same point, so a
 * redelivered message overwrites itself instead of duplicating.
 *
 * The reference: an influxdb-client `Point`, built per reading. Ingest uses {@link readingToLine},
 * which gives the same bytes (a property test holds it to that) at a fraction of the cost.
 */
export function readingToLineWithPoint(ref: DeviceRef, reading: Reading): string {
  const point = new Point(TELEMETRY_MEASUREMENT).tag('tenant', ref.tenant).tag('device', ref.device).timestamp(reading.ts);
  for (const name in reading.metrics) point.floatField(name, reading.metrics[name]);
  // Validation guarantees at least one finite field, so a line always comes out.
  return point.toLineProtocol(MS)!;
}

/**
 * `telemetry,device=<d>,tenant=<t> ` — the measurement and tags of a device's lines, built once
 * per device with `Point` (escaping and tag order are the client's).
 */
export function linePrefixOf(ref: DeviceRef): string {
  const line = new Point(TELEMETRY_MEASUREMENT).tag('tenant', ref.tenant).tag('device', ref.device).floatField('f', 0).toLineProtocol(MS)!;
  // Ids are held to [A-Za-z0-9._-] (topics.ts), so the first space ends the tag set.
  return line.slice(0, line.indexOf(' ') + 1);
}

/** Field keys as the client escapes them; a fleet uses few metric names, so remembered. */
const fieldKeys = new Map<string, string>();
function fieldKey(name: string): string {
  let key = fieldKeys.get(name);
  if (key === undefined) {
    key = escape.tag(name);
    if (fieldKeys.size >= 10_000) fieldKeys.clear();
    fieldKeys.set(name, key);
  }
  return key;
}

/**
 * The same line as {@link readingToLineWithPoint} (fields in name order, values as `String(n)`,
 * the ms timestamp), built from the device's {@link linePrefixOf}. Ingest keeps one
 * {@link DeviceLineFormat} per device instead, so its per-reading work is only the values.
 */
export function readingToLine(ref: DeviceRef, reading: Reading, prefix: string = linePrefixOf(ref)): string {
  return new DeviceLineFormat(prefix).line(reading);
}

/** Values of the reading being formatted, in the reading's own metric order (reused: no array per reading). */
const scratchValues: number[] = [];

/**
 * One device's lines, the bytes {@link readingToLineWithPoint} writes, for a device whose readings keep the
 * same metrics in the same order (a fleet's devices do): the field keys are escaped, sorted and
 * joined with their separators once per shape instead of sorting every reading's metric names.
 * A reading of another shape makes that the new shape.
 */
export class DeviceLineFormat {
  /** Metric names in the order the device sends them. */
  private names: string[] = [];
  /** `k=` / `,k=` per field, in name order (the line's order). */
  private parts: string[] = [];
  /** parts[j] takes the value at position order[j] of the device's own order. */
  private order: number[] = [];

  constructor(readonly prefix: string) {}

  static of(ref: DeviceRef): DeviceLineFormat {
    return new DeviceLineFormat(linePrefixOf(ref));
  }

  line(reading: Reading): string {
    const metrics = reading.metrics;
    const names = this.names;
    let i = 0;
    for (const name in metrics) {
      if (i >= names.length || names[i] !== name) return this.reshape(reading);
      scratchValues[i++] = metrics[name]!;
    }
    if (i !== names.length) return this.reshape(reading);
    const { parts, order } = this;
    let line = this.prefix;
    for (let j = 0; j < parts.length; j++) line += parts[j]! + String(scratchValues[order[j]!]);
    return line + ' ' + String(reading.ts);
  }

  private reshape(reading: Reading): string {
    this.names = Object.keys(reading.metrics);
    const byName = this.names.map((name, at) => ({ name, at })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.parts = byName.map((f, j) => (j ? ',' : '') + fieldKey(f.name) + '=');
    this.order = byName.map((f) => f.at);
    return this.line(reading);
  }
}
