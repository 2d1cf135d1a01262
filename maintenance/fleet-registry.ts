import { type Selectable, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import type { Caller } from '../platform/caller.ts';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Db } from '../platform/sql/database.ts';
import type { CustomerTable, Database, DeviceTable, TechnicianTable } from '../platform/sql/schema.ts';
import { assertCanWrite, listCustomer, listTenant, readable } from './caller-scope.ts';
import {
  CHANNELS,
  LANGUAGES,
  type Customer,
  type Device,
  DeviceSchema,
  type FleetDocument,
  FleetDocumentSchema,
  type Site,
  type Technician,
  CustomerSchema,
  SiteSchema,
  TechnicianSchema,
} from './fleet-schema.ts';

/**
 * The fleet registry's use-cases: who owns which device where, who to tell and how, who can
 * repair it. Every function takes the caller and enforces its authority (see caller-scope.ts).
 */

export interface RegistryDeps {
  db: Db;
  clock: Clock;
}

export interface CustomerRecord extends Customer {
  tenant: string;
}
export interface SiteRecord extends Site {
  tenant: string;
}
export interface DeviceRecord extends Omit<Device, 'installedAt'> {
  tenant: string;
  installedAt: string;
}
export interface TechnicianRecord extends Technician {
  tenant: string;
}

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}
export type ImportResult = Record<'customers' | 'sites' | 'devices' | 'technicians', ImportCounts> & { tenant: string; tenantCreated: boolean };

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const detail = r.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new PrognosError('PRG_BAD_REQUEST', detail);
}

type Tx = Transaction<Database>;

/**
 * Upserts by id within the tenant, touching a row only when something in it changed; an id
 * owned by another tenant is refused, never moved.
 */
async function upsert(tx: Tx, table: 'customers' | 'sites' | 'devices' | 'technicians', tenant: string, values: Record<string, unknown>): Promise<'inserted' | 'updated' | 'unchanged'> {
  const { id: _id, tenant: _t, ...set } = values;
  const compared = Object.keys(set).filter((k) => k !== 'updated_at');
  const current = sql.join(compared.map((k) => sql.ref(`${table}.${k}`)));
  const incoming = sql.join(compared.map((k) => sql.ref(`excluded.${k}`)));
  const row = await tx
    .insertInto(table)
    .values({ ...values, tenant } as never)
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet(Object.fromEntries(Object.keys(set).map((k) => [k, sql.ref(`excluded.${k}`)])) as never)
        .where(sql.ref(`${table}.tenant`), '=', tenant)
        .where(sql<boolean>`(${current}) is distinct from (${incoming})`),
    )
    // xmax = 0 only on a freshly inserted row version
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirst();
  if (row) return row.inserted ? 'inserted' : 'updated';
  const owner = await tx.selectFrom(table).select('tenant').where('id', '=', String(values.id)).executeTakeFirst();
  if (owner?.tenant !== tenant) throw new PrognosError('PRG_FORBIDDEN', `${table} id ${String(values.id)} belongs to another tenant`);
  return 'unchanged';
}

function customerValues(c: Customer, now: Date) {
  return {
    id: c.id,
    name: c.name,
    contact_email: c.contactEmail,
    phone: c.phone,
    preferred_channel: c.preferredChannel,
    webhook_url: c.webhookUrl,
    language: c.language,
    plain_language: c.plainLanguage,
    quiet_start: c.quietHours?.start ?? null,
    quiet_end: c.quietHours?.end ?? null,
    timezone: c.timezone,
    availability: JSON.stringify(c.availability),
    needs_human: c.needsHuman,
    opted_out: c.optedOut,
    updated_at: now,
  };
}
const siteValues = (s: Site) => ({ id: s.id, customer_id: s.customerId, name: s.name, lat: s.lat, lon: s.lon, address: s.address });
const deviceValues = (d: Device) => ({
  id: d.id,
  equipment_type: d.equipmentType,
  model: d.model,
  installed_at: new Date(d.installedAt),
  customer_id: d.customerId,
  site_id: d.siteId,
  criticality: d.criticality,
});
const technicianValues = (t: Technician) => ({
  id: t.id,
  name: t.name,
  skills: JSON.stringify(t.skills),
  home_lat: t.homeLat,
  home_lon: t.homeLon,
  working_hours: JSON.stringify(t.workingHours),
  timezone: t.timezone,
});

