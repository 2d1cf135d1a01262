/**
 * Exports the field fleet as a training history in the simulator's format (`prognos simulate
 * --history`, read by `sim-history.ts`, described in `simulators/README.md`), so
 * `prognos train sim --history <sim dirs>,<field dir>` trains on both with no other change:
 * fleet.json, events.csv and one `readings-<type>.csv` per equipment type.
 *
 * - Readings: the devices' telemetry from InfluxDB (measurement `telemetry`, one float field
 *   per metric), device by device, in time chunks read in pages of bounded size and streamed to
 *   disk, so memory stays flat however long the history. Columns: `run_hours`, `state` and the
 *   type's sensors; there is no ground truth (`true_damage_*`) in the field.
 * - Events: from verified ticket close-outs (`maintenance/retraining-labels.ts`). A close-out
 *   that found a failure mode (the predicted one confirmed, or another) becomes a `failure` of
 *   that mode dated at the close-out, followed at the same instant by a `maintenance` that
 *   renewed its part; one that found nothing becomes a `maintenance` alone, so the rows before
 *   it are negatives (the false alarm it was). The failure the visit prevented would have come
 *   later than the visit: dating it at the close-out makes every lead time counted to it a LOWER
 *   BOUND, and the positive rows are the `horizonHours` before the visit, not before a failure.
 *   An event's `run_hours` is the device's hour meter at its nearest reading at or before it.
 * - Seed: field units are keyed `<seed>/<device>` like simulator units. Simulator seeds are
 *   unsigned 32-bit integers (`simulators/prng.ts` seedFrom), so a field export's seed is a
 *   negative integer (derived from its scope and window): it can never equal a simulator seed,
 *   its units never mix with simulated ones, and `train sim` never takes it for an evaluation seed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TELEMETRY_MEASUREMENT } from '../ingest/line-protocol.ts';
import { SAFE_ID } from '../ingest/topics.ts';
import type { InfluxHttp } from '../platform/influx/influx-http.ts';
import { CsvFile } from '../simulators/csv-file.ts';
import { SIM_HISTORY_FORMAT } from './sim-history.ts';

/** Marks fleet.json as a field export (the simulator writes no `source`). */
export const FIELD_SOURCE = 'field';

const HOUR_MS = 3_600_000;
/** The file names of the simulator's format (`simulators/history-writer.ts`). */
const readingsFile = (type: string) => `readings-${type}.csv`;
const EVENTS_FILE = 'events.csv';
const FLEET_FILE = 'fleet.json';
const EVENT_COLUMNS = ['device', 'equipment_type', 'ts', 'kind', 'failure_mode', 'run_hours', 'detail'];
/** The devices' state codes, as the simulator and the feature window read them. */
const STATE_CODES = { running: 0, idle: 1, failed: 2, maintenance: 3 };

/** A verified close-out as the API serves it (`GET /api/v1/models/retraining-labels`). */
export interface FieldLabel {
  readonly tenant: string;
  readonly deviceId: string;
  /** The predicted mode. */
  readonly mode: string;
  readonly confirmed: boolean;
  /** The mode the technician found; null: nothing was wrong. */
  readonly confirmedMode: string | null;
  /** ISO 8601. */
  readonly at: string;
  readonly ticketId: string;
  readonly outcome: string;
}

export interface FieldDevice {
  readonly tenant: string;
  readonly id: string;
  readonly equipmentType: string;
  readonly model?: string;
  readonly installedAt?: string;
}

/** What fleet.json says of an equipment type (the simulator's description); sensors and modes are read. */
export interface FieldEquipmentType {
  readonly sensors: readonly { readonly name: string }[];
  readonly failureModes: readonly { readonly id: string }[];
  readonly [key: string]: unknown;
}

