import { timingSafeEqual } from 'node:crypto';
import type { BrokerAuth } from '../../platform/mqtt/embedded-broker.ts';
import type { DeviceCredentialStore } from './device-credential-store.ts';
import { identityOf, type MqttIdentity, mayPublish, maySubscribe } from './mqtt-acl.ts';
import { verifyMosquittoHash } from './mosquitto-password.ts';

export interface ServiceCredential {
  /** Must not contain `/` (device usernames always do, so the two never collide). */
  readonly username: string;
  readonly password: string;
}

/**
 * The embedded broker's authenticator: devices and gateways by their issued credentials (the
 * table's `$7$` hash), prognos' own clients by the service credential. Anonymous clients and wrong
 * secrets are refused at CONNECT.
 */
export class DeviceBrokerAuth implements BrokerAuth<MqttIdentity> {
  constructor(
    private readonly store: DeviceCredentialStore,
    private readonly service: ServiceCredential,
  ) {
    if (service.username.includes('/')) throw new Error('the MQTT service username must not contain "/"');
  }

  async authenticate(username: string | undefined, password: Buffer | undefined): Promise<MqttIdentity | null> {
    if (!username || !password) return null;
    if (username === this.service.username) {
      const want = Buffer.from(this.service.password);
      return password.length === want.length && timingSafeEqual(password, want) ? { kind: 'service', username } : null;
    }
    const cred = await this.store.findActive(username);
    if (!cred || !(await verifyMosquittoHash(password.toString('utf8'), cred.secretHash))) return null;
    return identityOf(cred.tenant, cred.device);
  }

  onRevoked(listener: (username: string) => void): () => void {
    return this.store.onRevoked(listener);
  }

  mayPublish(id: MqttIdentity, topic: string): boolean {
    return mayPublish(id, topic);
  }

  maySubscribe(id: MqttIdentity, filter: string): boolean {
    return maySubscribe(id, filter);
  }
}
