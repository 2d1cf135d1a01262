/**
 * Reads a simulator history (`prognos simulate --history`, format in `simulators/README.md`):
 * fleet.json, events.csv, and one type's readings streamed device by device so a long history
 * never sits in memory as rows of text.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PrognosError } from '../platform/errors.ts';
import type { FeatureReading } from './feature-window.ts';

export const SIM_HISTORY_FORMAT = 'prognos-simulator-history/1';

export interface SimFleet {
  readonly dir: string;
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly files: { readonly readings: Readonly<Record<string, string>>; readonly events: string };
  readonly equipmentTypes: Readonly<Record<string, { readonly failureModes: readonly { readonly id: string }[] }>>;
  readonly devices: readonly { readonly id: string; readonly type: string }[];
}

export interface SimEvent {
  readonly device: string;
  readonly atMs: number;
  readonly kind: 'failure' | 'repair' | 'maintenance';
  readonly modes: readonly string[];
  readonly runHours: number;
}

/** One device's readings, in time order, with the hour meter and state among the metrics. */
export interface SimDeviceReadings {
  readonly device: string;
  readonly readings: FeatureReading[];
}

export function readFleet(dir: string): SimFleet {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new PrognosError('PRG_BAD_REQUEST', `${dir}: no readable fleet.json (make one with prognos simulate --history)`, { cause });
  }
  if (raw.format !== SIM_HISTORY_FORMAT) throw new PrognosError('PRG_BAD_REQUEST', `${dir}/fleet.json: format ${String(raw.format)}, expected ${SIM_HISTORY_FORMAT}`);
  return {
    dir,
    seed: Number(raw.seed),
    startMs: Date.parse(String(raw.start)),
    endMs: Date.parse(String(raw.end)),
    files: raw.files as SimFleet['files'],
    equipmentTypes: raw.equipmentTypes as SimFleet['equipmentTypes'],
    devices: raw.devices as SimFleet['devices'],
  };
}

/** Splits one CSV line (RFC 4180 quotes). */
function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

async function* csvRows(path: string): AsyncGenerator<{ header: string[]; fields: string[] }> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: string[] | null = null;
  for await (const line of lines) {
    if (line === '') continue;
    const fields = splitCsv(line);
    if (!header) header = fields;
    else yield { header, fields };
  }
}

export async function readEvents(fleet: SimFleet): Promise<SimEvent[]> {
  const events: SimEvent[] = [];
  for await (const { header, fields } of csvRows(join(fleet.dir, fleet.files.events))) {
    const get = (name: string) => fields[header.indexOf(name)] ?? '';
    events.push({
      device: get('device'),
      atMs: Date.parse(get('ts')),
      kind: get('kind') as SimEvent['kind'],
      modes: get('failure_mode') ? get('failure_mode').split(';') : [],
      runHours: Number(get('run_hours')),
    });
  }
  return events;
}

/**
 * Streams a type's readings one device at a time. Ground-truth columns (`true_damage_*`) are
 * dropped here: real equipment cannot report them, so they never reach the features.
 */
export async function* readDeviceReadings(fleet: SimFleet, type: string): AsyncGenerator<SimDeviceReadings> {
  const file = fleet.files.readings[type];
  if (!file) return;
  let current = null as SimDeviceReadings | null;
  let columns: { name: string; at: number }[] | null = null;
  for await (const { header, fields } of csvRows(join(fleet.dir, file))) {
    columns ??= header
      .map((name, at) => ({ name, at }))
      .filter((c) => c.name !== 'device' && c.name !== 'equipment_type' && c.name !== 'ts' && !c.name.startsWith('true_damage_'));
    const device = fields[0]!;
    if (current?.device !== device) {
      if (current) yield current;
      current = { device, readings: [] };
    }
    const metrics: Record<string, number> = {};
    for (const c of columns) {
      const v = fields[c.at];
      if (v !== undefined && v !== '') metrics[c.name] = Number(v);
    }
    current.readings.push({ ts: Date.parse(fields[2]!), metrics });
  }
  if (current) yield current;
}

/** sha256 over the files a type's training reads, in order: its readings, the events, fleet.json. */
export function historyHash(fleets: readonly SimFleet[], type: string): string {
  const hash = createHash('sha256');
  for (const f of fleets) {
    const reading = f.files.readings[type];
    for (const name of [...(reading ? [reading] : []), f.files.events, 'fleet.json']) hash.update(readFileSync(join(f.dir, name)));
  }
  return hash.digest('hex');
}