export interface FieldHistoryOptions {
  /** Folder to write into (created; files of the same names are replaced). */
  readonly outDir: string;
  readonly influx: Pick<InfluxHttp, 'query'>;
  /** The field fleet (the registry's devices in scope). Devices of a type not in `equipmentTypes` are skipped. */
  readonly devices: readonly FieldDevice[];
  /** Verified close-outs; those of devices not in `devices` are skipped. */
  readonly labels: readonly FieldLabel[];
  /** Sensors and failure modes per equipment type (the simulator's catalogue for the simulated types). */
  readonly equipmentTypes: Readonly<Record<string, FieldEquipmentType>>;
  /** Who the export covers (a tenant, or `all`): part of the seed and fleet.json's `tenant`. */
  readonly scope: string;
  /** End of the history (epoch ms, exclusive): readings and close-outs before it. */
  readonly untilMs: number;
  /**
   * Start of the history (epoch ms): readings and close-outs at or after it. Default: each
   * device's first reading, and every close-out. Readings and labels share one window on
   * purpose: a reading before the window's first close-out whose own close-out was left out
   * would be labelled a negative. A close-out needs history before it (the feature windows fill
   * in about 24 operating hours, the horizon is 72): start some weeks before the first one wanted.
   */
  readonly sinceMs?: number;
  /** Span of one InfluxDB time chunk. Default 168 (7 days). */
  readonly chunkHours?: number;
  /** Readings per query at most (a chunk is paged when it holds more). Default 10 000. */
  readonly pageRows?: number;
  /** The command that made the export, recorded in fleet.json. */
  readonly command?: string;
  /** Told after each device is written (progress). */
  onDevice?(device: FieldDevice, readings: number, done: number, total: number): void;
}

export type SkipReason = 'unknown_device' | 'unknown_mode' | 'outside_window' | 'no_reading_before';

export interface FieldHistorySummary {
  readonly seed: number;
  /** The files written, relative to `outDir`. */
  readonly files: readonly string[];
  /** Devices with readings (the others are left out of fleet.json). */
  readonly devices: number;
  readonly devicesWithoutReadings: number;
  /** Devices left out: an equipment type with no description (nothing to train), or ids unsafe in InfluxQL. */
  readonly devicesOfUnknownType: number;
  /** Readings per equipment type. */
  readonly readings: Readonly<Record<string, number>>;
  readonly events: { readonly failure: number; readonly maintenance: number };
  readonly labelsUsed: number;
  readonly labelsSkipped: Readonly<Partial<Record<SkipReason, number>>>;
}

interface PendingEvent {
  readonly kind: 'failure' | 'maintenance';
  readonly modes: readonly string[];
  readonly detail: string;
}

/** One usable close-out of a device: its events share its time and hour meter. */
interface PendingLabel {
  readonly atMs: number;
  readonly events: readonly PendingEvent[];
  runHours?: number;
}

/**
 * The export's seed: a negative 31-bit integer from its scope and window, so simulator seeds
 * (unsigned) never equal it and two exports of other windows get other seeds.
 */
export function fieldSeed(scope: string, sinceMs: number | undefined, untilMs: number): number {
  const h = createHash('sha256').update(`prognos-field\0${scope}\0${sinceMs ?? ''}\0${untilMs}`).digest();
  return -1 - (h.readUInt32BE(0) % 0x7fffffff);
}

/** The events one close-out stands for, or why it cannot be used. */
function eventsOf(label: FieldLabel, type: FieldEquipmentType): PendingEvent[] | 'unknown_mode' {
  const found = label.confirmedMode;
  if (found === null) {
    return [{ kind: 'maintenance', modes: [], detail: `ticket ${label.ticketId} (${label.outcome}): no fault found, predicted ${label.mode}` }];
  }
  if (!type.failureModes.some((m) => m.id === found)) return 'unknown_mode';
  const what = found === label.mode ? `${found} confirmed` : `${found} found, predicted ${label.mode}`;
  return [
    { kind: 'failure', modes: [found], detail: `ticket ${label.ticketId} (${label.outcome}): ${what}; dated at the visit (lead times are lower bounds)` },
    { kind: 'maintenance', modes: [found], detail: `ticket ${label.ticketId}: renewed ${found} at the visit` },
  ];
}

const where = (d: FieldDevice) => `"tenant" = '${d.tenant}' AND "device" = '${d.id}'`;

/** Epoch ms of the device's first reading with an hour meter before `untilMs`, if any. */
async function firstReadingAt(influx: FieldHistoryOptions['influx'], d: FieldDevice, untilMs: number): Promise<number | undefined> {
  const [series] = await influx.query(`SELECT first("run_hours") FROM "${TELEMETRY_MEASUREMENT}" WHERE ${where(d)} AND time < ${Math.ceil(untilMs)}ms`);
  const t = series?.values[0]?.[0];
  return typeof t === 'number' ? t : undefined;
}

/**
 * The device's readings in [fromMs, untilMs), oldest first: one query per chunk of `chunkMs`,
 * paged by `pageRows` (each page starts after the last reading of the one before).
 */
