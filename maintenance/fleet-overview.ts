import type { AlertEpisode } from '../alerts/episode-store.ts';
import { latestPrediction, PREDICTIONS_MEASUREMENT } from '../models/prediction-writer.ts';
import type { Prediction } from '../models/prediction.ts';
import type { Caller } from '../platform/caller.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import { listTenant, readable } from './caller-scope.ts';
import { listDevices } from './fleet-registry.ts';

/**
 * What the fleet looks like now, for the dashboard's overview, the customer's "my equipment" and
 * the assistant: each device the caller may see with its newest prediction (top failure mode,
 * RUL), its most severe open alert episode and whether it has gone silent. Plain data, no HTTP.
 *
 * Registry rows come from SQL, predictions from InfluxDB (one query per tenant for the whole
 * fleet), liveness from `device_liveness` (ingest saves it every few seconds), so any process
 * (API, worker, assistant) sees the same picture.
 */

export type DeviceHealth = 'no_prediction' | 'insufficient_data' | 'ok' | 'at_risk';

export interface FleetDevice {
  device: string;
  tenant: string;
  /** The device's model, as a human label. */
  name: string;
  equipmentType: string;
  customerId: string;
  customerName: string;
  siteId: string;
  siteName: string;
  criticality: string;
  /** `at_risk`: some mode's risk is at or over its threshold. */
  status: DeviceHealth;
  /** The mode with the highest risk in the newest ok prediction. */
  topRisk: { mode: string; risk: number; threshold: number } | null;
  rulHours: number | null;
  rulLowerHours: number | null;
  /** Epoch ms of the newest prediction's reading; null without one. */
  predictedAt: number | null;
  /** The most severe open alert episode. */
  episode: { id: string; mode: string; severity: string; state: string } | null;
  /** Epoch ms ingest last heard from the device; null when never. */
  lastSeen: number | null;
  inGap: boolean;
}

export interface DeviceStatus {
  device: Omit<FleetDevice, 'device'> & { id: string; model: string; installedAt: string; siteAddress: string };
  prediction: Prediction | null;
  /** Episodes of the device, newest first (open and closed, at most 50). */
  episodes: EpisodeView[];
  tickets: { id: string; mode: string; state: string; severity: string; outcome: string | null; openedAt: string }[];
}

export interface EpisodeView {
  id: string;
  device: string;
  mode: string;
  state: string;
  severity: string;
  openedAt: number;
  clearedAt: number | null;
  peakRisk: number;
  lastRisk: number;
  rulLowerHours: number | null;
  ticketId: string | null;
  evidence: AlertEpisode['evidence'];
}

const SEVERITY_RANK: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };

interface PredictionSummary {
  status: 'ok' | 'insufficient_data';
  at: number;
  topRisk: FleetDevice['topRisk'];
  atRisk: boolean;
  rulHours: number | null;
  rulLowerHours: number | null;
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The newest prediction of every device of `tenant`, in one query (a series per device). */
async function latestByDevice(deps: DomainDeps, tenant: string): Promise<Map<string, PredictionSummary>> {
  const out = new Map<string, PredictionSummary>();
  if (!SAFE_ID.test(tenant)) return out;
  const series = await deps.influx.query(`SELECT * FROM "${PREDICTIONS_MEASUREMENT}" WHERE "tenant" = '${tenant}' GROUP BY "device" ORDER BY time DESC LIMIT 1`);
  for (const s of series) {
    const device = s.tags?.device;
    const row = s.values[0];
    if (!device || !row) continue;
    const r: Record<string, unknown> = {};
    s.columns.forEach((c, i) => (r[c] = row[i]));
    out.set(device, summarize(r));
  }
  return out;
}

function summarize(r: Record<string, unknown>): PredictionSummary {
  const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);
  const status = r.status === 'ok' ? 'ok' : 'insufficient_data';
  let topRisk: FleetDevice['topRisk'] = null;
  let atRisk = false;
  if (status === 'ok') {
    for (const k of Object.keys(r)) {
      if (!k.startsWith('risk_') || typeof r[k] !== 'number') continue;
      const mode = k.slice('risk_'.length);
      const risk = r[k] as number;
      const threshold = num(`threshold_${mode}`) ?? 0.5;
      if (risk >= threshold) atRisk = true;
      if (!topRisk || risk > topRisk.risk) topRisk = { mode, risk, threshold };
    }
  }
  return { status, at: Number(r.time), topRisk, atRisk, rulHours: status === 'ok' ? num('rul_hours') : null, rulLowerHours: status === 'ok' ? num('rul_lower_hours') : null };
}

function health(p: PredictionSummary | undefined): DeviceHealth {
  if (!p) return 'no_prediction';
  if (p.status !== 'ok') return 'insufficient_data';
  return p.atRisk ? 'at_risk' : 'ok';
}

