import type { Caller } from '../../platform/caller.ts';
import type { Db } from '../../platform/sql/database.ts';

export type Role = 'admin' | 'engineer' | 'customer';

export interface User {
  readonly id: string;
  readonly role: Role;
  /** null for admins only. */
  readonly tenant: string | null;
  /** Set for customers only. */
  readonly customerId: string | null;
  readonly displayName: string;
}

export interface NewUser extends User {
  readonly passwordHash: string;
}

/** The `users` table. */
export class UserStore {
  constructor(private readonly db: Db) {}

  async insert(u: NewUser): Promise<void> {
    await this.db
      .insertInto('users')
      .values({ id: u.id, role: u.role, tenant: u.tenant, customer_id: u.customerId, display_name: u.displayName, password_hash: u.passwordHash })
      .execute();
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The user and their password hash, or undefined. */
  async find(id: string): Promise<(User & { passwordHash: string }) | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { ...toUser(r), passwordHash: r.password_hash };
  }
}

export function toUser(r: { id: string; role: string; tenant: string | null; customer_id: string | null; display_name: string }): User {
  return { id: r.id, role: r.role as Role, tenant: r.tenant, customerId: r.customer_id, displayName: r.display_name };
}

/** The {@link Caller} a user acts as; the table's check constraint guarantees the fields each role needs. */
export function callerOf(u: User): Caller {
  switch (u.role) {
    case 'admin':
      return { kind: 'admin', userId: u.id };
    case 'engineer':
      return { kind: 'engineer', userId: u.id, tenant: u.tenant! };
    case 'customer':
      return { kind: 'customer', userId: u.id, tenant: u.tenant!, customerId: u.customerId! };
  }
}
