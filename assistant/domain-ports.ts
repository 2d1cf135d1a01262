import { createHash, randomUUID } from 'node:crypto';
import { notificationFor } from '../alerts/notify/proactive-notification.ts';
import { NotificationOutbox } from '../alerts/notify/outbox.ts';
import { recipientFromCustomer } from '../alerts/notify/recipient.ts';
import { telemetrySummary as readTelemetrySummary } from '../ingest/telemetry-reader.ts';
import { TELEMETRY_MEASUREMENT } from '../ingest/line-protocol.ts';
import { type DeviceRecord, getDevice } from '../maintenance/fleet-registry.ts';
import { deviceStatus as deviceStatusUseCase, fleetOverview } from '../maintenance/fleet-overview.ts';
import { canRead } from '../maintenance/caller-scope.ts';
import { bookVisit, cancelVisit as cancelVisitUseCase, proposeSlotsForTicket, rescheduleVisit as rescheduleVisitUseCase, type SlotInput, slotId } from '../workflows/visit-use-cases.ts';
import { VisitStore, type Visit as StoredVisit } from '../maintenance/visit-store.ts';
import { getTicket as getTicketUseCase, getTicketAudit, listTickets as listTicketsUseCase, transitionTicket } from '../maintenance/ticket-use-cases.ts';
import type { Ticket as DomainTicket } from '../maintenance/ticket-store.ts';
import { latestPrediction as readLatestPrediction } from '../models/prediction-writer.ts';
import type { Prediction } from '../models/prediction.ts';
import { type Caller, callerLabel } from '../platform/caller.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import { PrognosError } from '../platform/errors.ts';
import type {
  AssistantPorts,
  DeviceStatus,
  DeviceSummary,
  FleetOverview,
  HandOffInput,
  HandOffReceipt,
  MessageDraft,
  SensorStats,
  SentMessage,
  Ticket,
  TicketFilter,
  TicketSummary,
  TelemetrySummary,
  TelemetryWindow,
  Visit,
  VisitSlot,
} from './assistant-ports.ts';

/**
 * {@link AssistantPorts} bound to the product's real use-cases on the real schema: the fleet
 * registry, the telemetry and prediction history in InfluxDB, tickets, the visit planner and
 * store, the notification outbox. Every port runs as the caller; authority comes from the
 * use-cases (caller-scope.ts): a customer reaches only their own devices and tickets, anything
 * else is PRG_NOT_FOUND. Where a step needs more than a customer may do themselves (booking a
 * visit they confirmed, escalating to a person), it runs as the tenant's `system` caller, and
 * only after the customer's own read of that ticket succeeded.
 */

export interface DomainPortsOptions {
  /** How long a visit takes on site when nothing better is known, minutes. Default 120. */
  visitMinutes?: number;
  /** Most slots offered at once. Default 3 (more make the choice and the reply harder). */
  maxSlots?: number;
  /** A device with no reading for this long is `silent`, ms. Default 30 min. */
  silentAfterMs?: number;
  /** Who takes hand-offs (shown to the user). Default `service-desk`. */
  handOffQueue?: string;
}

const DAY = 86_400_000;

