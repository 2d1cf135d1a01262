import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {
  AssistantPorts,
  DeviceStatus,
  DeviceSummary,
  HandOffInput,
  Ticket,
  TicketSummary,
  Visit,
  VisitSlot,
} from '../../assistant/assistant-ports.ts';
import type { Prediction } from '../../models/prediction.ts';
import type { Caller } from '../../platform/caller.ts';
import { PrognosError } from '../../platform/errors.ts';
import type { Db } from '../../platform/sql/database.ts';

/**
 * AssistantPorts for tests, over a real PGlite database with a tiny schema of the tests' own
 * (tables prefixed `t_`, created here, not in migrations). Authority is enforced like the real
 * use-cases: engineers see their tenant, customers only their own devices and tickets, and
 * anything else is PRG_NOT_FOUND.
 */

export async function createTestSchema(db: Db): Promise<void> {
  await sql`create table if not exists t_devices (
    tenant text not null, device text primary key, customer_id text not null, name text not null,
    equipment_type text not null, health text not null, last_seen text, latest jsonb not null,
    prediction jsonb, telemetry jsonb)`.execute(db);
  await sql`create table if not exists t_tickets (
    id text primary key, tenant text not null, device text not null, customer_id text not null, title text not null,
    status text not null, priority text not null, tier text not null, opened_at text not null, note text not null,
    failure_mode text, customer_messages jsonb not null)`.execute(db);
  await sql`create table if not exists t_visits (
    id text primary key, ticket_id text not null, start_at text not null, end_at text not null, engineer text not null, status text not null)`.execute(db);
  await sql`create table if not exists t_sent_messages (id text primary key, ticket_id text not null, subject text not null, body text not null, sent_at text not null)`.execute(db);
  await sql`create table if not exists t_handoffs (id text primary key, tenant text not null, conversation_id text not null, reason text not null, transcript jsonb not null, context jsonb not null)`.execute(db);
}

type Row = Record<string, any>;

function visible(caller: Caller, row: Row): boolean {
  switch (caller.kind) {
    case 'admin':
      return true;
    case 'engineer':
    case 'system':
      return row.tenant === caller.tenant;
    case 'customer':
      return row.tenant === caller.tenant && row.customer_id === caller.customerId;
  }
}

export class PgliteTestPorts implements AssistantPorts {
  /** Calls made, by name, for assertions ("nothing was cancelled"). */
  readonly calls: { name: string; caller: Caller; args: unknown }[] = [];

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  private async rows(q: ReturnType<typeof sql>): Promise<Row[]> {
    return (await q.execute(this.db)).rows as Row[];
  }

  private async device(caller: Caller, device: string): Promise<Row> {
    const [row] = await this.rows(sql`select * from t_devices where device = ${device}`);
    if (!row || !visible(caller, row)) throw new PrognosError('PRG_NOT_FOUND', `device ${device}`);
    return row;
  }

  private async ticketRow(caller: Caller, id: string): Promise<Row> {
    const [row] = await this.rows(sql`select * from t_tickets where id = ${id}`);
    if (!row || !visible(caller, row)) throw new PrognosError('PRG_NOT_FOUND', `ticket ${id}`);
    return row;
  }

  private async visitOf(ticketId: string): Promise<Visit | null> {
    const [v] = await this.rows(sql`select * from t_visits where ticket_id = ${ticketId} and status = 'scheduled' order by start_at limit 1`);
    return v ? { id: v.id, ticketId: v.ticket_id, start: v.start_at, end: v.end_at, engineer: v.engineer, status: v.status } : null;
  }

  private async summary(row: Row): Promise<DeviceSummary> {
    const p = row.prediction as Prediction | null;
    const top = p?.risks.slice().sort((a, b) => b.risk - a.risk)[0];
    const [{ n }] = (await this.rows(sql`select count(*)::int as n from t_tickets where device = ${row.device} and status = 'open'`)) as [{ n: number }];
    return { device: row.device, name: row.name, equipmentType: row.equipment_type, customerId: row.customer_id, health: row.health, topRisk: top?.risk ?? null, topMode: top?.mode ?? null, openTickets: n };
  }

  async fleetOverview(caller: Caller) {
    this.calls.push({ name: 'fleetOverview', caller, args: {} });
    const all = await this.rows(sql`select * from t_devices order by device`);
    const mine = all.filter((r) => visible(caller, r));
    return { tenant: caller.kind === 'admin' ? '*' : caller.tenant, devices: await Promise.all(mine.map((r) => this.summary(r))) };
  }

  async deviceStatus(caller: Caller, device: string): Promise<DeviceStatus> {
    this.calls.push({ name: 'deviceStatus', caller, args: { device } });
    const row = await this.device(caller, device);
    return { ...(await this.summary(row)), lastSeen: row.last_seen, silent: row.health === 'silent', latest: row.latest };
  }

  async telemetrySummary(caller: Caller, device: string, window: { from: string; to: string }) {
    this.calls.push({ name: 'telemetrySummary', caller, args: { device, window } });
    const row = await this.device(caller, device);
    return { device, window, sensors: row.telemetry?.sensors ?? [], gaps: row.telemetry?.gaps ?? [] };
  }

  async latestPrediction(caller: Caller, device: string): Promise<Prediction | null> {
    this.calls.push({ name: 'latestPrediction', caller, args: { device } });
    return ((await this.device(caller, device)).prediction as Prediction | null) ?? null;
  }

  private async toSummary(r: Row): Promise<TicketSummary> {
    return { id: r.id, device: r.device, customerId: r.customer_id, title: r.title, status: r.status, priority: r.priority, tier: r.tier, openedAt: r.opened_at, visit: await this.visitOf(r.id) };
  }

