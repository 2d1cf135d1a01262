import { randomBytes } from 'node:crypto';
import type { Caller } from '../../platform/caller.ts';
import type { Clock } from '../../platform/clock.ts';
import { PrognosError } from '../../platform/errors.ts';
import type { Db } from '../../platform/sql/database.ts';
import { hashPassword, UNUSABLE_PASSWORD_HASH, verifyPassword } from './password-hash.ts';
import { SessionStore } from './session-store.ts';
import { callerOf, type Role, type User, UserStore } from './user-store.ts';

export interface AuthServiceOptions {
  db: Db;
  clock: Clock;
  /** Lifetime of a login's token. Default 12 h. */
  tokenTtlMs?: number;
}

export interface BootstrappedUser {
  readonly username: string;
  readonly role: Role;
  readonly tenant: string | null;
  readonly customerId: string | null;
  /** Shown once; only its hash is stored. */
  readonly password: string;
}

export interface BootstrapOptions {
  /** One password for every bootstrapped user (PROGNOS_BOOTSTRAP_PASSWORD); default: a random one each. */
  password?: string;
  /** Tenant of the demo users. Default `demo`. */
  demoTenant?: string;
  /** Customer id the demo customer is bound to. Default `C-001` (the demo fleet's first customer). */
  demoCustomerId?: string;
}

/** Logins, bearer tokens and the first users. Knows nothing of HTTP. */
export class AuthService {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  /** Lifetime of a login's token. */
  readonly ttlMs: number;

  constructor(o: AuthServiceOptions) {
    this.users = new UserStore(o.db);
    this.sessions = new SessionStore(o.db, o.clock);
    this.ttlMs = o.tokenTtlMs ?? 12 * 3600_000;
  }

  async createUser(u: User & { password: string }): Promise<void> {
    if (u.password.length < 8) throw new PrognosError('PRG_BAD_REQUEST', 'a password needs at least 8 characters');
    await this.users.insert({ ...u, passwordHash: await hashPassword(u.password) });
  }

  /** A token for a right username and password; PRG_UNAUTHENTICATED otherwise (the same for an unknown user). */
  async login(username: string, password: string): Promise<{ token: string; expiresAt: Date; caller: Caller; user: User }> {
    const user = await this.users.find(username);
    // Verify against a dummy for unknown users too, so timing does not tell which usernames exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? UNUSABLE_PASSWORD_HASH);
    if (!user || !ok) throw new PrognosError('PRG_UNAUTHENTICATED', 'wrong username or password');
    const { token, expiresAt } = await this.sessions.issue(user.id, this.ttlMs);
    const { passwordHash: _, ...plain } = user;
    return { token, expiresAt, caller: callerOf(plain), user: plain };
  }

  /** The caller a token stands for, or null when it is unknown or expired. */
  async authenticate(token: string): Promise<{ caller: Caller; user: User } | null> {
    const user = await this.sessions.userOf(token);
    return user ? { caller: callerOf(user), user } : null;
  }

  logout(token: string): Promise<void> {
    return this.sessions.revoke(token);
  }

  /** A token for an existing user without a password (service wiring: the CLI's or a test's admin token). */
  async issueToken(userId: string, ttlMs = this.ttlMs): Promise<string> {
    if (!(await this.users.find(userId))) throw new PrognosError('PRG_NOT_FOUND', `user ${userId}`);
    return (await this.sessions.issue(userId, ttlMs)).token;
  }

  /**
   * On a store without users: creates `admin`, `demo-engineer` (engineer of the demo tenant) and
   * `demo-customer` (customer of it), and returns their passwords for printing once. Returns [] when
   * users exist already.
   */
  async bootstrap(o: BootstrapOptions = {}): Promise<BootstrappedUser[]> {
    if ((await this.users.count()) > 0) return [];
    const tenant = o.demoTenant ?? 'demo';
    const customerId = o.demoCustomerId ?? 'C-001';
    const plan: Omit<BootstrappedUser, 'password'>[] = [
      { username: 'admin', role: 'admin', tenant: null, customerId: null },
      { username: 'demo-engineer', role: 'engineer', tenant, customerId: null },
      { username: 'demo-customer', role: 'customer', tenant, customerId },
    ];
    const created: BootstrappedUser[] = [];
    for (const p of plan) {
      const password = o.password ?? randomBytes(12).toString('base64url');
      await this.createUser({ id: p.username, role: p.role, tenant: p.tenant, customerId: p.customerId, displayName: p.username, password });
      created.push({ ...p, password });
    }
    return created;
  }
}