export function createDomainPorts(deps: DomainDeps, extra: DomainPortsOptions = {}): AssistantPorts {
  const visitMinutes = extra.visitMinutes ?? 120;
  const maxSlots = extra.maxSlots ?? 3;
  const silentAfterMs = extra.silentAfterMs ?? 30 * 60_000;
  const queue = extra.handOffQueue ?? 'service-desk';
  const visits = new VisitStore(deps.db, deps.clock);
  const outbox = new NotificationOutbox(deps.db, deps.clock);
  const systemFor = (tenant: string, caller: Caller): Caller => ({ kind: 'system', tenant, reason: `assistant for ${callerLabel(caller)}` });

  async function prediction(d: DeviceRecord): Promise<Prediction | null> {
    return readLatestPrediction(deps.influx, d.tenant, d.id);
  }

  async function lastSeen(d: { tenant: string; device: string }): Promise<number | null> {
    const [s] = await deps.influx.query(`SELECT * FROM "${TELEMETRY_MEASUREMENT}" WHERE "tenant" = '${d.tenant}' AND "device" = '${d.device}' ORDER BY time DESC LIMIT 1`);
    const t = s?.values[0]?.[0];
    return typeof t === 'number' ? t : null;
  }

  /** HW2's fleet view mapped to what the tools show; open tickets counted per device. */
  async function summaries(caller: Caller, only?: string): Promise<(DeviceSummary & { lastSeenMs: number | null })[]> {
    const fleet = (await fleetOverview(deps, caller)).filter((d) => only === undefined || d.device === only);
    const open = await listTicketsUseCase(deps, caller, { active: true, limit: 1000, ...(only ? { deviceId: only } : {}) });
    return fleet.map((d) => {
      const silent = d.inGap || (d.lastSeen !== null && deps.clock.now() - d.lastSeen > silentAfterMs);
      const health = silent ? 'silent' : d.status === 'no_prediction' || d.status === 'insufficient_data' ? 'unknown' : d.status === 'at_risk' ? 'at_risk' : d.topRisk && d.topRisk.risk >= d.topRisk.threshold / 2 ? 'watch' : 'ok';
      return {
        device: d.device,
        name: `${d.name} (${d.siteName})`,
        equipmentType: d.equipmentType,
        customerId: d.customerId,
        health,
        topRisk: d.topRisk?.risk ?? null,
        topMode: d.topRisk?.mode ?? null,
        openTickets: open.filter((t) => t.deviceId === d.device).length,
        lastSeenMs: d.lastSeen,
      };
    });
  }

  async function visitOf(caller: Caller, t: DomainTicket): Promise<Visit | null> {
    const all = await visits.forTicket(systemFor(t.tenant, caller), t.tenant, t.id);
    const booked = all.filter((v) => v.status === 'booked').sort((a, b) => a.startsAt - b.startsAt)[0];
    return booked ? await toPortVisit(t.tenant, booked) : null;
  }

  async function toPortVisit(tenant: string, v: StoredVisit): Promise<Visit> {
    const tech = await deps.db.selectFrom('technicians').select('name').where('id', '=', v.technicianId).where('tenant', '=', tenant).executeTakeFirst();
    return {
      id: v.id,
      ticketId: v.ticketId ?? '',
      start: new Date(v.startsAt).toISOString(),
      end: new Date(v.endsAt).toISOString(),
      engineer: engineerLabel(tech?.name ?? v.technicianId, v.technicianId),
      status: v.status === 'booked' ? 'scheduled' : v.status,
    };
  }

  async function toSummary(caller: Caller, t: DomainTicket): Promise<TicketSummary> {
    return { id: t.id, device: t.deviceId, customerId: t.customerId, title: `${t.mode} risk`, status: t.state, priority: t.severity, tier: t.tier, openedAt: t.openedAt, visit: await visitOf(caller, t) };
  }

  /** A slot as the visit use-cases take it: the technician from "Name [id]", the id derived like the planner's. */
  async function slotInput(tenant: string, ticketId: string, slot: VisitSlot): Promise<SlotInput> {
    const technicianId = await technicianOf(tenant, slot.engineer);
    const startsAt = Date.parse(slot.start);
    const endsAt = Date.parse(slot.end);
    if (!(endsAt > startsAt)) throw new PrognosError('PRG_BAD_REQUEST', 'a slot must end after it starts');
    return { id: slotId(ticketId, technicianId, startsAt, endsAt), technicianId, startsAt, endsAt };
  }

  async function technicianOf(tenant: string, engineer: string): Promise<string> {
    const id = /\[([^\]]+)\]\s*$/.exec(engineer)?.[1] ?? engineer;
    const rows = await deps.db.selectFrom('technicians').select(['id', 'name']).where('tenant', '=', tenant).execute();
    const hit = rows.find((r) => r.id === id) ?? rows.find((r) => r.name === engineer.trim());
    if (!hit) throw new PrognosError('PRG_BAD_REQUEST', `no technician ${engineer}`);
    return hit.id;
  }

  return {
    async fleetOverview(caller) {
      const devices = (await summaries(caller)).map(({ lastSeenMs: _, ...d }) => d);
      return { tenant: caller.kind === 'admin' ? '*' : caller.tenant, devices } satisfies FleetOverview;
    },

    async deviceStatus(caller, device): Promise<DeviceStatus> {
      const status = await deviceStatusUseCase(deps, caller, device);
      const [summary] = await summaries(caller, status.device.id);
      if (!summary) throw new PrognosError('PRG_NOT_FOUND', `device ${device}`);
      const { lastSeenMs, ...rest } = summary;
      const now = deps.clock.now();
      const ref = { tenant: status.device.tenant, device: status.device.id };
      const t = await readTelemetrySummary(deps.influx, ref, { from: now - DAY, to: now + 1 });
      const latest = Object.entries(t.metrics).map(([sensor, m]) => ({ sensor, value: round(m.last), unit: null }));
      // Ingest's liveness first; without it (e.g. data written by an import), the newest reading.
      const seen = lastSeenMs ?? (await lastSeen(ref));
      const silent = rest.health === 'silent' || (seen !== null && now - seen > silentAfterMs);
      return { ...rest, health: silent ? 'silent' : rest.health, lastSeen: seen === null ? null : new Date(seen).toISOString(), silent, latest };
    },

    async telemetrySummary(caller, device, window: TelemetryWindow): Promise<TelemetrySummary> {
      const d = await getDevice(deps, caller, device);
      const from = Date.parse(window.from);
      const to = Date.parse(window.to);
      if (!(to > from)) throw new PrognosError('PRG_BAD_REQUEST', 'the window must end after it starts');
      const s = await readTelemetrySummary(deps.influx, { tenant: d.tenant, device: d.id }, { from, to });
      const hours = (to - from) / 3_600_000;
      const sensors: SensorStats[] = Object.entries(s.metrics).map(([sensor, m]) => {
        // A change over the window smaller than a tenth of the spread (or 1 % of the level) is noise.
        const change = m.slopePerHour * hours;
        const noise = Math.max(m.stddev * 0.5, Math.abs(m.mean) * 0.01, 1e-9);
        const trend = Math.abs(change) < noise ? 'flat' : change > 0 ? 'rising' : 'falling';
        return { sensor, unit: null, count: m.count, min: round(m.min), max: round(m.max), mean: round(m.mean), last: round(m.last), slopePerHour: round(m.slopePerHour), trend };
      });
      const gaps = s.gaps.map((g) => ({ from: new Date(g.from).toISOString(), to: new Date(g.to).toISOString(), minutes: Math.round((g.to - g.from) / 60_000) }));
      return { device: d.id, window, sensors, gaps };
    },

    async latestPrediction(caller, device) {
      return prediction(await getDevice(deps, caller, device));
    },

    async listTickets(caller, filter: TicketFilter) {
      const status = filter.status ?? 'open';
      const rows = await listTicketsUseCase(deps, caller, { deviceId: filter.device, active: status === 'open' ? true : undefined, state: status === 'closed' ? 'closed' : undefined });
      const out: TicketSummary[] = [];
      for (const t of rows) out.push(await toSummary(caller, t));
      return out;
    },

    async getTicket(caller, ticketId): Promise<Ticket> {
      const t = await getTicketUseCase(deps, caller, ticketId);
      const audit = await getTicketAudit(deps, caller, ticketId);
      const note = audit.map((a) => a.reason).filter(Boolean).join('\n');
      const customerMessages = audit.flatMap((a) => {
        const text = (a.detail as { customerMessage?: unknown } | null)?.customerMessage;
        return typeof text === 'string' ? [{ at: a.at, text }] : [];
      });
      return { ...(await toSummary(caller, t)), note, failureMode: t.mode, customerMessages };
    },

    async proposeVisitSlots(caller, ticketId): Promise<VisitSlot[]> {
      const t = await getTicketUseCase(deps, caller, ticketId);
      const plan = await proposeSlotsForTicket(deps, caller, t.id, { visitMinutes });
      const offered = plan.slots.slice(0, maxSlots);
      // Recorded as offered (proposals block nobody): a customer may book only a slot offered to them.
      const system = systemFor(t.tenant, caller);
      for (const s of offered) await visits.propose(system, { id: s.id, tenant: t.tenant, ticketId: t.id, device: t.deviceId, technicianId: s.technicianId, startsAt: s.startsAt, endsAt: s.endsAt });
      return offered.map((s) => ({ start: new Date(s.startsAt).toISOString(), end: new Date(s.endsAt).toISOString(), engineer: engineerLabel(s.technicianName, s.technicianId) }));
    },

    async scheduleVisit(caller, input) {
      const t = await getTicketUseCase(deps, caller, input.ticketId);
      const r = await bookVisit(deps, caller, { ticketId: t.id, slot: await slotInput(t.tenant, t.id, input.slot) }, { visitMinutes });
      return toPortVisit(t.tenant, r.visit);
    },

    async rescheduleVisit(caller, input) {
      const t = await getTicketUseCase(deps, caller, input.ticketId);
      const r = await rescheduleVisitUseCase(deps, caller, { ticketId: t.id, visitId: input.visitId, slot: await slotInput(t.tenant, t.id, input.slot) }, { visitMinutes });
      return toPortVisit(t.tenant, r.visit);
    },

    async cancelVisit(caller, input) {
      const t = await getTicketUseCase(deps, caller, input.ticketId);
      const r = await cancelVisitUseCase(deps, caller, { ticketId: t.id, visitId: input.visitId, reason: input.reason });
      if (!r.visit) throw new PrognosError('PRG_NOT_FOUND', `visit ${input.visitId}`);
      return toPortVisit(t.tenant, r.visit);
    },

    async draftCustomerMessage(caller, input): Promise<MessageDraft> {
      if (caller.kind === 'customer') throw new PrognosError('PRG_NOT_FOUND', 'message drafts');
      const t = await getTicketUseCase(deps, caller, input.ticketId);
      const c = await deps.db.selectFrom('customers').selectAll().where('id', '=', t.customerId).executeTakeFirstOrThrow();
      const zh = input.language === 'zh-CN';
      const subject = zh ? `关于您的设备 ${t.deviceId}（工单 ${t.id}）` : `About your equipment ${t.deviceId} (ticket ${t.id})`;
      const body = zh ? `${c.name}，您好：\n\n${input.intent}\n\n此致\n服务团队` : `Dear ${c.name},\n\n${input.intent}\n\nKind regards,\nThe service team`;
      return { ticketId: t.id, to: c.contact_email ?? c.webhook_url ?? c.id, subject, body, language: input.language };
    },

    async sendCustomerMessage(caller, input): Promise<SentMessage> {
      if (caller.kind === 'customer') throw new PrognosError('PRG_NOT_FOUND', 'messages');
      const t = await getTicketUseCase(deps, caller, input.ticketId);
      if (caller.kind !== 'admin' && caller.tenant !== t.tenant) throw new PrognosError('PRG_NOT_FOUND', `ticket ${t.id}`);
      const row = await deps.db.selectFrom('customers').selectAll().where('id', '=', t.customerId).executeTakeFirstOrThrow();
      const recipient = recipientFromCustomer(row);
      const language = recipient.language === 'zh-CN' ? 'zh-CN' : 'en';
      // Same conversation, same message: a retried confirmation enqueues once.
      const digest = createHash('sha256').update(`${input.ticketId}\n${input.subject}\n${input.body}`).digest('hex').slice(0, 16);
      const dedupeKey = `assistant:${input.conversationId ?? 'none'}:${digest}`;
      const n = notificationFor({
        recipient,
        ticketId: t.id,
        kind: 'proactive',
        dedupeKey,
        deviceId: t.deviceId,
        message: { language, plain: recipient.plainLanguage, subject: input.subject, blocks: [], text: input.body, html: `<p>${escapeHtml(input.body).replace(/\n/g, '<br>')}</p>`, offeredSlotIds: [] },
      });
      const r = await outbox.enqueue(n);
      return { id: r.id, ticketId: t.id, sentAt: new Date(deps.clock.now()).toISOString() };
    },

    async handOff(caller, input: HandOffInput): Promise<HandOffReceipt> {
      const detail = { conversationId: input.conversationId, reason: input.reason, transcript: input.transcript, context: input.context, requestedBy: callerLabel(caller) };
      const ticket = await handOffTicket(caller, input);
      if (ticket) {
        // Customers cannot move tickets; the product escalates on their behalf.
        await transitionTicket(deps, systemFor(ticket.tenant, caller), { ticketId: ticket.id, action: { kind: 'escalate' }, reason: `assistant hand-off: ${input.reason}`.slice(0, 2000), detail });
        return { id: `${ticket.id}:escalated`, queue };
      }
      const id = `handoff_${randomUUID()}`;
      const tenant = caller.kind === 'admin' ? '*' : caller.tenant;
      deps.events.publish({ type: 'assistant.handoff', tenant, customerId: caller.kind === 'customer' ? caller.customerId : null, data: { id, ...detail } });
      deps.logger.info({ handOff: id, conversationId: input.conversationId, reason: input.reason }, 'assistant hand-off without a ticket');
      return { id, queue };
    },
  };

  /** The ticket a hand-off escalates: one named in the context, else the caller's newest active one. */
  async function handOffTicket(caller: Caller, input: HandOffInput): Promise<DomainTicket | null> {
    const named = typeof input.context.ticketId === 'string' ? input.context.ticketId : null;
    if (named) return getTicketUseCase(deps, caller, named);
    if (caller.kind === 'admin') return null;
    const mine = await listTicketsUseCase(deps, caller, { active: true, limit: 1 });
    const t = mine[0];
    return t && canRead(caller, t) ? t : null;
  }
}

/** "Name [id]": people read the name, booking reads the id. */
function engineerLabel(name: string, id: string): string {
  return name === id ? id : `${name} [${id}]`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
