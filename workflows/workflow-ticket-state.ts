import type { Kysely } from 'kysely';
import type { MessageBlock } from '../alerts/messages/message-blocks.ts';
import type { Database } from '../platform/sql/schema.ts';

/**
 * The workflow's memory per ticket (table `workflow_tickets`): which planning round is current
 * (jobs of an older round find themselves stale and do nothing), what was offered in it, and
 * why a person took over.
 */

export type WorkflowPhase = 'planning' | 'offered' | 'awaiting_engineer' | 'handed_off' | 'booked' | 'done';

export interface OfferedSlot {
  id: string;
  technicianId: string;
  technicianName: string;
  startsAt: number;
  endsAt: number;
  reason: string;
}

export interface Offer {
  slots: OfferedSlot[];
  deadline: number | null;
  /** Why no slots, or the planner's note. */
  reason?: string;
  /** Message subject/body as sent in this round (the portal shows them). */
  message?: { subject: string; body: string; blocks?: MessageBlock[] };
  evidence?: string[];
  /** Decisions on the customer's replies so far, oldest first (the reply parser counts repeated dissatisfaction). */
  replies?: ('confirm' | 'reschedule' | 'decline' | 'opt_out' | 'clarify' | 'handoff')[];
  /** Channel steps tried in this round's escalation (0 = the first message). */
  escalationStep?: number;
}

export interface WorkflowTicket {
  ticketId: string;
  tenant: string;
  round: number;
  phase: WorkflowPhase;
  offer: Offer;
  handoffReason: string | null;
}

const parse = (v: unknown): Offer => (typeof v === 'string' ? JSON.parse(v) : (v as Offer)) ?? { slots: [], deadline: null };

export async function getWorkflowTicket(db: Kysely<Database>, ticketId: string): Promise<WorkflowTicket | undefined> {
  const r = await db.selectFrom('workflow_tickets').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst();
  return r && { ticketId: r.ticket_id, tenant: r.tenant, round: r.round, phase: r.phase as WorkflowPhase, offer: parse(r.offer), handoffReason: r.handoff_reason };
}

/** Creates the row (round 0) if missing. */
export async function ensureWorkflowTicket(db: Kysely<Database>, tenant: string, ticketId: string, now: number): Promise<WorkflowTicket> {
  await db
    .insertInto('workflow_tickets')
    .values({ ticket_id: ticketId, tenant, round: 0, phase: 'planning', offer: JSON.stringify({ slots: [], deadline: null }), handoff_reason: null, updated_at: new Date(now) })
    .onConflict((oc) => oc.column('ticket_id').doNothing())
    .execute();
  return (await getWorkflowTicket(db, ticketId))!;
}

/** Starts a new planning round and returns its number. */
export async function nextRound(db: Kysely<Database>, tenant: string, ticketId: string, now: number): Promise<number> {
  await ensureWorkflowTicket(db, tenant, ticketId, now);
  const r = await db
    .updateTable('workflow_tickets')
    .set((eb) => ({ round: eb('round', '+', 1), phase: 'planning', updated_at: new Date(now) }))
    .where('ticket_id', '=', ticketId)
    .returning('round')
    .executeTakeFirstOrThrow();
  return r.round;
}

export async function updateWorkflowTicket(
  db: Kysely<Database>,
  ticketId: string,
  now: number,
  change: { phase?: WorkflowPhase; offer?: Offer; handoffReason?: string | null; onlyRound?: number },
): Promise<boolean> {
  let q = db.updateTable('workflow_tickets').set({
    updated_at: new Date(now),
    ...(change.phase !== undefined ? { phase: change.phase } : {}),
    ...(change.offer !== undefined ? { offer: JSON.stringify(change.offer) } : {}),
    ...(change.handoffReason !== undefined ? { handoff_reason: change.handoffReason } : {}),
  });
  q = q.where('ticket_id', '=', ticketId);
  if (change.onlyRound !== undefined) q = q.where('round', '=', change.onlyRound);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