/** Riskiest first: at risk, then open episode severity, then top risk, then id. */
function riskier(a: FleetDevice, b: FleetDevice): number {
  const rank = (d: FleetDevice) => (d.status === 'at_risk' ? 1 : 0);
  return (
    rank(b) - rank(a) ||
    (SEVERITY_RANK[b.episode?.severity ?? ''] ?? -1) - (SEVERITY_RANK[a.episode?.severity ?? ''] ?? -1) ||
    (b.topRisk?.risk ?? -1) - (a.topRisk?.risk ?? -1) ||
    a.device.localeCompare(b.device)
  );
}

/**
 * The caller's fleet, riskiest first: an engineer their tenant's devices, a customer only their
 * own, an admin every tenant's (or `tenant`'s).
 */
export async function fleetOverview(deps: DomainDeps, caller: Caller, filter: { tenant?: string } = {}): Promise<FleetDevice[]> {
  const devices = await listDevices(deps, caller, { tenant: listTenant(caller, filter.tenant) });
  if (devices.length === 0) return [];
  const ids = devices.map((d) => d.id);
  const tenants = [...new Set(devices.map((d) => d.tenant))];
  const [customers, sites, episodes, liveness, predictions] = await Promise.all([
    deps.db.selectFrom('customers').select(['id', 'name']).where('id', 'in', [...new Set(devices.map((d) => d.customerId))]).execute(),
    deps.db.selectFrom('sites').select(['id', 'name']).where('id', 'in', [...new Set(devices.map((d) => d.siteId))]).execute(),
    deps.db.selectFrom('alert_episodes').select(['id', 'tenant', 'device', 'mode', 'severity', 'state']).where('device', 'in', ids).where('cleared_at', 'is', null).execute(),
    deps.db.selectFrom('device_liveness').select(['tenant', 'device', 'last_seen', 'in_gap']).where('device', 'in', ids).execute(),
    Promise.all(tenants.map(async (t) => [t, await latestByDevice(deps, t)] as const)).then((all) => new Map(all)),
  ]);
  const customerName = new Map(customers.map((c) => [c.id, c.name]));
  const siteName = new Map(sites.map((s) => [s.id, s.name]));
  const out = devices.map((d): FleetDevice => {
    const p = predictions.get(d.tenant)?.get(d.id);
    const open = episodes.filter((e) => e.tenant === d.tenant && e.device === d.id).sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0))[0];
    const live = liveness.find((l) => l.tenant === d.tenant && l.device === d.id);
    return {
      device: d.id,
      tenant: d.tenant,
      name: d.model,
      equipmentType: d.equipmentType,
      customerId: d.customerId,
      customerName: customerName.get(d.customerId) ?? d.customerId,
      siteId: d.siteId,
      siteName: siteName.get(d.siteId) ?? d.siteId,
      criticality: d.criticality,
      status: health(p),
      topRisk: p?.topRisk ?? null,
      rulHours: p?.rulHours ?? null,
      rulLowerHours: p?.rulLowerHours ?? null,
      predictedAt: p?.at ?? null,
      episode: open ? { id: open.id, mode: open.mode, severity: open.severity, state: open.state } : null,
      lastSeen: live ? new Date(live.last_seen).getTime() : null,
      inGap: live?.in_gap ?? false,
    };
  });
  return out.sort(riskier);
}

/**
 * One device the caller may see (PRG_NOT_FOUND otherwise, also for another tenant's or
 * customer's device): its registry facts, newest full prediction (with attributions), its alert
 * episodes and tickets.
 */
