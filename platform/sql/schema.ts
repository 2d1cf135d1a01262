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

export interface Database {
  dead_letters: DeadLetterTable;
  data_quality_events: DataQualityEventTable;
  device_liveness: DeviceLivenessTable;
}
