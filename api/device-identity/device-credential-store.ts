import { randomBytes } from 'node:crypto';
import { SAFE_ID } from '../../ingest/topics.ts';
import type { Clock } from '../../platform/clock.ts';
import { PrognosError } from '../../platform/errors.ts';
import type { Db } from '../../platform/sql/database.ts';
import { credentialUsername, GATEWAY_DEVICE } from './mqtt-acl.ts';
import { mosquittoHash } from './mosquitto-password.ts';

export interface IssuedCredential {
  readonly tenant: string;
  readonly device: string;
  readonly username: string;
  /** Shown once; only its hash is stored. */
  readonly secret: string;
  readonly createdAt: string;
}

export interface CredentialInfo {
  readonly id: number;
  readonly tenant: string;
  readonly device: string;
  readonly username: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface ActiveCredential {
  readonly tenant: string;
  readonly device: string;
  readonly username: string;
  readonly secretHash: string;
}

/**
 * The `device_credentials` table. Issuing a credential revokes the device's earlier ones (a
 * rotation); the secret leaves once, in the issue's answer. Callers check authority first (the
 * API's routes: an engineer of the tenant, or an admin). Whoever holds live connections (the
 * embedded broker) hears of every revocation through {@link onRevoked}.
 */
export class DeviceCredentialStore {
  private readonly revokedListeners = new Set<(username: string) => void>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Called with the username after a revocation or a rotation commits; returns the unsubscribe. */
  onRevoked(listener: (username: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  private revoked(username: string): void {
    for (const listener of this.revokedListeners) listener(username);
  }

  async issue(tenant: string, device: string): Promise<IssuedCredential> {
    if (!SAFE_ID.test(tenant)) throw new PrognosError('PRG_BAD_REQUEST', 'tenant must match [A-Za-z0-9._-]{1,64}');
    if (device !== GATEWAY_DEVICE && !SAFE_ID.test(device)) throw new PrognosError('PRG_BAD_REQUEST', 'device must match [A-Za-z0-9._-]{1,64}');
    const secret = randomBytes(32).toString('base64url');
    const username = credentialUsername(tenant, device);
    const secretHash = await mosquittoHash(secret);
    const now = new Date(this.clock.now());
    const rotated = await this.db.transaction().execute(async (tx) => {
      const old = await tx.updateTable('device_credentials').set({ revoked_at: now }).where('username', '=', username).where('revoked_at', 'is', null).executeTakeFirst();
      await tx.insertInto('device_credentials').values({ tenant, device, username, secret_hash: secretHash, created_at: now }).execute();
      return Number(old.numUpdatedRows) > 0;
    });
    // A connection made with the old secret must not outlive it.
    if (rotated) this.revoked(username);
    return { tenant, device, username, secret, createdAt: now.toISOString() };
  }

  async list(tenant: string, device?: string): Promise<CredentialInfo[]> {
    let q = this.db.selectFrom('device_credentials').select(['id', 'tenant', 'device', 'username', 'created_at', 'revoked_at']).where('tenant', '=', tenant).orderBy('id', 'desc');
    if (device !== undefined) q = q.where('device', '=', device);
    return (await q.execute()).map((r) => ({
      id: Number(r.id),
      tenant: r.tenant,
      device: r.device,
      username: r.username,
      createdAt: new Date(r.created_at).toISOString(),
      revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
    }));
  }

  /** Revokes the device's live credentials; returns how many. */
  async revoke(tenant: string, device: string): Promise<number> {
    const res = await this.db
      .updateTable('device_credentials')
      .set({ revoked_at: new Date(this.clock.now()) })
      .where('tenant', '=', tenant)
      .where('device', '=', device)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const count = Number(res.numUpdatedRows);
    if (count > 0) this.revoked(credentialUsername(tenant, device));
    return count;
  }

  /** The live credential with this username, if any. */
  async findActive(username: string): Promise<ActiveCredential | undefined> {
    const r = await this.db
      .selectFrom('device_credentials')
      .select(['tenant', 'device', 'username', 'secret_hash'])
      .where('username', '=', username)
      .where('revoked_at', 'is', null)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return r && { tenant: r.tenant, device: r.device, username: r.username, secretHash: r.secret_hash };
  }

  /** Every live credential (for the Mosquitto password and ACL files), by username. */
  async allActive(): Promise<ActiveCredential[]> {
    const rows = await this.db.selectFrom('device_credentials').select(['tenant', 'device', 'username', 'secret_hash']).where('revoked_at', 'is', null).orderBy('username').execute();
    return rows.map((r) => ({ tenant: r.tenant, device: r.device, username: r.username, secretHash: r.secret_hash }));
  }
}