  async listTickets(caller: Caller, filter: { device?: string; status?: 'open' | 'closed' | 'all' }) {
    this.calls.push({ name: 'listTickets', caller, args: filter });
    const all = await this.rows(sql`select * from t_tickets order by id`);
    const mine = all.filter((r) => visible(caller, r) && (!filter.device || r.device === filter.device) && (!filter.status || filter.status === 'all' || r.status === filter.status));
    return Promise.all(mine.map((r) => this.toSummary(r)));
  }

  async getTicket(caller: Caller, ticketId: string): Promise<Ticket> {
    this.calls.push({ name: 'getTicket', caller, args: { ticketId } });
    const r = await this.ticketRow(caller, ticketId);
    return { ...(await this.toSummary(r)), note: r.note, failureMode: r.failure_mode, customerMessages: r.customer_messages };
  }

  async proposeVisitSlots(caller: Caller, ticketId: string): Promise<VisitSlot[]> {
    this.calls.push({ name: 'proposeVisitSlots', caller, args: { ticketId } });
    await this.ticketRow(caller, ticketId);
    const day = 86400_000;
    const base = Math.floor(this.now() / day) * day + day + 9 * 3600_000;
    return [0, 1, 2].map((i) => ({ start: new Date(base + i * day).toISOString(), end: new Date(base + i * day + 2 * 3600_000).toISOString(), engineer: i % 2 ? 'Li Wei' : 'Sam Okafor' }));
  }

  async scheduleVisit(caller: Caller, input: { ticketId: string; slot: VisitSlot }): Promise<Visit> {
    this.calls.push({ name: 'scheduleVisit', caller, args: input });
    await this.ticketRow(caller, input.ticketId);
    const id = `v-${randomUUID().slice(0, 8)}`;
    await sql`insert into t_visits values (${id}, ${input.ticketId}, ${input.slot.start}, ${input.slot.end}, ${input.slot.engineer}, 'scheduled')`.execute(this.db);
    return { id, ticketId: input.ticketId, start: input.slot.start, end: input.slot.end, engineer: input.slot.engineer, status: 'scheduled' };
  }

  async rescheduleVisit(caller: Caller, input: { ticketId: string; visitId: string; slot: VisitSlot }): Promise<Visit> {
    this.calls.push({ name: 'rescheduleVisit', caller, args: input });
    await this.ticketRow(caller, input.ticketId);
    await sql`update t_visits set start_at = ${input.slot.start}, end_at = ${input.slot.end}, engineer = ${input.slot.engineer} where id = ${input.visitId} and ticket_id = ${input.ticketId}`.execute(this.db);
    return { id: input.visitId, ticketId: input.ticketId, start: input.slot.start, end: input.slot.end, engineer: input.slot.engineer, status: 'scheduled' };
  }

  async cancelVisit(caller: Caller, input: { ticketId: string; visitId: string; reason: string }): Promise<Visit> {
    this.calls.push({ name: 'cancelVisit', caller, args: input });
    await this.ticketRow(caller, input.ticketId);
    const [v] = await this.rows(sql`update t_visits set status = 'cancelled' where id = ${input.visitId} and ticket_id = ${input.ticketId} returning *`);
    if (!v) throw new PrognosError('PRG_NOT_FOUND', `visit ${input.visitId}`);
    return { id: v.id, ticketId: v.ticket_id, start: v.start_at, end: v.end_at, engineer: v.engineer, status: v.status };
  }

  async draftCustomerMessage(caller: Caller, input: { ticketId: string; intent: string; language: 'en' | 'zh-CN' }) {
    this.calls.push({ name: 'draftCustomerMessage', caller, args: input });
    if (caller.kind === 'customer') throw new PrognosError('PRG_NOT_FOUND', 'drafts');
    const r = await this.ticketRow(caller, input.ticketId);
    return { ticketId: r.id, to: `${r.customer_id}@example.test`, subject: `Ticket ${r.id}`, body: input.intent, language: input.language };
  }

  async sendCustomerMessage(caller: Caller, input: { ticketId: string; subject: string; body: string }) {
    this.calls.push({ name: 'sendCustomerMessage', caller, args: input });
    if (caller.kind === 'customer') throw new PrognosError('PRG_NOT_FOUND', 'messages');
    await this.ticketRow(caller, input.ticketId);
    const id = randomUUID();
    const sentAt = new Date(this.now()).toISOString();
    await sql`insert into t_sent_messages values (${id}, ${input.ticketId}, ${input.subject}, ${input.body}, ${sentAt})`.execute(this.db);
    return { id, ticketId: input.ticketId, sentAt };
  }

  async handOff(caller: Caller, input: HandOffInput) {
    this.calls.push({ name: 'handOff', caller, args: input });
    const id = randomUUID();
    await sql`insert into t_handoffs values (${id}, ${caller.kind === 'admin' ? '*' : caller.tenant}, ${input.conversationId}, ${input.reason}, ${JSON.stringify(input.transcript)}, ${JSON.stringify(input.context)})`.execute(this.db);
    return { id, queue: 'service-desk' };
  }

  async visitStatus(visitId: string): Promise<string | undefined> {
    const [v] = await this.rows(sql`select status from t_visits where id = ${visitId}`);
    return v?.status;
  }

  async countVisits(status: string): Promise<number> {
    const [r] = await this.rows(sql`select count(*)::int as n from t_visits where status = ${status}`);
    return r!.n;
  }
}
