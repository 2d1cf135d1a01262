import { Point } from '@influxdata/influxdb-client';
import type { Reading } from './payload-schema.ts';
import type { DeviceRef } from './topics.ts';

export const TELEMETRY_MEASUREMENT = 'telemetry';

const MS = { convertTime: (t: string | number | Date | undefined) => String(t) };

/**
 * One reading as one line: measurement `telemetry`, tags `tenant` and `device`, one float field
 * per metric, the device's timestamp in ms. The same reading always gives the same point, so a
 * redelivered message overwrites itself instead of duplicating.
 */
export function readingToLine(ref: DeviceRef, reading: Reading): string {
  const point = new Point(TELEMETRY_MEASUREMENT).tag('tenant', ref.tenant).tag('device', ref.device).timestamp(reading.ts);
  for (const name in reading.metrics) point.floatField(name, reading.metrics[name]);
  // Validation guarantees at least one finite field, so a line always comes out.
  return point.toLineProtocol(MS)!;
}
