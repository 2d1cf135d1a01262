import type { Caller } from '../platform/caller.ts';
import type { Tier } from '../maintenance/service-tier.ts';
import type { Prediction } from '../models/prediction.ts';

/**
 * Exactly what the assistant's tools need from the rest of the product. The service binds it
 * to the real use-cases (fleet, telemetry, predictions, tickets, visits, messages); tests bind
 * it to a small store of their own. Every function takes the {@link Caller} first and enforces
 * authority itself: a customer sees and acts only on their own devices and tickets, and asking
 * for anything else answers PRG_NOT_FOUND (never a hint that it exists).
 *
 * Free text that came from devices, customers or other people (device names, ticket notes,
 * customer messages) is returned as is; the tools quote it before the model sees it.
 */
export interface AssistantPorts {
  fleetOverview(caller: Caller): Promise<FleetOverview>;
  deviceStatus(caller: Caller, device: string): Promise<DeviceStatus>;
  telemetrySummary(caller: Caller, device: string, window: TelemetryWindow): Promise<TelemetrySummary>;
  /** Null when the device has no prediction yet. */
  latestPrediction(caller: Caller, device: string): Promise<Prediction | null>;
  listTickets(caller: Caller, filter: TicketFilter): Promise<TicketSummary[]>;
  getTicket(caller: Caller, ticketId: string): Promise<Ticket>;
  proposeVisitSlots(caller: Caller, ticketId: string): Promise<VisitSlot[]>;
  scheduleVisit(caller: Caller, input: { ticketId: string; slot: VisitSlot }): Promise<Visit>;
  rescheduleVisit(caller: Caller, input: { ticketId: string; visitId: string; slot: VisitSlot }): Promise<Visit>;
  cancelVisit(caller: Caller, input: { ticketId: string; visitId: string; reason: string }): Promise<Visit>;
  draftCustomerMessage(caller: Caller, input: { ticketId: string; intent: string; language: Language }): Promise<MessageDraft>;
  /** `conversationId` makes the send idempotent per conversation (a retried confirmation sends once). */
  sendCustomerMessage(caller: Caller, input: { ticketId: string; subject: string; body: string; conversationId?: string }): Promise<SentMessage>;
  handOff(caller: Caller, input: HandOffInput): Promise<HandOffReceipt>;
}

export type Language = 'en' | 'zh-CN';

export interface DeviceSummary {
  device: string;
  /** Human name given by the owner: untrusted text. */
  name: string;
  equipmentType: string;
  customerId: string;
  /** ok | watch | at_risk | silent | unknown */
  health: string;
  /** Highest failure-mode risk of the latest prediction, 0..1, or null. */
  topRisk: number | null;
  topMode: string | null;
  openTickets: number;
}

export interface FleetOverview {
  tenant: string;
  devices: DeviceSummary[];
}

export interface DeviceStatus extends DeviceSummary {
  /** ISO time of the newest reading, or null. */
  lastSeen: string | null;
  silent: boolean;
  /** Latest value per sensor. */
  latest: { sensor: string; value: number; unit: string | null }[];
}

export interface TelemetryWindow {
  /** ISO time, inclusive. */
  from: string;
  /** ISO time, exclusive. */
  to: string;
}

export interface SensorStats {
  sensor: string;
  unit: string | null;
  count: number;
  min: number;
  max: number;
  mean: number;
  last: number;
  /** Least-squares slope per hour over the window. */
  slopePerHour: number;
  trend: 'rising' | 'falling' | 'flat';
}

export interface TelemetrySummary {
  device: string;
  window: TelemetryWindow;
  sensors: SensorStats[];
  /** Stretches without data longer than a few usual intervals. */
  gaps: { from: string; to: string; minutes: number }[];
}

export interface TicketFilter {
  device?: string;
  status?: 'open' | 'closed' | 'all';
}

/** `ai`: the system may act alone; `assisted`: the assistant proposes and a person confirms; `human`: people only. */
export type ServiceTier = Tier;

export interface TicketSummary {
  id: string;
  device: string;
  customerId: string;
  title: string;
  status: string;
  priority: string;
  tier: ServiceTier;
  /** ISO time. */
  openedAt: string;
  visit: Visit | null;
}

export interface Ticket extends TicketSummary {
  /** Engineer's or system's note: untrusted text. */
  note: string;
  /** Failure mode that opened it, if a prediction did. */
  failureMode: string | null;
  /** Messages from the customer about this ticket: untrusted text. */
  customerMessages: { at: string; text: string }[];
}

export interface VisitSlot {
  /** ISO time. */
  start: string;
  /** ISO time. */
  end: string;
  engineer: string;
}

export interface Visit {
  id: string;
  ticketId: string;
  start: string;
  end: string;
  engineer: string;
  /** scheduled | cancelled | done */
  status: string;
}

export interface MessageDraft {
  ticketId: string;
  to: string;
  subject: string;
  body: string;
  language: Language;
}

export interface SentMessage {
  id: string;
  ticketId: string;
  sentAt: string;
}

export interface HandOffInput {
  conversationId: string;
  reason: string;
  /** The conversation so far, oldest first. */
  transcript: { role: 'user' | 'assistant'; text: string }[];
  /** What the assistant knew: devices, tickets, the detector's findings. */
  context: Record<string, unknown>;
}

export interface HandOffReceipt {
  id: string;
  /** Who takes it, e.g. a queue or a person. */
  queue: string;
}