/**
 * Imports one tenant's fleet (a {@link FleetDocument}) in one transaction: every record is
 * upserted by id, so importing the same file twice changes nothing. Records absent from the file
 * are left alone. The tenant is created by an admin only.
 */
export async function importFleet(deps: RegistryDeps, caller: Caller, input: unknown): Promise<ImportResult> {
  const doc: FleetDocument = parse(FleetDocumentSchema, input);
  assertCanWrite(caller, doc.tenant.id);
  const now = new Date(deps.clock.now());
  return deps.db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('tenants').select('id').where('id', '=', doc.tenant.id).executeTakeFirst();
    if (!existing && caller.kind !== 'admin') throw new PrognosError('PRG_FORBIDDEN', `only an admin creates tenant ${doc.tenant.id}`);
    await tx
      .insertInto('tenants')
      .values({ id: doc.tenant.id, name: doc.tenant.name })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: doc.tenant.name }))
      .execute();
    const count = () => ({ inserted: 0, updated: 0, unchanged: 0 });
    const result: ImportResult = { tenant: doc.tenant.id, tenantCreated: !existing, customers: count(), sites: count(), devices: count(), technicians: count() };
    const tenant = doc.tenant.id;
    for (const c of doc.customers) result.customers[await upsert(tx, 'customers', tenant, customerValues(c, now))]++;
    for (const s of doc.sites) result.sites[await upsert(tx, 'sites', tenant, siteValues(s))]++;
    for (const d of doc.devices) result.devices[await upsert(tx, 'devices', tenant, deviceValues(d))]++;
    for (const t of doc.technicians) result.technicians[await upsert(tx, 'technicians', tenant, technicianValues(t))]++;
    return result;
  });
}

async function assertTenantExists(tx: Tx | Db, tenant: string): Promise<void> {
  const row = await tx.selectFrom('tenants').select('id').where('id', '=', tenant).executeTakeFirst();
  if (!row) throw new PrognosError('PRG_NOT_FOUND', `tenant ${tenant}`);
}

/** Checks that the ids a row points at exist in the same tenant (the FKs alone would allow another tenant's). */
async function assertInTenant(tx: Tx, table: 'customers' | 'sites', id: string | null, tenant: string): Promise<void> {
  if (id === null) return;
  const row = await tx.selectFrom(table).select('tenant').where('id', '=', id).executeTakeFirst();
  if (!row || row.tenant !== tenant) throw new PrognosError('PRG_BAD_REQUEST', `${table} ${id} is not in tenant ${tenant}`);
}

export async function upsertCustomer(deps: RegistryDeps, caller: Caller, tenant: string, input: unknown): Promise<CustomerRecord> {
  const c = parse(CustomerSchema, input);
  assertCanWrite(caller, tenant);
  await deps.db.transaction().execute(async (tx) => {
    await assertTenantExists(tx, tenant);
    await upsert(tx, 'customers', tenant, customerValues(c, new Date(deps.clock.now())));
  });
  return getCustomer(deps, caller, c.id);
}

export async function upsertSite(deps: RegistryDeps, caller: Caller, tenant: string, input: unknown): Promise<SiteRecord> {
  const s = parse(SiteSchema, input);
  assertCanWrite(caller, tenant);
  await deps.db.transaction().execute(async (tx) => {
    await assertTenantExists(tx, tenant);
    await assertInTenant(tx, 'customers', s.customerId, tenant);
    await upsert(tx, 'sites', tenant, siteValues(s));
  });
  return { ...s, tenant };
}

