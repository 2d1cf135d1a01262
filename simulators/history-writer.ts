import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CsvFile } from './csv-file.ts';
import { EQUIPMENT_CATALOGUE } from './equipment-catalogue.ts';
import { EQUIPMENT_TYPES, type EquipmentType } from './equipment-model.ts';
import { type EquipmentEventKind, STATE_CODES } from './equipment-simulator.ts';
import { type FleetOptions, type FleetUnit, fleetUnit, simulatorFor } from './fleet.ts';
import { deriveSeed, Rng } from './prng.ts';

/**
 * Writes a labelled run-to-failure history on simulated time, without MQTT: one readings CSV
 * per equipment type, one events CSV, and fleet.json describing the fleet and the files.
 * Devices are simulated one after another and streamed to disk, so memory stays flat however
 * long the history. The format is described in `simulators/README.md`.
 */

export const HISTORY_FORMAT = 'prognos-simulator-history/1';
/** The default simulated start: a fixed date, so a seed names one history. */
export const DEFAULT_HISTORY_START_MS = Date.UTC(2025, 0, 1);

export interface HistoryOptions {
  /** Directory to write into (created if missing; files of the same names are replaced). */
  readonly outDir: string;
  readonly devices: number;
  readonly seed: number;
  /** Simulated days of history. */
  readonly days: number;
  /** Minutes between two readings of one device. Default 10. */
  readonly sampleMinutes?: number;
  /** Simulated start, ms since the epoch. Default 2025-01-01T00:00:00Z. */
  readonly startMs?: number;
  /** Default `demo`. */
  readonly tenant?: string;
  /** Equipment types to cycle through. Default: all. */
  readonly types?: readonly EquipmentType[];
  /** Share of readings missing from the files, as in the field. Default 0.005. */
  readonly dropoutRate?: number;
  /** Told after each device is written (progress). */
  onDevice?(unit: FleetUnit, done: number, total: number): void;
}

export interface HistorySummary {
  /** The files written, relative to `outDir`. */
  readonly files: readonly string[];
  readonly readings: Partial<Record<EquipmentType, number>>;
  readonly events: Record<EquipmentEventKind, number>;
}

export const readingsFileName = (type: EquipmentType) => `readings-${type}.csv`;
export const EVENTS_FILE = 'events.csv';
export const FLEET_FILE = 'fleet.json';
export const EVENT_COLUMNS = ['device', 'equipment_type', 'ts', 'kind', 'failure_mode', 'run_hours', 'detail'] as const;

/** Columns of a type's readings file: keys, the sensors, then the ground-truth damage per failure mode. */
export function readingColumns(type: EquipmentType): string[] {
  const model = EQUIPMENT_CATALOGUE[type].model;
  return [
    'device',
    'equipment_type',
    'ts',
    'run_hours',
    'state',
    ...model.sensors.map((s) => s.name),
    ...model.failureModes.map((m) => `true_damage_${m.id}`),
  ];
}