async function* deviceReadings(
  influx: FieldHistoryOptions['influx'],
  d: FieldDevice,
  columns: readonly string[],
  fromMs: number,
  untilMs: number,
  chunkMs: number,
  pageRows: number,
): AsyncGenerator<{ ts: number; values: (number | null)[] }> {
  const select = columns.map((c) => `"${c}"`).join(', ');
  for (let start = Math.floor(fromMs); start < untilMs; start += chunkMs) {
    const end = Math.min(Math.ceil(untilMs), start + chunkMs);
    let lower = `time >= ${start}ms`;
    for (;;) {
      const [series] = await influx.query(`SELECT ${select} FROM "${TELEMETRY_MEASUREMENT}" WHERE ${where(d)} AND ${lower} AND time < ${end}ms ORDER BY time ASC LIMIT ${pageRows}`);
      const rows = series?.values ?? [];
      const at = columns.map((c) => series?.columns.indexOf(c) ?? -1);
      for (const row of rows) {
        yield { ts: Number(row[0]), values: at.map((i) => (i >= 0 && typeof row[i] === 'number' ? (row[i] as number) : null)) };
      }
      if (rows.length < pageRows) break;
      lower = `time > ${Number(rows[rows.length - 1]![0])}ms`;
    }
  }
}

export async function writeFieldHistory(o: FieldHistoryOptions): Promise<FieldHistorySummary> {
  const chunkMs = Math.max(1, (o.chunkHours ?? 168) * HOUR_MS);
  const pageRows = Math.max(1, Math.floor(o.pageRows ?? 10_000));
  const seed = fieldSeed(o.scope, o.sinceMs, o.untilMs);

  const skipped: Partial<Record<SkipReason, number>> = {};
  const skip = (why: SkipReason) => void (skipped[why] = (skipped[why] ?? 0) + 1);

  // Tenant and device ids end up inside InfluxQL quotes: only the topic parser's safe ids.
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const devices = o.devices
    .filter((d) => o.equipmentTypes[d.equipmentType] && SAFE_ID.test(d.tenant) && SAFE_ID.test(d.id))
    .sort((a, b) => byCodePoint(a.equipmentType, b.equipmentType) || byCodePoint(a.id, b.id));
  const deviceKey = (tenant: string, id: string) => `${tenant}/${id}`;
  const known = new Map(devices.map((d) => [deviceKey(d.tenant, d.id), d]));

  const pending = new Map<string, PendingLabel[]>();
  for (const label of o.labels) {
    const d = known.get(deviceKey(label.tenant, label.deviceId));
    const atMs = Date.parse(label.at);
    if (!d) skip('unknown_device');
    else if (!(atMs < o.untilMs) || (o.sinceMs !== undefined && atMs < o.sinceMs)) skip('outside_window');
    else {
      const events = eventsOf(label, o.equipmentTypes[d.equipmentType]!);
      if (events === 'unknown_mode') skip('unknown_mode');
      else {
        const key = deviceKey(d.tenant, d.id);
        let list = pending.get(key);
        if (!list) pending.set(key, (list = []));
        list.push({ atMs, events });
      }
    }
  }

  await mkdir(o.outDir, { recursive: true });
  const files = new Map<string, CsvFile>();
  const readings: Record<string, number> = {};
  const written: { device: FieldDevice; initialRunHours: number | null }[] = [];
  const eventRows: (string | number)[][] = [];
  const counts = { failure: 0, maintenance: 0 };
  let labelsUsed = 0;
  const intervals: number[] = [];
  let firstMs = Infinity;
  let done = 0;

  try {
    for (const d of devices) {
      const type = o.equipmentTypes[d.equipmentType]!;
      const sensors = type.sensors.map((s) => s.name).filter((n) => n !== 'run_hours' && n !== 'state');
      const columns = ['run_hours', 'state', ...sensors];
      const labels = (pending.get(deviceKey(d.tenant, d.id)) ?? []).sort((a, b) => a.atMs - b.atMs);
      let next = 0;
      let lastRunHours: number | undefined;
      let n = 0;
      let first = NaN;
      let last = NaN;
      let initialRunHours: number | null = null;

      const from = o.sinceMs ?? (await firstReadingAt(o.influx, d, o.untilMs));
      if (from !== undefined) {
        for await (const r of deviceReadings(o.influx, d, columns, from, o.untilMs, chunkMs, pageRows)) {
          // Close-outs before this reading take the hour meter of the reading before them.
          while (next < labels.length && labels[next]!.atMs < r.ts) labels[next++]!.runHours = lastRunHours;
          let file = files.get(d.equipmentType);
          if (!file) files.set(d.equipmentType, (file = new CsvFile(join(o.outDir, readingsFile(d.equipmentType)), ['device', 'equipment_type', 'ts', 'run_hours', 'state', ...sensors])));
          await file.row([d.id, d.equipmentType, new Date(r.ts).toISOString(), ...r.values.map((v) => (v === null ? '' : v))]);
          const runHours = r.values[0];
          if (runHours !== null && runHours !== undefined) {
            lastRunHours = runHours;
            initialRunHours ??= runHours;
          }
          if (n === 0) first = r.ts;
          last = r.ts;
          n++;
        }
      }
      while (next < labels.length) labels[next++]!.runHours = lastRunHours;

      done++;
      if (n > 0) {
        readings[d.equipmentType] = (readings[d.equipmentType] ?? 0) + n;
        written.push({ device: d, initialRunHours });
        firstMs = Math.min(firstMs, first);
        if (n > 1) intervals.push((last - first) / (n - 1));
      }
      for (const label of labels) {
        const runHours = label.runHours;
        if (runHours === undefined) {
          skip('no_reading_before');
          continue;
        }
        labelsUsed++;
        // In time order; a visit's failure before its maintenance.
        for (const e of label.events) {
          counts[e.kind]++;
          eventRows.push([d.id, d.equipmentType, new Date(label.atMs).toISOString(), e.kind, e.modes.join(';'), runHours.toFixed(3), e.detail]);
        }
      }
      o.onDevice?.(d, n, done, devices.length);
    }
  } catch (err) {
    await Promise.allSettled([...files.values()].map((f) => f.close()));
    throw err;
  }
  await Promise.all([...files.values()].map((f) => f.close()));

  const events = new CsvFile(join(o.outDir, EVENTS_FILE), EVENT_COLUMNS);
  for (const row of eventRows) await events.row(row);
  await events.close();

  const types = [...files.keys()];
  intervals.sort((a, b) => a - b);
  const fleet = {
    format: SIM_HISTORY_FORMAT,
    source: FIELD_SOURCE,
    tenant: o.scope,
    seed,
    start: new Date(o.sinceMs ?? (Number.isFinite(firstMs) ? firstMs : o.untilMs)).toISOString(),
    end: new Date(o.untilMs).toISOString(),
    // The field has no fixed rate: the median of the devices' mean reading intervals.
    sampleMinutes: intervals.length ? Math.round((intervals[Math.floor(intervals.length / 2)]! / 60_000) * 1000) / 1000 : null,
    dropoutRate: null,
    files: { readings: Object.fromEntries(types.map((t) => [t, readingsFile(t)])), events: EVENTS_FILE },
    stateCodes: STATE_CODES,
    equipmentTypes: Object.fromEntries(types.map((t) => [t, o.equipmentTypes[t]])),
    devices: written.map(({ device: d, initialRunHours }) => ({
      tenant: d.tenant,
      id: d.id,
      type: d.equipmentType,
      model: d.model ?? null,
      installedAt: d.installedAt ?? null,
      initialRunHours,
      failureModes: o.equipmentTypes[d.equipmentType]!.failureModes.map((m) => m.id),
    })),
    summary: { readings, events: { failure: counts.failure, repair: 0, maintenance: counts.maintenance } },
    field: {
      since: o.sinceMs === undefined ? null : new Date(o.sinceMs).toISOString(),
      until: new Date(o.untilMs).toISOString(),
      labels: { used: labelsUsed, skipped },
      rule: 'verified close-out: mode found -> failure of that mode + maintenance at the close-out (lead times are lower bounds); nothing found -> maintenance only',
      command: o.command ?? null,
    },
  };
  await writeFile(join(o.outDir, FLEET_FILE), `${JSON.stringify(fleet, null, 2)}\n`);
  return {
    seed,
    files: [...types.map(readingsFile), EVENTS_FILE, FLEET_FILE],
    devices: written.length,
    devicesWithoutReadings: devices.length - written.length,
    devicesOfUnknownType: o.devices.length - devices.length,
    readings,
    events: counts,
    labelsUsed,
    labelsSkipped: skipped,
  };
}

/** The command that made the field export in `dir`; undefined for a simulator history. */
export function fieldExportCommand(dir: string): string | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(dir, FLEET_FILE), 'utf8')) as { source?: unknown; field?: { command?: unknown } };
    return raw.source === FIELD_SOURCE && typeof raw.field?.command === 'string' ? raw.field.command : undefined;
  } catch {
    return undefined;
  }
}
