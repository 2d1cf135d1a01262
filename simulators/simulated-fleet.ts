import { type Clock, systemClock } from '../platform/clock.ts';
import type { EquipmentType } from './equipment-model.ts';
import type { EquipmentEvent } from './equipment-simulator.ts';
import { buildFleet, type FleetUnit } from './fleet.ts';
import { LiveSimulation, type LiveSimulationStats } from './live-simulation.ts';
import { MqttTelemetryPublisher, type MqttPublisherStats } from './mqtt-publisher.ts';

/**
 * A simulated fleet publishing over MQTT: the fleet's physics on a clock ({@link LiveSimulation})
 * wired to the MQTT edge ({@link MqttTelemetryPublisher}). Used by `prognos simulate` and by
 * anything that wants a fleet feeding a broker in-process.
 */

export interface SimulatedFleetOptions {
  /** Broker URL. */
  readonly mqttUrl: string;
  /** Tenant of every device (topic segment). Default `demo`. */
  readonly tenant?: string;
  readonly devices: number;
  readonly seed: number;
  /** Simulated seconds per real second. Default 1. */
  readonly speed?: number;
  /** Real ms between readings of one device. Default 1000. */
  readonly intervalMs?: number;
  /** MQTT connections the devices share. Default min(devices, 50). */
  readonly connections?: number;
  /** Default 4. */
  readonly protocolVersion?: 4 | 5;
  /** Default 0.001. */
  readonly badRate?: number;
  /** Default 0.005. */
  readonly dropoutRate?: number;
  /** Unacknowledged publishes per connection. Default 64. */
  readonly maxInFlight?: number;
  /** Equipment types to cycle through. Default: all. */
  readonly types?: readonly EquipmentType[];
  /** Share of the devices that start late in one failure mode's life (`FleetOptions.wornShare`). Default 0. */
  readonly wornShare?: number;
  readonly username?: string;
  readonly password?: string;
  /** Drives the devices' schedule and reading timestamps. Default: the system clock. */
  readonly clock?: Clock;
  /** Drives MQTT timeouts and reconnects (real time even when `clock` is accelerated). Default: the system clock. */
  readonly networkClock?: Clock;
  onEvent?(unit: FleetUnit, event: EquipmentEvent): void;
  onError?(err: unknown): void;
}

export interface SimulatedFleet {
  readonly units: readonly FleetUnit[];
  readonly connections: number;
  stats(): LiveSimulationStats & { mqtt: MqttPublisherStats; inFlight: number };
  /** A technician services a device now: the named parts are renewed. False if unknown. */
  serviceVisit(device: string, modeIds: readonly string[], detail?: string): boolean;
  /** Ground truth damage per failure mode of one device (for tests and the demo's report). */
  damage(device: string): Record<string, number> | null;
  /** Stops the devices, waits (bounded) for PUBACKs, disconnects. Idempotent. */
  stop(): Promise<void>;
}

export async function startSimulatedFleet(o: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const clock = o.clock ?? systemClock;
  const tenant = o.tenant ?? 'demo';
  const fleet = buildFleet({ tenant, devices: o.devices, seed: o.seed, startMs: clock.now(), types: o.types, wornShare: o.wornShare });
  const connections = Math.max(1, Math.min(o.connections ?? Math.min(o.devices, 50), o.devices));
  const publisher = new MqttTelemetryPublisher({
    url: o.mqttUrl,
    clientIdPrefix: `sim-${tenant}`,
    connections,
    protocolVersion: o.protocolVersion ?? 4,
    maxInFlight: o.maxInFlight,
    username: o.username,
    password: o.password,
    clock: o.networkClock ?? systemClock,
    onError: (err) => o.onError?.(err),
  });
  await publisher.start();
  const sim = new LiveSimulation({
    devices: fleet,
    clock,
    intervalMs: o.intervalMs,
    speed: o.speed,
    badRate: o.badRate,
    dropoutRate: o.dropoutRate,
    send: (m) => publisher.publish(m.deviceIndex, m.topic, m.payload),
    onEvent: o.onEvent,
    onSendError: (_unit, err) => o.onError?.(err),
  });
  sim.start();
  let stopping: Promise<void> | null = null;
  return {
    units: fleet.map((d) => d.unit),
    connections,
    stats: () => ({ ...sim.stats, bad: { ...sim.stats.bad }, mqtt: { ...publisher.stats }, inFlight: publisher.inFlight }),
    serviceVisit: (device, modeIds, detail) => sim.serviceVisit(device, modeIds, detail),
    damage: (device) => fleet.find((d) => d.unit.device === device)?.simulator.damage() ?? null,
    stop() {
      stopping ??= (async () => {
        const settled = sim.stop();
        await publisher.stop();
        await settled;
      })();
      return stopping;
    },
  };
}
