/**
 * The MQTT topic tree, parsed and built in one place.
 *
 *   prognos/<tenant>/<deviceId>/telemetry   device → prognos readings
 *   prognos/<tenant>/<deviceId>/commands    prognos → device
 *
 * Tenant and device ids become InfluxDB tags, so they are held to a safe character set:
 * the line-protocol escaping of tag values mishandles some strings (a trailing backslash
 * folds the next tag into this one), and we never let arbitrary text become a tag.
 */
export const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const TOPIC_ROOT = 'prognos';

export interface DeviceRef {
  readonly tenant: string;
  readonly device: string;
}

export function telemetryTopic(ref: DeviceRef): string {
  return `${TOPIC_ROOT}/${ref.tenant}/${ref.device}/telemetry`;
}

export function commandTopic(ref: DeviceRef): string {
  return `${TOPIC_ROOT}/${ref.tenant}/${ref.device}/commands`;
}

/** The subscription ingest makes, optionally in a shared-subscription group. */
export function telemetrySubscription(shareGroup?: string): string {
  const filter = `${TOPIC_ROOT}/+/+/telemetry`;
  return shareGroup ? `$share/${shareGroup}/${filter}` : filter;
}

/** Returns the device a telemetry topic names, or null when the topic is not one. */
export function parseTelemetryTopic(topic: string): DeviceRef | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== TOPIC_ROOT || parts[3] !== 'telemetry') return null;
  const [, tenant, device] = parts as [string, string, string, string];
  if (!SAFE_ID.test(tenant) || !SAFE_ID.test(device)) return null;
  return { tenant, device };
}
