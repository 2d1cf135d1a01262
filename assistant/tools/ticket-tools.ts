import { z } from 'zod';
import type { Ticket } from '../assistant-ports.ts';
import { quote } from '../untrusted-text.ts';
import { readTool } from './tool.ts';

export const TicketId = z.string().min(1).max(64).describe('ticket id');

export function quoteTicket(t: Ticket) {
  return {
    ...t,
    title: quote(t.title),
    note: quote(t.note),
    customerMessages: t.customerMessages.map((m) => ({ at: m.at, text: quote(m.text) })),
  };
}

export const listTicketsTool = readTool({
  name: 'listTickets',
  description: 'List maintenance tickets the user may see (optionally for one device), with status, tier and any scheduled visit.',
  parameters: z.object({
    device: z.string().min(1).max(64).optional(),
    status: z.enum(['open', 'closed', 'all']).default('open'),
  }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    const items = await ctx.ports.listTickets(ctx.caller, { device: args.device, status: args.status });
    return { tickets: items.map((t) => ({ ...t, title: quote(t.title) })) };
  },
});

export const getTicketTool = readTool({
  name: 'getTicket',
  description: "One ticket in full: note, failure mode, customer's messages, visit.",
  parameters: z.object({ ticketId: TicketId }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    return quoteTicket(await ctx.ports.getTicket(ctx.caller, args.ticketId));
  },
});

export const proposeVisitSlotsTool = readTool({
  name: 'proposeVisitSlots',
  description: 'Free visit slots for a ticket (start, end, engineer). Offer them; book one with scheduleVisit.',
  parameters: z.object({ ticketId: TicketId }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    return { ticketId: args.ticketId, slots: await ctx.ports.proposeVisitSlots(ctx.caller, args.ticketId) };
  },
});