export async function writeHistory(o: HistoryOptions): Promise<HistorySummary> {
  const tenant = o.tenant ?? 'demo';
  const startMs = o.startMs ?? DEFAULT_HISTORY_START_MS;
  const sampleMs = Math.round((o.sampleMinutes ?? 10) * 60_000);
  const samples = Math.floor((o.days * 86_400_000) / sampleMs);
  const dropoutRate = o.dropoutRate ?? 0.005;
  const fleetOptions: FleetOptions = { tenant, devices: o.devices, seed: o.seed, startMs, types: o.types };
  const units = Array.from({ length: o.devices }, (_, i) => fleetUnit(fleetOptions, i));
  const types = EQUIPMENT_TYPES.filter((t) => units.some((u) => u.type === t));

  await mkdir(o.outDir, { recursive: true });
  const readingFiles = new Map(types.map((t) => [t, new CsvFile(join(o.outDir, readingsFileName(t)), readingColumns(t))]));
  const events = new CsvFile(join(o.outDir, EVENTS_FILE), EVENT_COLUMNS);
  const files = [...readingFiles.values(), events];
  const readings: Partial<Record<EquipmentType, number>> = Object.fromEntries(types.map((t) => [t, 0]));
  const eventCounts: Record<EquipmentEventKind, number> = { failure: 0, maintenance: 0, repair: 0 };

  try {
    for (const unit of units) {
      const sim = simulatorFor(unit, startMs);
      const modes = sim.model.failureModes.map((m) => m.id);
      const file = readingFiles.get(unit.type)!;
      const link = new Rng(deriveSeed(unit.seed, 'link'));
      for (let k = 0; k < samples; k++) {
        if (k > 0) {
          for (const e of sim.advance(sampleMs / 1000)) {
            eventCounts[e.kind]++;
            await events.row([unit.device, unit.type, new Date(e.atMs).toISOString(), e.kind, e.failureModes.join(';'), e.runHours.toFixed(3), e.detail]);
          }
        }
        // Read before deciding the dropout, so the noise stream is the same with or without gaps.
        const metrics = sim.readMetrics();
        if (link.chance(dropoutRate)) continue;
        const damage = sim.damage();
        await file.row([
          unit.device,
          unit.type,
          new Date(startMs + k * sampleMs).toISOString(),
          metrics.run_hours ?? 0,
          metrics.state ?? 0,
          ...sim.model.sensors.map((s) => metrics[s.name] ?? ''),
          ...modes.map((m) => roundDamage(damage[m] ?? 0)),
        ]);
        readings[unit.type] = (readings[unit.type] ?? 0) + 1;
      }
      o.onDevice?.(unit, unit.index + 1, units.length);
    }
  } catch (err) {
    await Promise.allSettled(files.map((f) => f.close()));
    throw err;
  }
  await Promise.all(files.map((f) => f.close()));

  const fleet = {
    format: HISTORY_FORMAT,
    tenant,
    seed: o.seed,
    start: new Date(startMs).toISOString(),
    end: new Date(startMs + samples * sampleMs).toISOString(),
    sampleMinutes: sampleMs / 60_000,
    dropoutRate,
    files: { readings: Object.fromEntries(types.map((t) => [t, readingsFileName(t)])), events: EVENTS_FILE },
    stateCodes: STATE_CODES,
    equipmentTypes: Object.fromEntries(types.map((t) => [t, equipmentTypeDescription(t)])),
    devices: units.map((u) => ({
      tenant: u.tenant,
      id: u.device,
      type: u.type,
      model: u.model,
      installedAt: u.installedAt,
      initialRunHours: u.initialRunHours,
      siteMeanC: u.siteMeanC,
      failureModes: EQUIPMENT_CATALOGUE[u.type].model.failureModes.map((f) => f.id),
    })),
    summary: { readings, events: eventCounts },
  };
  await writeFile(join(o.outDir, FLEET_FILE), `${JSON.stringify(fleet, null, 2)}\n`);
  return { files: [...types.map(readingsFileName), EVENTS_FILE, FLEET_FILE], readings, events: eventCounts };
}

/**
 * What fleet.json says of an equipment type: model, regime metric, sensors with units, failure
 * modes with law and source, maintenance plan. The field export (`models/field-history.ts`)
 * writes the same description for the field's devices of the simulated types.
 */
export function equipmentTypeDescription(type: EquipmentType) {
  const m = EQUIPMENT_CATALOGUE[type].model;
  return {
    model: m.model,
    description: m.description,
    regimeMetric: m.regimeMetric,
    sensors: m.sensors.map((s) => ({ name: s.name, unit: s.unit, description: s.description })),
    failureModes: m.failureModes.map((f) => ({ id: f.id, description: f.description, law: f.law.kind, source: f.source, symptoms: f.symptoms })),
    maintenance: m.maintenance,
  };
}

/** Four decimals, but never 1.0 before the failure: 1 means failed. */
function roundDamage(d: number): number {
  return d >= 1 ? 1 : Math.min(0.9999, Math.round(d * 1e4) / 1e4);
}
