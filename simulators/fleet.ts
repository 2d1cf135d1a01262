import type { DeviceRef } from '../ingest/topics.ts';
import { EQUIPMENT_CATALOGUE } from './equipment-catalogue.ts';
import { EQUIPMENT_TYPES, type EquipmentType } from './equipment-model.ts';
import { EquipmentSimulator } from './equipment-simulator.ts';
import { deriveSeed, Rng } from './prng.ts';

/**
 * A simulated fleet: which machine device i is, and its simulator. Everything about device i
 * comes from streams derived from (seed, i), so it is the same whether the fleet has 3 devices
 * or 3000.
 */

export interface FleetUnit extends DeviceRef {
  /** Position in the fleet, 0-based. */
  readonly index: number;
  readonly type: EquipmentType;
  readonly model: string;
  /** Installation date (ISO 8601, UTC midnight). */
  readonly installedAt: string;
  /** The hour meter when the simulation starts. */
  readonly initialRunHours: number;
  /** Mean air temperature at the site (°C). */
  readonly siteMeanC: number;
  /** This unit's seed, derived from the fleet seed and the index. */
  readonly seed: number;
  /** Starts with one failure mode close to failure (`EquipmentSimulatorOptions.wornStart`). */
  readonly wornStart: boolean;
}

export interface FleetOptions {
  /** Tenant the devices belong to (a topic segment: [A-Za-z0-9._-]{1,64}). */
  tenant: string;
  devices: number;
  seed: number;
  /** Simulated time at which the simulation starts, ms since the epoch. */
  startMs: number;
  /** Types to cycle through: device i is types[i mod types.length]. Default: all three. */
  types?: readonly EquipmentType[];
  /** Share of the devices (0..1) that start late in one failure mode's life (the demo's). Default 0. */
  wornShare?: number;
}

export interface FleetDevice {
  readonly unit: FleetUnit;
  readonly simulator: EquipmentSimulator;
}

const DAY_MS = 86_400_000;

export function fleetUnit(o: FleetOptions, index: number): FleetUnit {
  const types = o.types?.length ? o.types : EQUIPMENT_TYPES;
  const type = types[index % types.length]!;
  const entry = EQUIPMENT_CATALOGUE[type];
  const seed = deriveSeed(o.seed, 'device', index);
  const rng = new Rng(deriveSeed(seed, 'identity'));
  const ageDays = Math.floor(rng.uniform(30, 3 * 365));
  const utilisation = rng.uniform(0.4, 0.9);
  return {
    tenant: o.tenant,
    device: `${entry.idPrefix}-${String(index + 1).padStart(4, '0')}`,
    index,
    type,
    model: entry.model.model,
    installedAt: new Date(Math.floor(o.startMs / DAY_MS) * DAY_MS - ageDays * DAY_MS).toISOString(),
    initialRunHours: Math.round(ageDays * 24 * utilisation * 10) / 10,
    siteMeanC: Math.round(rng.uniform(12, 28) * 10) / 10,
    seed,
    // Its own stream, so the identity above is the same with or without worn starts.
    wornStart: (o.wornShare ?? 0) > 0 && new Rng(deriveSeed(seed, 'worn-start')).uniform(0, 1) < o.wornShare!,
  };
}

export function simulatorFor(unit: FleetUnit, startMs: number): EquipmentSimulator {
  return new EquipmentSimulator({
    model: EQUIPMENT_CATALOGUE[unit.type].model,
    seed: unit.seed,
    startMs,
    initialRunHours: unit.initialRunHours,
    siteMeanC: unit.siteMeanC,
    wornStart: unit.wornStart,
  });
}

export function buildFleet(o: FleetOptions): FleetDevice[] {
  return Array.from({ length: o.devices }, (_, i) => {
    const unit = fleetUnit(o, i);
    return { unit, simulator: simulatorFor(unit, o.startMs) };
  });
}
