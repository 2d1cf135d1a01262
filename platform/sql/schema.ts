import type { ColumnType, Generated } from 'kysely';

/** Row types of the SQL store, one interface per table (see migrations.ts). */

export interface DeadLetterTable {
  id: Generated<string>;
  received_at: ColumnType<Date, Date | string, never>;
  topic: string;
  tenant: string | null;
  device: string | null;
  reason: string;
  detail: string;
  /** The raw payload (UTF-8, lossy for binary), cut to the store's size cap. */
  payload_excerpt: string;
  payload_bytes: number;
}

export interface DataQualityEventTable {
  id: Generated<string>;
  at: ColumnType<Date, Date | string, never>;
  tenant: string;
  device: string;
  /** seq_gap | seq_reset | data_gap | data_resumed */
  kind: string;
  detail: ColumnType<Record<string, unknown>, string, string>;
}

export interface DeviceLivenessTable {
  tenant: string;
  device: string;
  last_seen: ColumnType<Date, Date | string, Date | string>;
  last_reading_ts: ColumnType<Date, Date | string, Date | string>;
  interval_ms: number | null;
  last_seq: string | null;
  in_gap: boolean;
}

/** One assistant conversation; `owner` is the caller's label (callerLabel), and only it may continue it. */
export interface ConversationTable {
  id: string;
  tenant: string;
  owner: string;
  caller: ColumnType<Record<string, unknown>, string, string>;
  /** `en` | `zh-CN` */
  language: string;
  created_at: ColumnType<Date, Date | string, never>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface ConversationMessageTable {
  id: Generated<string>;
  conversation_id: string;
  /** user | assistant | tool */
  role: string;
  content: string;
  tool_calls: ColumnType<unknown[] | null, string | null, string | null>;
  tool_call_id: string | null;
  /** Tool call ids (and knowledge article ids) an assistant answer rests on. */
  sources: ColumnType<string[] | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string, never>;
}

export interface AssistantToolCallTable {
  id: string;
  seq: Generated<string>;
  conversation_id: string;
  model_call_id: string | null;
  actor: string;
  name: string;
  arguments: ColumnType<unknown, string, string>;
  ok: boolean;
  result: ColumnType<unknown, string, string>;
  duration_ms: number;
  created_at: ColumnType<Date, Date | string, never>;
}

export interface AssistantProposalTable {
  id: string;
  seq: Generated<string>;
  conversation_id: string;
  tool_call_id: string;
  action: string;
  arguments: ColumnType<Record<string, unknown>, string, string>;
  summary: string;
  /** pending | executed | declined | superseded | failed */
  status: string;
  result: ColumnType<unknown, string | null, string | null>;
  created_at: ColumnType<Date, Date | string, never>;
  decided_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

export interface UserTable {
  id: string;
  tenant: string | null;
  /** admin | engineer | customer */
  role: string;
  customer_id: string | null;
  display_name: string;
  password_hash: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface ApiTokenTable {
  token_hash: string;
  user_id: string;
  created_at: ColumnType<Date, Date | string, never>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface DeviceCredentialTable {
  id: Generated<string>;
  tenant: string;
  /** A device id, or `*` for a gateway credential of the whole tenant. */
  device: string;
  username: string;
  secret_hash: string;
  created_at: ColumnType<Date, Date | string, never>;
  revoked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

/** Alert episodes (0004): at most one row per (tenant, device, mode) with cleared_at null. */
export interface AlertEpisodeTable {
  id: string;
  tenant: string;
  device: string;
  mode: string;
  /** open | flapping | ticketed | cleared | resolved */
  state: string;
  /** low | medium | high | critical */
  severity: string;
  opened_at: ColumnType<Date, Date | string, Date | string>;
  cleared_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  peak_risk: number;
  last_risk: number;
  rul_lower_hours: number | null;
  last_prediction_at: ColumnType<Date, Date | string, Date | string>;
  /** The prediction's attributions at raise. */
  evidence: ColumnType<unknown[], string, string>;
  ticket_id: string | null;
}

/** Append-only history of every policy decision. */
export interface AlertEventTable {
  id: Generated<string>;
  episode_id: string | null;
  tenant: string;
  device: string;
  mode: string;
  /** raised | escalated | deescalated | flapping | cleared | suppressed | ticketed | resolved */
  kind: string;
  at: ColumnType<Date, Date | string, never>;
  severity: string | null;
  risk: number | null;
  reason: string;
  detail: ColumnType<Record<string, unknown>, string, never>;
  dedupe_key: string;
  recorded_at: ColumnType<Date, Date | string | undefined, never>;
}

/** The alert policy's per-key state (alerts/alert-policy.ts AlertPolicyState as JSON). */
export interface AlertPolicyStateTable {
  tenant: string;
  device: string;
  mode: string;
  state: ColumnType<Record<string, unknown>, string, string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface MaintenanceWindowTable {
  id: string;
  tenant: string;
  device: string;
  starts_at: ColumnType<Date, Date | string, Date | string>;
  ends_at: ColumnType<Date, Date | string, Date | string>;
  reason: string;
  created_by: string;
}

export interface VisitTable {
  id: string;
  tenant: string;
  ticket_id: string | null;
  device: string;
  technician_id: string;
  starts_at: ColumnType<Date, Date | string, Date | string>;
  ends_at: ColumnType<Date, Date | string, Date | string>;
  /** proposed | booked | cancelled | done */
  status: string;
  created_at: ColumnType<Date, Date | string, never>;
}

/** One row per technician that bookings lock (FOR UPDATE) to serialize overlap checks. */
export interface VisitBookingLockTable {
  tenant: string;
  technician_id: string;
}

/** A tenant of the fleet registry (migration 0003). */
export interface TenantTable {
  id: string;
  name: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface CustomerTable {
  id: string;
  tenant: string;
  name: string;
  contact_email: string | null;
  phone: string | null;
  /** email | webhook | mqtt */
  preferred_channel: string;
  webhook_url: string | null;
  /** en | zh-CN */
  language: string;
  plain_language: boolean;
  /** Local 'HH:MM' in `timezone`; start > end wraps midnight. */
  quiet_start: string | null;
  quiet_end: string | null;
  timezone: string;
  /** [{ day: 0..6 (0 = Sunday), start: 'HH:MM', end: 'HH:MM' }] local to `timezone`. */
  availability: ColumnType<{ day: number; start: string; end: string }[], string, string>;
  needs_human: boolean;
  opted_out: boolean;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface SiteTable {
  id: string;
  tenant: string;
  customer_id: string | null;
  name: string;
  lat: number;
  lon: number;
  address: string;
}

export interface DeviceTable {
  /** The device id used on MQTT; unique across tenants. */
  id: string;
  tenant: string;
  equipment_type: string;
  model: string;
  installed_at: ColumnType<Date, Date | string, Date | string>;
  customer_id: string;
  site_id: string;
  /** low | medium | high | critical */
  criticality: string;
}

export interface TechnicianTable {
  id: string;
  tenant: string;
  name: string;
  /** Failure mode ids the technician may repair. */
  skills: ColumnType<string[], string, string>;
  home_lat: number;
  home_lon: number;
  /** { mon: [{ start: 'HH:MM', end: 'HH:MM' }], ... } local to `timezone`. */
  working_hours: ColumnType<Record<string, { start: string; end: string }[]>, string, string>;
  timezone: string;
}

export interface TicketTable {
  id: string;
  tenant: string;
  device_id: string;
  customer_id: string;
  mode: string;
  episode_id: string | null;
  /** low | medium | high | critical */
  severity: string;
  risk: number;
  rul_hours: number | null;
  /** open | triaged | visit_proposed | scheduled | in_progress | closed */
  state: string;
  outcome: string | null;
  /** ai | assisted | human */
  tier: string;
  tier_reason: string;
  repeat_of: string | null;
  opened_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
  responded_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  visit_completed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  closed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  sla_paused_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** bigint: the pg driver returns it as a string. */
  sla_paused_ms: ColumnType<string, number | string | undefined, number | string>;
  sla_response_breached_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  sla_resolution_breached_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

/** Append-only (a trigger refuses UPDATE and DELETE). */
export interface TicketAuditTable {
  id: Generated<string>;
  ticket_id: string;
  tenant: string;
  at: ColumnType<Date, Date | string, never>;
  actor: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  reason: string;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
}

/** The technician's structured close-out; read for retraining through the `retraining_labels` view. */
export interface TicketCloseOutTable {
  ticket_id: string;
  tenant: string;
  device_id: string;
  predicted_mode: string;
  confirmed_mode: string | null;
  parts: ColumnType<string[], string, string>;
  findings: string;
  technician_id: string | null;
  recorded_by: string;
  at: ColumnType<Date, Date | string, Date | string>;
}

export interface RetrainingLabelView {
  tenant: string;
  device_id: string;
  mode: string;
  confirmed: boolean;
  confirmed_mode: string | null;
  at: Date;
  ticket_id: string;
}

/** notification_outbox (0005): one row per customer message; see alerts/notify/outbox.ts. */
export interface NotificationOutboxTable {
  id: Generated<string>;
  tenant: string;
  customer_id: string;
  ticket_id: string | null;
  /** email | webhook | mqtt */
  channel: string;
  /** proactive | reminder | escalation | confirmation */
  kind: string;
  dedupe_key: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  /** pending | sending | sent | failed | suppressed */
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string, Date | string>;
  /** The dispatcher holding a `sending` row, and until when (a crashed one's rows are taken back after). */
  claimed_by: string | null;
  claimed_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
  sent_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** The last delivery error. */
  error: string | null;
  /** Why a row is suppressed or was last deferred: opted_out, quiet_hours, rate_limit. */
  reason: string | null;
  created_at: ColumnType<Date, Date | string, never>;
}

/** A registered model bundle version (0002); at most one `active` per equipment type. */
export interface ModelVersionTable {
  equipment_type: string;
  version: string;
  dir: string;
  /** sha256 of the bundle's card.json. */
  card_hash: string;
  /** candidate | active | retired */
  status: string;
  registered_at: ColumnType<Date, Date | string, never>;
  activated_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  activated_by: string | null;
}

/** A device's saved streaming feature state (0002), so windows survive a restart. */
export interface FeatureStateTable {
  tenant: string;
  device: string;
  equipment_type: string;
  state: ColumnType<unknown, string, string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

/** workflow_outbox (0008): a BullMQ job written in the transaction that calls for it; see workflows/workflow-outbox.ts. */
export interface WorkflowOutboxTable {
  job_id: string;
  tenant: string;
  /** The job definition's name, e.g. `ticket.open`. */
  name: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  /** Clock time the job is due (null: now). */
  run_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string, never>;
  relayed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

/** workflow_tickets (0008): the workflow's state per ticket (planning round, offered slots). */
export interface WorkflowTicketTable {
  ticket_id: string;
  tenant: string;
  round: number;
  /** planning | offered | awaiting_engineer | handed_off | booked | done */
  phase: string;
  offer: ColumnType<Record<string, unknown>, string, string>;
  handoff_reason: string | null;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export interface Database {
  dead_letters: DeadLetterTable;
  data_quality_events: DataQualityEventTable;
  device_liveness: DeviceLivenessTable;
  model_versions: ModelVersionTable;
  feature_state: FeatureStateTable;
  notification_outbox: NotificationOutboxTable;
  tenants: TenantTable;
  customers: CustomerTable;
  sites: SiteTable;
  devices: DeviceTable;
  technicians: TechnicianTable;
  tickets: TicketTable;
  ticket_audit: TicketAuditTable;
  ticket_close_outs: TicketCloseOutTable;
  retraining_labels: RetrainingLabelView;
  alert_episodes: AlertEpisodeTable;
  alert_events: AlertEventTable;
  alert_policy_state: AlertPolicyStateTable;
  maintenance_windows: MaintenanceWindowTable;
  visits: VisitTable;
  visit_booking_locks: VisitBookingLockTable;
  users: UserTable;
  api_tokens: ApiTokenTable;
  device_credentials: DeviceCredentialTable;
  conversations: ConversationTable;
  conversation_messages: ConversationMessageTable;
  assistant_tool_calls: AssistantToolCallTable;
  assistant_proposals: AssistantProposalTable;
  workflow_outbox: WorkflowOutboxTable;
  workflow_tickets: WorkflowTicketTable;
}
