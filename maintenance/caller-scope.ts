import type { Caller } from '../platform/caller.ts';
import { PrognosError } from '../platform/errors.ts';

/**
 * What a caller may see and change in the fleet registry and the tickets: an admin everything,
 * an engineer and the system their tenant, a customer only their own customer's rows (read).
 * Reads of another tenant's or customer's row answer PRG_NOT_FOUND, so ids do not leak;
 * asking to list or change another tenant answers PRG_FORBIDDEN.
 */

export interface Owned {
  tenant: string;
  /** The customer the row belongs to; null for rows of the tenant itself (technicians). */
  customerId: string | null;
}

export function canRead(caller: Caller, row: Owned): boolean {
  switch (caller.kind) {
    case 'admin':
      return true;
    case 'engineer':
    case 'system':
      return caller.tenant === row.tenant;
    case 'customer':
      return caller.tenant === row.tenant && row.customerId !== null && caller.customerId === row.customerId;
  }
}

/** Throws PRG_NOT_FOUND when the row is missing or the caller may not see it. */
export function readable<T extends Owned>(caller: Caller, row: T | undefined, what: string): T {
  if (!row || !canRead(caller, row)) throw new PrognosError('PRG_NOT_FOUND', what);
  return row;
}

/**
 * The tenant a list is scoped to: an admin may name any (or none: all tenants), the others get
 * their own and PRG_FORBIDDEN for naming another.
 */
export function listTenant(caller: Caller, asked: string | undefined): string | undefined {
  if (caller.kind === 'admin') return asked;
  if (asked !== undefined && asked !== caller.tenant) throw new PrognosError('PRG_FORBIDDEN', `tenant ${asked}`);
  return caller.tenant;
}

/** The customer a list is narrowed to (customers see only their own). */
export function listCustomer(caller: Caller, asked: string | undefined): string | undefined {
  if (caller.kind !== 'customer') return asked;
  if (asked !== undefined && asked !== caller.customerId) throw new PrognosError('PRG_FORBIDDEN', `customer ${asked}`);
  return caller.customerId;
}

/** Changes to a tenant's registry or tickets: admins, that tenant's engineers, and the system. */
export function assertCanWrite(caller: Caller, tenant: string): void {
  if (caller.kind === 'admin') return;
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers cannot change this');
  if (caller.tenant !== tenant) throw new PrognosError('PRG_FORBIDDEN', `tenant ${tenant}`);
}
