import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Caller, callerLabel } from '../platform/caller.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Database } from '../platform/sql/schema.ts';
import type { MaintenanceWindow } from './alert-policy.ts';

export interface StoredMaintenanceWindow extends MaintenanceWindow {
  id: string;
  createdBy: string;
}

/** Engineers (of the tenant), admins and the system itself may silence a device. */
function assertMaySilence(caller: Caller, tenant: string): void {
  if (caller.kind === 'admin') return;
  if ((caller.kind === 'engineer' || caller.kind === 'system') && caller.tenant === tenant) return;
  throw new PrognosError('PRG_FORBIDDEN', `${callerLabel(caller)} may not manage maintenance windows of tenant ${tenant}`);
}

/** Maintenance windows: while one covers a device, its alerts raise nothing and notify nobody. */
export class MaintenanceWindowStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(caller: Caller, w: MaintenanceWindow): Promise<StoredMaintenanceWindow> {
    assertMaySilence(caller, w.tenant);
    if (!(w.endsAt > w.startsAt)) throw new PrognosError('PRG_BAD_REQUEST', 'a maintenance window must end after it starts');
    const row = { ...w, id: `mw_${randomUUID()}`, createdBy: callerLabel(caller) };
    await this.db
      .insertInto('maintenance_windows')
      .values({ id: row.id, tenant: w.tenant, device: w.device, starts_at: new Date(w.startsAt), ends_at: new Date(w.endsAt), reason: w.reason, created_by: row.createdBy })
      .execute();
    return row;
  }

  async remove(caller: Caller, tenant: string, id: string): Promise<boolean> {
    assertMaySilence(caller, tenant);
    const r = await this.db.deleteFrom('maintenance_windows').where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Windows of a device that overlap [from, to). */
  async forDevice(tenant: string, device: string, from: number, to: number = from + 1): Promise<StoredMaintenanceWindow[]> {
    const rows = await this.db
      .selectFrom('maintenance_windows')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('device', '=', device)
      .where('starts_at', '<', new Date(to))
      .where('ends_at', '>', new Date(from))
      .orderBy('starts_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      tenant: r.tenant,
      device: r.device,
      startsAt: new Date(r.starts_at).getTime(),
      endsAt: new Date(r.ends_at).getTime(),
      reason: r.reason,
      createdBy: r.created_by,
    }));
  }
}
