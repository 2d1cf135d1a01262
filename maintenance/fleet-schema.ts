import { z } from 'zod';

/**
 * The fleet registry's records as they cross a boundary (`prognos fleet import <file>`, the API,
 * the assistant's tools). Field names are camelCase here and snake_case in SQL.
 */

const Id = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'ids are [A-Za-z0-9._-]{1,64}');
const HhMm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "local time 'HH:MM'");
/** An IANA time zone this runtime knows, e.g. `Asia/Shanghai`. */
const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];
export const CHANNELS = ['email', 'webhook', 'mqtt'] as const;
export const LANGUAGES = ['en', 'zh-CN'] as const;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const Window = z.object({ start: HhMm, end: HhMm }).refine((w) => w.start < w.end, 'a window ends after it starts');

export const TenantSchema = z.object({ id: Id, name: z.string().min(1).max(200) });
export type TenantInput = z.infer<typeof TenantSchema>;

export const CustomerSchema = z
  .object({
    id: Id,
    name: z.string().min(1).max(200),
    contactEmail: z.email().nullable().default(null),
    phone: z.string().max(40).nullable().default(null),
    preferredChannel: z.enum(CHANNELS).default('email'),
    webhookUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
    language: z.enum(LANGUAGES).default('en'),
    plainLanguage: z.boolean().default(false),
    /** Quiet hours, local to `timezone`; start > end wraps midnight (22:00–07:00). */
    quietHours: z.object({ start: HhMm, end: HhMm }).nullable().default(null),
    timezone: TimeZone.default('UTC'),
    /** Weekly windows in which a visit may happen; day 0 = Sunday. Empty = any time. */
    availability: z.array(z.object({ day: z.number().int().min(0).max(6), start: HhMm, end: HhMm }).refine((w) => w.start < w.end, 'a window ends after it starts')).default([]),
    needsHuman: z.boolean().default(false),
    optedOut: z.boolean().default(false),
  })
  .refine((c) => c.preferredChannel !== 'email' || c.contactEmail !== null, { message: 'the email channel needs contactEmail', path: ['contactEmail'] })
  .refine((c) => c.preferredChannel !== 'webhook' || c.webhookUrl !== null, { message: 'the webhook channel needs webhookUrl', path: ['webhookUrl'] });
export type CustomerInput = z.input<typeof CustomerSchema>;
export type Customer = z.infer<typeof CustomerSchema>;

export const SiteSchema = z.object({
  id: Id,
  customerId: Id.nullable().default(null),
  name: z.string().min(1).max(200),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  address: z.string().max(500).default(''),
});
export type Site = z.infer<typeof SiteSchema>;

export const DeviceSchema = z.object({
  id: Id,
  equipmentType: z.string().min(1).max(64),
  model: z.string().min(1).max(200),
  installedAt: z.iso.datetime({ offset: true }).or(z.iso.date()),
  customerId: Id,
  siteId: Id,
  criticality: z.enum(CRITICALITIES).default('medium'),
});
export type Device = z.infer<typeof DeviceSchema>;

export const TechnicianSchema = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  /** Failure mode ids the technician may repair. */
  skills: z.array(z.string().min(1).max(64)).min(1),
  homeLat: z.number().min(-90).max(90),
  homeLon: z.number().min(-180).max(180),
  workingHours: z.partialRecord(z.enum(WEEKDAYS), z.array(Window)),
  timezone: TimeZone.default('UTC'),
});
export type Technician = z.infer<typeof TechnicianSchema>;

/** One tenant's fleet: what `prognos fleet import <file>` reads (JSON). */
export const FleetDocumentSchema = z
  .object({
    tenant: TenantSchema,
    customers: z.array(CustomerSchema).default([]),
    sites: z.array(SiteSchema).default([]),
    devices: z.array(DeviceSchema).default([]),
    technicians: z.array(TechnicianSchema).default([]),
  })
  .superRefine((doc, ctx) => {
    const customers = new Set(doc.customers.map((c) => c.id));
    const sites = new Set(doc.sites.map((s) => s.id));
    for (const [key, list] of [['customers', doc.customers], ['sites', doc.sites], ['devices', doc.devices], ['technicians', doc.technicians]] as const) {
      const seen = new Set<string>();
      list.forEach((r, i) => {
        if (seen.has(r.id)) ctx.addIssue({ code: 'custom', message: `duplicate id ${r.id}`, path: [key, i, 'id'] });
        seen.add(r.id);
      });
    }
    doc.sites.forEach((s, i) => {
      if (s.customerId !== null && !customers.has(s.customerId)) ctx.addIssue({ code: 'custom', message: `unknown customer ${s.customerId}`, path: ['sites', i, 'customerId'] });
    });
    doc.devices.forEach((d, i) => {
      if (!customers.has(d.customerId)) ctx.addIssue({ code: 'custom', message: `unknown customer ${d.customerId}`, path: ['devices', i, 'customerId'] });
      if (!sites.has(d.siteId)) ctx.addIssue({ code: 'custom', message: `unknown site ${d.siteId}`, path: ['devices', i, 'siteId'] });
    });
  });
export type FleetDocument = z.infer<typeof FleetDocumentSchema>;
export type FleetDocumentInput = z.input<typeof FleetDocumentSchema>;