export async function upsertDevice(deps: RegistryDeps, caller: Caller, tenant: string, input: unknown): Promise<DeviceRecord> {
  const d = parse(DeviceSchema, input);
  assertCanWrite(caller, tenant);
  await deps.db.transaction().execute(async (tx) => {
    await assertTenantExists(tx, tenant);
    await assertInTenant(tx, 'customers', d.customerId, tenant);
    await assertInTenant(tx, 'sites', d.siteId, tenant);
    await upsert(tx, 'devices', tenant, deviceValues(d));
  });
  return getDevice(deps, caller, d.id);
}

export async function upsertTechnician(deps: RegistryDeps, caller: Caller, tenant: string, input: unknown): Promise<TechnicianRecord> {
  const t = parse(TechnicianSchema, input);
  assertCanWrite(caller, tenant);
  await deps.db.transaction().execute(async (tx) => {
    await assertTenantExists(tx, tenant);
    await upsert(tx, 'technicians', tenant, technicianValues(t));
  });
  return { ...t, tenant };
}

type CustomerRow = Selectable<CustomerTable>;

function toCustomer(r: CustomerRow): CustomerRecord {
  return {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    contactEmail: r.contact_email,
    phone: r.phone,
    preferredChannel: r.preferred_channel as Customer['preferredChannel'],
    webhookUrl: r.webhook_url,
    language: r.language as Customer['language'],
    plainLanguage: r.plain_language,
    quietHours: r.quiet_start && r.quiet_end ? { start: r.quiet_start, end: r.quiet_end } : null,
    timezone: r.timezone,
    availability: r.availability,
    needsHuman: r.needs_human,
    optedOut: r.opted_out,
  };
}

export async function getCustomer(deps: RegistryDeps, caller: Caller, id: string): Promise<CustomerRecord> {
  const r = await deps.db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  return toCustomer(readable(caller, r && { ...r, customerId: r.id }, `customer ${id}`));
}

export async function listCustomers(deps: RegistryDeps, caller: Caller, filter: { tenant?: string } = {}): Promise<CustomerRecord[]> {
  const tenant = listTenant(caller, filter.tenant);
  const customer = listCustomer(caller, undefined);
  let q = deps.db.selectFrom('customers').selectAll().orderBy('id');
  if (tenant !== undefined) q = q.where('tenant', '=', tenant);
  if (customer !== undefined) q = q.where('id', '=', customer);
  return (await q.execute()).map(toCustomer);
}

export async function listSites(deps: RegistryDeps, caller: Caller, filter: { tenant?: string } = {}): Promise<SiteRecord[]> {
  const tenant = listTenant(caller, filter.tenant);
  const customer = listCustomer(caller, undefined);
  let q = deps.db.selectFrom('sites').selectAll().orderBy('id');
  if (tenant !== undefined) q = q.where('tenant', '=', tenant);
  if (customer !== undefined) q = q.where('customer_id', '=', customer);
  return (await q.execute()).map((r) => ({ id: r.id, tenant: r.tenant, customerId: r.customer_id, name: r.name, lat: r.lat, lon: r.lon, address: r.address }));
}

function toDevice(r: Selectable<DeviceTable>): DeviceRecord {
  return {
    id: r.id,
    tenant: r.tenant,
    equipmentType: r.equipment_type,
    model: r.model,
    installedAt: new Date(r.installed_at).toISOString(),
    customerId: r.customer_id,
    siteId: r.site_id,
    criticality: r.criticality as Device['criticality'],
  };
}

export async function getDevice(deps: RegistryDeps, caller: Caller, id: string): Promise<DeviceRecord> {
  const r = await deps.db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  return toDevice(readable(caller, r && { ...r, customerId: r.customer_id }, `device ${id}`));
}

export async function listDevices(deps: RegistryDeps, caller: Caller, filter: { tenant?: string; customerId?: string; siteId?: string } = {}): Promise<DeviceRecord[]> {
  const tenant = listTenant(caller, filter.tenant);
  const customer = listCustomer(caller, filter.customerId);
  let q = deps.db.selectFrom('devices').selectAll().orderBy('id');
  if (tenant !== undefined) q = q.where('tenant', '=', tenant);
  if (customer !== undefined) q = q.where('customer_id', '=', customer);
  if (filter.siteId !== undefined) q = q.where('site_id', '=', filter.siteId);
  return (await q.execute()).map(toDevice);
}

