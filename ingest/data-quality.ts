/** Data-quality events ingest raises; later stages use them (e.g. to suppress stale predictions). */
export type DataQualityEvent =
  | { kind: 'seq_gap'; tenant: string; device: string; at: number; detail: { after: number; next: number; missing: number } }
  | { kind: 'seq_reset'; tenant: string; device: string; at: number; detail: { from: number; to: number } }
  | { kind: 'data_gap'; tenant: string; device: string; at: number; detail: { lastSeenAt: string; silentMs: number; expectedIntervalMs: number } }
  | { kind: 'data_resumed'; tenant: string; device: string; at: number; detail: { silentMs: number } };

export type DataQualityListener = (event: DataQualityEvent) => void;

export const deviceKey = (tenant: string, device: string) => `${tenant}/${device}`;
