import { type FleetOptions, fleetUnit } from '../simulators/fleet.ts';
import { deriveSeed, Rng } from '../simulators/prng.ts';
import type { CustomerInput, FleetDocumentInput } from './fleet-schema.ts';

/**
 * The registry for the simulator's fleet: the same devices (ids, types, models, install dates)
 * as simulators/fleet.ts, owned by ~N/3 customers in and around Shanghai (a mix of English and
 * Chinese, some plain-language, some with quiet hours), and technicians whose skills cover every
 * simulated failure mode. Deterministic in (seed, devices).
 */

const CENTRE = { lat: 31.23, lon: 121.47 };
const TIMEZONE = 'Asia/Shanghai';

/** Skill sets: together they cover every mode the simulator can fail with. */
const SKILL_SETS: readonly (readonly string[])[] = [
  ['bearing_wear', 'seal_wear'],
  ['valve_wear', 'cooler_fouling'],
  ['gear_wear', 'gear_tooth_crack', 'bearing_wear'],
  ['winding_insulation'],
  ['bearing_wear', 'seal_wear', 'valve_wear', 'cooler_fouling', 'gear_wear'],
];
const TECH_NAMES = ['Wang Lei', 'Anna Schmidt', 'Li Na', 'Tom Becker', 'Zhang Wei', 'Maria Rossi', 'Chen Jie', 'Liu Yang', 'Sam Carter', 'Zhao Min'];
const CUSTOMER_NAMES_EN = ['Harbour Foods', 'Northwind Plastics', 'Bluewater Utilities', 'Atlas Textiles', 'Keystone Brewing', 'Meridian Labs'];
const CUSTOMER_NAMES_ZH = ['华东食品', '申城塑料', '浦江水务', '长江纺织', '金桥啤酒', '东方实验室'];
const CRITICALITY = [
  ['low', 0.2],
  ['medium', 0.5],
  ['high', 0.25],
  ['critical', 0.05],
] as const;

const round = (x: number, digits = 5) => Math.round(x * 10 ** digits) / 10 ** digits;
const pad = (n: number, width = 3) => String(n).padStart(width, '0');

export function demoFleet(o: FleetOptions & { tenantName?: string }): FleetDocumentInput {
  const rng = new Rng(deriveSeed(o.seed, 'registry'));
  const customerCount = Math.max(1, Math.round(o.devices / 3));
  const customers: CustomerInput[] = [];
  const sites: FleetDocumentInput['sites'] = [];
  for (let c = 0; c < customerCount; c++) {
    const id = `C-${pad(c + 1)}`;
    const zh = rng.chance(0.5);
    const names = zh ? CUSTOMER_NAMES_ZH : CUSTOMER_NAMES_EN;
    const name = `${names[c % names.length]}${c >= names.length ? ` ${Math.floor(c / names.length) + 1}` : ''}`;
    const channelDraw = rng.next();
    const preferredChannel = channelDraw < 0.7 ? 'email' : channelDraw < 0.85 ? 'webhook' : 'mqtt';
    const weekendToo = rng.chance(0.3);
    const days = weekendToo ? [1, 2, 3, 4, 5, 6] : [1, 2, 3, 4, 5];
    const [start, end] = rng.chance(0.5) ? ['08:00', '17:00'] : ['09:00', '12:00'];
    customers.push({
      id,
      name,
      contactEmail: `ops@${id.toLowerCase()}.example.com`,
      phone: `+86 21 5${pad(c + 1, 3)} ${pad(Math.floor(rng.uniform(0, 10_000)), 4)}`,
      preferredChannel,
      webhookUrl: preferredChannel === 'webhook' ? `https://${id.toLowerCase()}.example.com/hooks/prognos` : null,
      language: zh ? 'zh-CN' : 'en',
      plainLanguage: rng.chance(0.35),
      quietHours: rng.chance(0.6) ? { start: '22:00', end: '07:00' } : null,
      timezone: TIMEZONE,
      availability: days.map((day) => ({ day, start, end })),
      needsHuman: rng.chance(0.1),
      optedOut: false,
    });
    // within ~40 km of the centre: travel times of minutes to an hour
    const r = 0.4 * Math.sqrt(rng.next());
    const a = rng.uniform(0, 2 * Math.PI);
    sites.push({ id: `S-${pad(c + 1)}`, customerId: id, name: `${name} plant`, lat: round(CENTRE.lat + r * Math.sin(a)), lon: round(CENTRE.lon + r * Math.cos(a)), address: `${c + 1} Industrial Road, Shanghai` });
  }
  const devices = Array.from({ length: o.devices }, (_, i) => {
    const unit = fleetUnit(o, i);
    // consecutive devices share a customer, about three each
    const c = Math.min(customerCount - 1, Math.floor((i * customerCount) / o.devices));
    let draw = rng.next();
    const criticality = CRITICALITY.find(([, p]) => (draw -= p) < 0)?.[0] ?? 'medium';
    return { id: unit.device, equipmentType: unit.type, model: unit.model, installedAt: unit.installedAt, customerId: customers[c]!.id, siteId: sites[c]!.id, criticality };
  });
  const techCount = Math.max(SKILL_SETS.length, Math.ceil(o.devices / 5));
  const technicians = Array.from({ length: techCount }, (_, t) => {
    const saturday = rng.chance(0.3);
    const weekday = [{ start: '08:00', end: '17:00' }];
    return {
      id: `TECH-${pad(t + 1)}`,
      name: `${TECH_NAMES[t % TECH_NAMES.length]}${t >= TECH_NAMES.length ? ` ${Math.floor(t / TECH_NAMES.length) + 1}` : ''}`,
      skills: [...SKILL_SETS[t % SKILL_SETS.length]!],
      homeLat: round(CENTRE.lat + rng.uniform(-0.2, 0.2)),
      homeLon: round(CENTRE.lon + rng.uniform(-0.2, 0.2)),
      workingHours: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, ...(saturday ? { sat: [{ start: '09:00', end: '13:00' }] } : {}) },
      timezone: TIMEZONE,
    };
  });
  return { tenant: { id: o.tenant, name: o.tenantName ?? `${o.tenant} fleet` }, customers, sites, devices, technicians };
}
