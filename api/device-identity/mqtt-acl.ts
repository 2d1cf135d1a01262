import { commandTopic, SAFE_ID, TOPIC_ROOT, telemetryTopic } from '../../ingest/topics.ts';

/**
 * Who is on the other end of an MQTT connection, and the topics each may use. The embedded
 * broker asks {@link mayPublish} / {@link maySubscribe}; the Mosquitto ACL file is written from
 * {@link aclTopics}, so both brokers enforce the same rules.
 *
 *   device  `<tenant>/<device>`  publishes prognos/<tenant>/<device>/telemetry, reads …/<device>/commands
 *   gateway `<tenant>/*`         the same for every device of its tenant (the simulator, a site gateway)
 *   service (MQTT_USERNAME)      prognos itself: ingest, downlink
 */
export type MqttIdentity =
  | { readonly kind: 'device'; readonly tenant: string; readonly device: string }
  | { readonly kind: 'gateway'; readonly tenant: string }
  | { readonly kind: 'service'; readonly username: string };

/** The device id a gateway credential carries. */
export const GATEWAY_DEVICE = '*';

export function credentialUsername(tenant: string, device: string): string {
  return `${tenant}/${device}`;
}

/** The identity a device or gateway credential row stands for. */
export function identityOf(tenant: string, device: string): MqttIdentity {
  return device === GATEWAY_DEVICE ? { kind: 'gateway', tenant } : { kind: 'device', tenant, device };
}

function topicParts(topic: string): string[] | null {
  const p = topic.split('/');
  return p.length === 4 && p[0] === TOPIC_ROOT ? p : null;
}

export function mayPublish(id: MqttIdentity, topic: string): boolean {
  switch (id.kind) {
    case 'service':
      return true;
    case 'device':
      return topic === telemetryTopic(id);
    case 'gateway': {
      const p = topicParts(topic);
      return p !== null && p[1] === id.tenant && SAFE_ID.test(p[2]!) && p[3] === 'telemetry';
    }
  }
}

/** Subscriptions are exact: no wildcard reaches past the caller's own command topic(s). */
export function maySubscribe(id: MqttIdentity, filter: string): boolean {
  switch (id.kind) {
    case 'service':
      return true;
    case 'device':
      return filter === commandTopic(id);
    case 'gateway': {
      const p = topicParts(filter);
      return p !== null && p[1] === id.tenant && (p[2] === '+' || SAFE_ID.test(p[2]!)) && p[3] === 'commands';
    }
  }
}

/** The Mosquitto ACL lines (`topic write|read <filter>`) equivalent to the rules above. */
export function aclTopics(id: MqttIdentity): string[] {
  switch (id.kind) {
    case 'service':
      return [`topic readwrite ${TOPIC_ROOT}/#`];
    case 'device':
      return [`topic write ${telemetryTopic(id)}`, `topic read ${commandTopic(id)}`];
    case 'gateway':
      return [`topic write ${TOPIC_ROOT}/${id.tenant}/+/telemetry`, `topic read ${TOPIC_ROOT}/${id.tenant}/+/commands`];
  }
}
