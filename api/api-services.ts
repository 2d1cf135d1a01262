import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/sql/database.ts';
import { AuthService, type BootstrappedUser } from './auth/auth-service.ts';
import { DeviceBrokerAuth, type ServiceCredential } from './device-identity/device-broker-auth.ts';
import { DeviceCredentialStore } from './device-identity/device-credential-store.ts';
import { LiveEvents } from './live-events.ts';

export interface ApiServices {
  readonly auth: AuthService;
  readonly credentials: DeviceCredentialStore;
  readonly events: LiveEvents;
  /** For the embedded broker (IngestService's `brokerAuth`); undefined with MQTT_AUTH=off or an external broker. */
  readonly brokerAuth: DeviceBrokerAuth | undefined;
  /**
   * prognos' own MQTT user: MQTT_USERNAME/MQTT_PASSWORD, or (embedded broker, none configured)
   * `prognos-service` with a random password of this process, for in-process clients (downlink).
   */
  readonly mqttService: ServiceCredential;
  /** Users created on this start (first start only), with their one-time passwords, to print once. */
  readonly bootstrapped: readonly BootstrappedUser[];
}

/**
 * The API's stateful parts over the one SQL handle, and the first users on an empty store
 * (admin, demo-engineer, demo-customer of tenant `demo`; PROGNOS_BOOTSTRAP_PASSWORD or a random
 * password each).
 */
export async function startApiServices(o: { config: Config; db: Db; clock: Clock }): Promise<ApiServices> {
  const { config, db, clock } = o;
  const auth = new AuthService({ db, clock, tokenTtlMs: config.api.tokenTtlMs });
  const credentials = new DeviceCredentialStore(db, clock);
  const events = new LiveEvents(() => clock.now());
  const mqttService: ServiceCredential = {
    username: config.mqtt.username ?? 'prognos-service',
    password: config.mqtt.password ?? randomBytes(24).toString('base64url'),
  };
  const brokerAuth = config.mqtt.auth && !config.mqtt.url ? new DeviceBrokerAuth(credentials, mqttService) : undefined;
  const bootstrapped = await auth.bootstrap({ password: config.api.bootstrapPassword });
  return { auth, credentials, events, brokerAuth, mqttService, bootstrapped };
}
