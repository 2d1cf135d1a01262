import type { EpisodeService } from '../alerts/episode-service.ts';
import type { AlertPolicyOptions } from '../alerts/alert-policy.ts';
import type { CustomerLinks } from '../alerts/notify/customer-links.ts';
import type { NotificationChannel } from '../alerts/notify/notification-channel.ts';
import type { NotificationOutbox } from '../alerts/notify/outbox.ts';
import { type ChannelName, type Recipient, recipientFromCustomer } from '../alerts/notify/recipient.ts';
import type { VisitFlowOptions } from './visit-use-cases.ts';
import type { Ticket } from '../maintenance/ticket-store.ts';
import type { Caller } from '../platform/caller.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import { PrognosError } from '../platform/errors.ts';

/** What a simulator (or a field-service integration) does when a visit starts. */
export type VisitExecutor = (v: { tenant: string; device: string; modes: readonly string[]; visitId: string }) => Promise<void> | void;

export interface WorkflowNotify {
  /** The channels messages go out on; the engine starts and stops them. */
  channels: Partial<Record<ChannelName, NotificationChannel>>;
  /** Signs the links in messages (PROGNOS_LINK_SECRET). */
  links: CustomerLinks;
  outbox: NotificationOutbox;
}

export interface WorkflowOptions {
  /**
   * Hours without an answer before each escalation step after a proactive message: step 1
   * sends it again on the next channel, step 2 hands the ticket to a person (tier → human),
   * step 3 closes it `customer_unreachable`. Default [24, 24, 48].
   */
  escalationHours?: readonly [number, number, number];
  /** Verification attempts after the first before a person must look (default 3), and hours between them (default 6). */
  verifyRetries?: number;
  verifyRetryHours?: number;
  /** Reminder lead, verification delay, visit length (visit-use-cases.ts VISIT_FLOW_DEFAULTS). */
  visit?: VisitFlowOptions;
  /** The alert policy's options (for the exit threshold verification compares with); same as the EpisodeService's. */
  alertPolicy?: AlertPolicyOptions;
  /** Printed in every message. Default `+44 20 7946 0000`. */
  supportPhone?: string;
  /** Jobs run at once per worker. Default 4. */
  concurrency?: number;
  /** Real ms between workflow-outbox relay passes. Default 500. */
  relayPollMs?: number;
  /** Real ms between notification-outbox polls when idle. Default 1000. */
  dispatchPollMs?: number;
  /** What this process runs (the API process may want none of it). Default all true. */
  roles?: { processors?: boolean; dispatcher?: boolean; relay?: boolean };
}

export const WORKFLOW_DEFAULTS = {
  escalationHours: [24, 24, 48] as readonly [number, number, number],
  verifyRetries: 3,
  verifyRetryHours: 6,
  supportPhone: '+44 20 7946 0000',
};

/** What every processor gets. */
export interface WorkflowContext {
  readonly deps: DomainDeps;
  readonly notify: WorkflowNotify;
  readonly episodes: EpisodeService;
  readonly visitExecutor?: VisitExecutor;
  readonly options: WorkflowOptions & typeof WORKFLOW_DEFAULTS;
  /** Asks the relay to move freshly written workflow-outbox rows to BullMQ now. */
  kick(): void;
}

export function systemCaller(tenant: string, reason = 'workflow'): Caller {
  return { kind: 'system', tenant, reason };
}

export function publish(ctx: WorkflowContext, type: string, t: Pick<Ticket, 'id' | 'tenant' | 'customerId' | 'deviceId' | 'mode'>, data: Record<string, unknown> = {}): void {
  try {
    ctx.deps.events.publish({ type, tenant: t.tenant, customerId: t.customerId, data: { ticketId: t.id, deviceId: t.deviceId, mode: t.mode, ...data } });
  } catch (err) {
    ctx.deps.logger.warn({ err, type }, 'live event not published');
  }
}

export interface CustomerView {
  recipient: Recipient;
  deviceLabel: string;
  equipmentType: string;
}

/** The ticket's customer (as a recipient) and how they know the device. */
export async function customerView(ctx: WorkflowContext, t: Pick<Ticket, 'tenant' | 'customerId' | 'deviceId'>): Promise<CustomerView> {
  const c = await ctx.deps.db.selectFrom('customers').selectAll().where('id', '=', t.customerId).where('tenant', '=', t.tenant).executeTakeFirst();
  if (!c) throw new PrognosError('PRG_NOT_FOUND', `customer ${t.customerId}`);
  const d = await ctx.deps.db
    .selectFrom('devices')
    .innerJoin('sites', 'sites.id', 'devices.site_id')
    .select(['devices.id', 'devices.model', 'devices.equipment_type', 'sites.name as site'])
    .where('devices.id', '=', t.deviceId)
    .executeTakeFirst();
  return {
    recipient: recipientFromCustomer(c),
    deviceLabel: d ? `${d.id} (${d.site})` : t.deviceId,
    equipmentType: d?.equipment_type ?? 'unknown',
  };
}

/** Channels a message can go on for this recipient, preferred first (those configured and with an address). */
export function channelsFor(ctx: WorkflowContext, r: Recipient): ChannelName[] {
  const usable = (c: ChannelName) =>
    ctx.notify.channels[c] !== undefined && (c === 'email' ? r.email !== null : c === 'webhook' ? r.webhookUrl !== null : true);
  const order: ChannelName[] = [r.preferredChannel, ...(['email', 'webhook', 'mqtt'] as const).filter((c) => c !== r.preferredChannel)];
  return order.filter(usable);
}
