import { z } from 'zod';
import type { DeviceSummary } from '../assistant-ports.ts';
import { quote } from '../untrusted-text.ts';
import { readTool } from './tool.ts';

const DeviceId = z.string().min(1).max(64).describe('device id, e.g. pump-07');

export function quoteDevice<T extends DeviceSummary>(d: T): Omit<T, 'name'> & { name: ReturnType<typeof quote> } {
  return { ...d, name: quote(d.name) };
}

export const fleetOverviewTool = readTool({
  name: 'fleetOverview',
  description: 'List the devices the user may see, with health, top failure risk (0..1) and open tickets.',
  parameters: z.object({}),
  roles: ['engineer', 'customer'],
  async run(ctx) {
    const o = await ctx.ports.fleetOverview(ctx.caller);
    return { tenant: o.tenant, devices: o.devices.map(quoteDevice) };
  },
});

export const deviceStatusTool = readTool({
  name: 'deviceStatus',
  description: 'Current status of one device: health, last seen, latest value of each sensor, top risk.',
  parameters: z.object({ device: DeviceId }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    return quoteDevice(await ctx.ports.deviceStatus(ctx.caller, args.device));
  },
});

export const telemetrySummaryTool = readTool({
  name: 'telemetrySummary',
  description: 'Per-sensor statistics (min, max, mean, last, slope per hour, trend) and data gaps of one device over the last N hours.',
  parameters: z.object({
    device: DeviceId,
    hours: z.number().int().min(1).max(24 * 30).default(24).describe('window length in hours, ending now'),
  }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    const to = new Date(ctx.now).toISOString();
    const from = new Date(ctx.now - args.hours * 3600_000).toISOString();
    return ctx.ports.telemetrySummary(ctx.caller, args.device, { from, to });
  },
});
