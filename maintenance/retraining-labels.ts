import type { Caller } from '../platform/caller.ts';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Db } from '../platform/sql/database.ts';
import { listTenant } from './caller-scope.ts';
import { listDevices } from './fleet-registry.ts';
import type { Outcome } from './ticket-state.ts';

/**
 * What the models side retrains on from the field: the technicians' close-outs (view
 * `retraining_labels`) of tickets whose outcome was verified, with the device's equipment type,
 * and the devices they belong to. Read by `prognos train export-field` through the API
 * (`GET /api/v1/models/retraining-labels`), because PGlite serves one process.
 */

/**
 * Outcomes whose close-out is a label. `resolved_verified`: the visit was done and the repair
 * verified (post-visit risk under the exit threshold, or an engineer's reasoned confirmation).
 * `no_fault_found`: the visit was done (ticket-state.ts refuses it otherwise) and the technician
 * found nothing on site, which is a verified false alarm. Not labels: `false_alarm` (may close
 * from the desk without anyone looking), `repeat_within_14d` (the alert came back, so the
 * close-out's finding is doubtful), `customer_unreachable` and `abandoned` (no inspection), and
 * any ticket not closed yet (its close-out may still be corrected).
 */
export const VERIFIED_OUTCOMES = ['resolved_verified', 'no_fault_found'] as const satisfies readonly Outcome[];

export interface RetrainingLabel {
  tenant: string;
  deviceId: string;
  equipmentType: string;
  /** The mode the ticket was opened for (the prediction). */
  mode: string;
  /** The technician found the predicted mode. */
  confirmed: boolean;
  /** The mode the technician found; null when nothing was wrong. */
  confirmedMode: string | null;
  /** When the close-out was recorded (ISO 8601). */
  at: string;
  ticketId: string;
  outcome: Outcome;
}

/** A device of the field fleet, as training needs it. */
export interface TrainingDevice {
  tenant: string;
  id: string;
  equipmentType: string;
  model: string;
  installedAt: string;
}

export interface RetrainingLabelsInput {
  /** Admins: one tenant, or all when absent; engineers: their own only. */
  tenant?: string;
  /** Close-outs at or after (epoch ms). */
  sinceMs?: number;
  /** Close-outs before (epoch ms). */
  untilMs?: number;
}

/**
 * The verified labels (oldest first) and the devices in the caller's scope. Admins and
 * engineers (their tenant) only: customers never read other equipment's labels, and the
 * engineers of one tenant never another's (PRG_FORBIDDEN when they name it).
 */
export async function listRetrainingLabels(
  deps: { db: Db; clock: Clock },
  caller: Caller,
  input: RetrainingLabelsInput = {},
): Promise<{ labels: RetrainingLabel[]; devices: TrainingDevice[] }> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers do not read retraining labels');
  const tenant = listTenant(caller, input.tenant);
  let q = deps.db
    .selectFrom('retraining_labels as l')
    .innerJoin('tickets as t', 't.id', 'l.ticket_id')
    .innerJoin('devices as d', 'd.id', 'l.device_id')
    .select(['l.tenant', 'l.device_id', 'd.equipment_type', 'l.mode', 'l.confirmed', 'l.confirmed_mode', 'l.at', 'l.ticket_id', 't.outcome'])
    .where('t.state', '=', 'closed')
    .where('t.outcome', 'in', VERIFIED_OUTCOMES);
  if (tenant !== undefined) q = q.where('l.tenant', '=', tenant);
  if (input.sinceMs !== undefined) q = q.where('l.at', '>=', new Date(input.sinceMs));
  if (input.untilMs !== undefined) q = q.where('l.at', '<', new Date(input.untilMs));
  const rows = await q.orderBy('l.at').orderBy('l.ticket_id').execute();
  const devices = await listDevices(deps, caller, { tenant });
  return {
    labels: rows.map((r) => ({
      tenant: r.tenant,
      deviceId: r.device_id,
      equipmentType: r.equipment_type,
      mode: r.mode,
      confirmed: r.confirmed,
      confirmedMode: r.confirmed_mode,
      at: new Date(r.at).toISOString(),
      ticketId: r.ticket_id,
      outcome: r.outcome as Outcome,
    })),
    devices: devices.map((d) => ({ tenant: d.tenant, id: d.id, equipmentType: d.equipmentType, model: d.model, installedAt: d.installedAt })),
  };
}