function toTechnician(r: Selectable<TechnicianTable>): TechnicianRecord {
  return { id: r.id, tenant: r.tenant, name: r.name, skills: r.skills, homeLat: r.home_lat, homeLon: r.home_lon, workingHours: r.working_hours as Technician['workingHours'], timezone: r.timezone };
}

/** Technicians are the tenant's staff: customers do not list them. */
export async function listTechnicians(deps: RegistryDeps, caller: Caller, filter: { tenant?: string; skill?: string } = {}): Promise<TechnicianRecord[]> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers do not list technicians');
  const tenant = listTenant(caller, filter.tenant);
  let q = deps.db.selectFrom('technicians').selectAll().orderBy('id');
  if (tenant !== undefined) q = q.where('tenant', '=', tenant);
  if (filter.skill !== undefined) q = q.where(sql<boolean>`skills ? ${filter.skill}`);
  return (await q.execute()).map(toTechnician);
}

export async function getTechnician(deps: RegistryDeps, caller: Caller, id: string): Promise<TechnicianRecord> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers do not read technicians');
  const r = await deps.db.selectFrom('technicians').selectAll().where('id', '=', id).executeTakeFirst();
  return toTechnician(readable(caller, r && { ...r, customerId: null }, `technician ${id}`));
}

/** Removes a device that has no tickets (a device with history is kept for its audit trail). */
export async function deleteDevice(deps: RegistryDeps, caller: Caller, id: string): Promise<void> {
  if (caller.kind === 'customer') throw new PrognosError('PRG_FORBIDDEN', 'customers cannot remove devices');
  const r = await deps.db.selectFrom('devices').select(['tenant', 'customer_id']).where('id', '=', id).executeTakeFirst();
  if (!r || (caller.kind !== 'admin' && caller.tenant !== r.tenant)) throw new PrognosError('PRG_NOT_FOUND', `device ${id}`);
  assertCanWrite(caller, r.tenant);
  const t = await deps.db.selectFrom('tickets').select('id').where('device_id', '=', id).limit(1).executeTakeFirst();
  if (t) throw new PrognosError('PRG_BAD_REQUEST', `device ${id} has tickets; it is kept for their audit trail`);
  await deps.db.deleteFrom('devices').where('id', '=', id).execute();
}

export const CustomerPreferencesSchema = z
  .object({
    preferredChannel: z.enum(CHANNELS),
    language: z.enum(LANGUAGES),
    plainLanguage: z.boolean(),
    quietHours: z.object({ start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/), end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) }).nullable(),
    optedOut: z.boolean(),
  })
  .partial()
  .strict();
export type CustomerPreferences = z.input<typeof CustomerPreferencesSchema>;

/**
 * The settings a customer may change for themselves (and their tenant's engineers for them):
 * channel, language, plain language, quiet hours, opt-out. Contact details are not among them
 * (changing where messages go is security-sensitive: an engineer does it through upsertCustomer).
 */
export async function updateCustomerPreferences(deps: RegistryDeps, caller: Caller, customerId: string, input: CustomerPreferences): Promise<CustomerRecord> {
  const p = parse(CustomerPreferencesSchema, input);
  const current = await getCustomer(deps, caller, customerId);
  if (caller.kind !== 'customer') assertCanWrite(caller, current.tenant);
  // re-check the whole record so a channel switch cannot leave it without an address
  const next = parse(CustomerSchema, { ...current, ...p, tenant: undefined });
  await deps.db
    .updateTable('customers')
    .set({
      preferred_channel: next.preferredChannel,
      language: next.language,
      plain_language: next.plainLanguage,
      quiet_start: next.quietHours?.start ?? null,
      quiet_end: next.quietHours?.end ?? null,
      opted_out: next.optedOut,
      updated_at: new Date(deps.clock.now()),
    })
    .where('id', '=', customerId)
    .execute();
  return getCustomer(deps, caller, customerId);
}
