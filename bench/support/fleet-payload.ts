/**
 * The benchmark fleet's reading for a given seq: plausible sensor values with a few decimals,
 * varying with seq (not constant, not random noise), and ts = baseTs + seq so every
 * (device, ts) is unique. Shared by the publisher and the in-process benchmarks.
 */
export function fleetMetrics(seq: number): { vibration_rms: number; temperature: number; pressure: number; current: number } {
  const k = seq % 1000;
  return {
    vibration_rms: Math.round((2 + k / 997) * 1000) / 1000,
    temperature: Math.round((61.5 + (k % 97) / 10) * 100) / 100,
    pressure: Math.round((6.2 + (k % 31) / 100) * 1000) / 1000,
    current: Math.round((11 + (k % 53) / 50) * 1000) / 1000,
  };
}

/** The JSON payload a device publishes (`ingest/payload-schema.ts`). */
export function fleetPayload(baseTs: number, seq: number): string {
  const m = fleetMetrics(seq);
  return `{"ts":${baseTs + seq},"seq":${seq},"metrics":{"vibration_rms":${m.vibration_rms},"temperature":${m.temperature},"pressure":${m.pressure},"current":${m.current}}}`;
}

export function telemetryTopicOf(tenant: string, device: string): string {
  return `prognos/${tenant}/${device}/telemetry`;
}