export async function deviceStatus(deps: DomainDeps, caller: Caller, deviceId: string): Promise<DeviceStatus> {
  const row = await deps.db
    .selectFrom('devices')
    .innerJoin('customers', 'customers.id', 'devices.customer_id')
    .innerJoin('sites', 'sites.id', 'devices.site_id')
    .select([
      'devices.id',
      'devices.tenant',
      'devices.equipment_type',
      'devices.model',
      'devices.installed_at',
      'devices.customer_id',
      'devices.site_id',
      'devices.criticality',
      'customers.name as customer_name',
      'sites.name as site_name',
      'sites.address as site_address',
    ])
    .where('devices.id', '=', deviceId)
    .executeTakeFirst();
  const d = readable(caller, row && { ...row, customerId: row.customer_id }, `device ${deviceId}`);
  const [prediction, episodes, tickets, live] = await Promise.all([
    latestPrediction(deps.influx, d.tenant, d.id),
    listEpisodes(deps, caller, { device: d.id, limit: 50 }),
    deps.db
      .selectFrom('tickets')
      .select(['id', 'mode', 'state', 'severity', 'outcome', 'opened_at'])
      .where('tenant', '=', d.tenant)
      .where('device_id', '=', d.id)
      .orderBy('opened_at', 'desc')
      .limit(100)
      .execute(),
    deps.db.selectFrom('device_liveness').select(['last_seen', 'in_gap']).where('tenant', '=', d.tenant).where('device', '=', d.id).executeTakeFirst(),
  ]);
  const top = prediction?.status === 'ok' ? [...prediction.risks].sort((a, b) => b.risk - a.risk)[0] : undefined;
  const open = episodes.filter((e) => e.clearedAt === null).sort((a, b) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0))[0];
  const summary: PredictionSummary | undefined = prediction
    ? {
        status: prediction.status,
        at: prediction.at,
        topRisk: top ? { mode: top.mode, risk: top.risk, threshold: top.threshold } : null,
        atRisk: prediction.status === 'ok' && prediction.risks.some((r) => r.risk >= r.threshold),
        rulHours: prediction.rulHours,
        rulLowerHours: prediction.rulLowerHours,
      }
    : undefined;
  return {
    device: {
      id: d.id,
      tenant: d.tenant,
      name: d.model,
      model: d.model,
      installedAt: new Date(d.installed_at).toISOString(),
      equipmentType: d.equipment_type,
      customerId: d.customer_id,
      customerName: d.customer_name,
      siteId: d.site_id,
      siteName: d.site_name,
      siteAddress: d.site_address,
      criticality: d.criticality,
      status: health(summary),
      topRisk: summary?.topRisk ?? null,
      rulHours: summary?.rulHours ?? null,
      rulLowerHours: summary?.rulLowerHours ?? null,
      predictedAt: summary?.at ?? null,
      episode: open ? { id: open.id, mode: open.mode, severity: open.severity, state: open.state } : null,
      lastSeen: live ? new Date(live.last_seen).getTime() : null,
      inGap: live?.in_gap ?? false,
    },
    prediction,
    episodes,
    tickets: tickets.map((t) => ({ id: t.id, mode: t.mode, state: t.state, severity: t.severity, outcome: t.outcome, openedAt: new Date(t.opened_at).toISOString() })),
  };
}

export interface EpisodeFilter {
  tenant?: string;
  device?: string;
  /** Only episodes not cleared or resolved. */
  openOnly?: boolean;
  /** Default 100, at most 1000. */
  limit?: number;
}

/**
 * Alert episodes the caller may see, newest first: an engineer their tenant's, a customer those
 * of their own devices, an admin any tenant's (or all).
 */
export async function listEpisodes(deps: DomainDeps, caller: Caller, filter: EpisodeFilter = {}): Promise<EpisodeView[]> {
  const tenant = listTenant(caller, filter.tenant);
  let q = deps.db
    .selectFrom('alert_episodes')
    .innerJoin('devices', (j) => j.onRef('devices.id', '=', 'alert_episodes.device').onRef('devices.tenant', '=', 'alert_episodes.tenant'))
    .selectAll('alert_episodes')
    .orderBy('alert_episodes.opened_at', 'desc')
    .orderBy('alert_episodes.id')
    .limit(Math.max(1, Math.min(filter.limit ?? 100, 1000)));
  if (tenant !== undefined) q = q.where('alert_episodes.tenant', '=', tenant);
  // Customers see only the episodes of their own equipment.
  if (caller.kind === 'customer') q = q.where('devices.customer_id', '=', caller.customerId);
  if (filter.device !== undefined) q = q.where('alert_episodes.device', '=', filter.device);
  if (filter.openOnly) q = q.where('alert_episodes.cleared_at', 'is', null);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    device: r.device,
    mode: r.mode,
    state: r.state,
    severity: r.severity,
    openedAt: new Date(r.opened_at).getTime(),
    clearedAt: r.cleared_at === null ? null : new Date(r.cleared_at).getTime(),
    peakRisk: r.peak_risk,
    lastRisk: r.last_risk,
    rulLowerHours: r.rul_lower_hours,
    ticketId: r.ticket_id,
    evidence: typeof r.evidence === 'string' ? (JSON.parse(r.evidence) as AlertEpisode['evidence']) : (r.evidence as AlertEpisode['evidence']),
  }));
}

/** The tenant and customer a device belongs to, if the caller may see it (PRG_NOT_FOUND otherwise). */
export async function visibleDevice(deps: Pick<DomainDeps, 'db'>, caller: Caller, deviceId: string): Promise<{ id: string; tenant: string; customerId: string; equipmentType: string }> {
  const r = await deps.db.selectFrom('devices').select(['id', 'tenant', 'customer_id', 'equipment_type']).where('id', '=', deviceId).executeTakeFirst();
  const d = readable(caller, r && { ...r, customerId: r.customer_id }, `device ${deviceId}`);
  return { id: d.id, tenant: d.tenant, customerId: d.customer_id, equipmentType: d.equipment_type };
}
