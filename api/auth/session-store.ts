import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/sql/database.ts';
import { toUser, type User } from './user-store.ts';

/** sha256 of a bearer token: the table never holds a usable token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The `api_tokens` table: one row per login, looked up by the token's hash. */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** A new token for the user (256 random bits, base64url); returned once, stored hashed. */
  async issue(userId: string, ttlMs: number): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = new Date(now + ttlMs);
    await this.db.insertInto('api_tokens').values({ token_hash: tokenHash(token), user_id: userId, created_at: new Date(now), expires_at: expiresAt }).execute();
    return { token, expiresAt };
  }

  /** The user a live token belongs to, or undefined (unknown or expired). */
  async userOf(token: string): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select(['users.id', 'users.role', 'users.tenant', 'users.customer_id', 'users.display_name'])
      .where('api_tokens.token_hash', '=', tokenHash(token))
      .where('api_tokens.expires_at', '>', new Date(this.clock.now()))
      .executeTakeFirst();
    return r && toUser(r);
  }

  async revoke(token: string): Promise<void> {
    await this.db.deleteFrom('api_tokens').where('token_hash', '=', tokenHash(token)).execute();
  }

  /** Removes expired rows (housekeeping; expired tokens are refused either way). */
  async purgeExpired(): Promise<number> {
    const res = await this.db.deleteFrom('api_tokens').where('expires_at', '<=', new Date(this.clock.now())).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
