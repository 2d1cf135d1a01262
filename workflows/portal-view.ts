import { getTicket } from '../maintenance/ticket-use-cases.ts';
import type { Caller } from '../platform/caller.ts';
import { type CustomerReplyDeps, verifyLinkToken } from './customer-reply.ts';
import { getWorkflowTicket } from './workflow-ticket-state.ts';

/** What the customer's page (web/views/customer-link.js) shows for a signed link. */
export interface PortalView {
  ticket: { id: string; state: string; outcome: string | null; mode: string };
  device: { id: string; model: string | null; site: string | null };
  language: string;
  plainLanguage: boolean;
  timezone: string;
  message: { subject: string; body: string };
  evidence: string[];
  /** The slots still on offer (empty once a visit is booked or the ticket moved on). */
  slots: { id: string; startsAt: number; endsAt: number; technicianName: string }[];
  visit: { id: string; startsAt: number; endsAt: number; technicianName: string; status: string } | null;
}

/** The page behind a link; PRG_NOT_FOUND for a bad, expired or foreign link. */
export async function portalView(rd: CustomerReplyDeps, token: string): Promise<PortalView> {
  const { deps } = rd;
  const c = verifyLinkToken(rd.links, token);
  const caller: Caller = { kind: 'customer', userId: `link:${c.customerId}`, tenant: c.tenant, customerId: c.customerId };
  const t = await getTicket(deps, caller, c.ticketId);
  const customer = await deps.db.selectFrom('customers').select(['language', 'plain_language', 'timezone']).where('id', '=', t.customerId).executeTakeFirstOrThrow();
  const device = await deps.db
    .selectFrom('devices')
    .leftJoin('sites', 'sites.id', 'devices.site_id')
    .select(['devices.id', 'devices.model', 'sites.name as site'])
    .where('devices.id', '=', t.deviceId)
    .executeTakeFirst();
  const wt = await getWorkflowTicket(deps.db, t.id);
  const visits = await deps.db
    .selectFrom('visits')
    .leftJoin('technicians', (j) => j.onRef('technicians.id', '=', 'visits.technician_id').onRef('technicians.tenant', '=', 'visits.tenant'))
    .select(['visits.id', 'visits.status', 'visits.starts_at', 'visits.ends_at', 'visits.technician_id', 'technicians.name'])
    .where('visits.tenant', '=', t.tenant)
    .where('visits.ticket_id', '=', t.id)
    .execute();
  const stillProposed = new Set(visits.filter((v) => v.status === 'proposed').map((v) => v.id));
  const booked = visits.filter((v) => v.status === 'booked' || v.status === 'done').sort((a, b) => new Date(b.starts_at).getTime() - new Date(a.starts_at).getTime())[0];
  const slots =
    t.state === 'visit_proposed' && wt
      ? wt.offer.slots.filter((s) => stillProposed.has(s.id)).map((s) => ({ id: s.id, startsAt: s.startsAt, endsAt: s.endsAt, technicianName: s.technicianName }))
      : [];
  return {
    ticket: { id: t.id, state: t.state, outcome: t.outcome, mode: t.mode },
    device: { id: t.deviceId, model: device?.model ?? null, site: device?.site ?? null },
    language: customer.language,
    plainLanguage: customer.plain_language,
    timezone: customer.timezone,
    message: wt?.offer.message ? { subject: wt.offer.message.subject, body: wt.offer.message.body } : { subject: t.deviceId, body: '' },
    evidence: wt?.offer.evidence ?? [],
    slots,
    visit: booked
      ? { id: booked.id, startsAt: new Date(booked.starts_at).getTime(), endsAt: new Date(booked.ends_at).getTime(), technicianName: booked.name ?? booked.technician_id, status: booked.status }
      : null,
  };
}
