import { z } from 'zod';
import { PrognosError } from '../../platform/errors.ts';
import type { Ticket } from '../assistant-ports.ts';
import { TicketId } from './ticket-tools.ts';
import { changeTool, type ToolContext } from './tool.ts';

const Slot = z.object({
  start: z.iso.datetime({ offset: true }).describe('ISO start time, from proposeVisitSlots'),
  end: z.iso.datetime({ offset: true }),
  engineer: z.string().min(1).max(128),
});

async function ticketWithVisit(ctx: ToolContext, ticketId: string): Promise<Ticket & { visit: NonNullable<Ticket['visit']> }> {
  const t = await ctx.ports.getTicket(ctx.caller, ticketId);
  if (!t.visit || t.visit.status !== 'scheduled') throw new PrognosError('PRG_BAD_REQUEST', `ticket ${ticketId} has no scheduled visit`);
  return t as Ticket & { visit: NonNullable<Ticket['visit']> };
}

export const scheduleVisitTool = changeTool({
  name: 'scheduleVisit',
  description: 'Book a visit for a ticket in one of the slots from proposeVisitSlots. Returns a proposal the user must confirm (unless the ticket tier is ai).',
  parameters: z.object({ ticketId: TicketId, slot: Slot }),
  roles: ['engineer', 'customer'],
  async prepare(ctx, args) {
    const t = await ctx.ports.getTicket(ctx.caller, args.ticketId);
    if (t.visit && t.visit.status === 'scheduled') throw new PrognosError('PRG_BAD_REQUEST', `ticket ${t.id} already has a visit at ${t.visit.start}; reschedule it instead`);
    const summary =
      ctx.language === 'zh-CN'
        ? `为工单 ${t.id}（${t.device}）安排上门：${args.slot.start} 至 ${args.slot.end}，${args.slot.engineer}`
        : `schedule a visit for ticket ${t.id} (${t.device}) from ${args.slot.start} to ${args.slot.end} with ${args.slot.engineer}`;
    return { ticketId: t.id, tier: t.tier, summary };
  },
  async execute(ctx, args) {
    return { visit: await ctx.ports.scheduleVisit(ctx.caller, { ticketId: args.ticketId, slot: args.slot }) };
  },
});

export const rescheduleVisitTool = changeTool({
  name: 'rescheduleVisit',
  description: "Move a ticket's scheduled visit to another slot from proposeVisitSlots. Returns a proposal the user must confirm (unless the ticket tier is ai).",
  parameters: z.object({ ticketId: TicketId, slot: Slot }),
  roles: ['engineer', 'customer'],
  async prepare(ctx, args) {
    const t = await ticketWithVisit(ctx, args.ticketId);
    const summary =
      ctx.language === 'zh-CN'
        ? `将工单 ${t.id}（${t.device}）的上门从 ${t.visit.start} 改到 ${args.slot.start} 至 ${args.slot.end}，${args.slot.engineer}`
        : `move the visit for ticket ${t.id} (${t.device}) from ${t.visit.start} to ${args.slot.start}–${args.slot.end} with ${args.slot.engineer}`;
    return { ticketId: t.id, tier: t.tier, summary };
  },
  async execute(ctx, args) {
    const t = await ticketWithVisit(ctx, args.ticketId);
    return { visit: await ctx.ports.rescheduleVisit(ctx.caller, { ticketId: t.id, visitId: t.visit.id, slot: args.slot }) };
  },
});

export const cancelVisitTool = changeTool({
  name: 'cancelVisit',
  description: "Cancel a ticket's scheduled visit. Returns a proposal the user must confirm (unless the ticket tier is ai).",
  parameters: z.object({ ticketId: TicketId, reason: z.string().min(1).max(500) }),
  roles: ['engineer', 'customer'],
  async prepare(ctx, args) {
    const t = await ticketWithVisit(ctx, args.ticketId);
    const summary = ctx.language === 'zh-CN' ? `取消工单 ${t.id}（${t.device}）在 ${t.visit.start} 的上门` : `cancel the visit for ticket ${t.id} (${t.device}) on ${t.visit.start}`;
    return { ticketId: t.id, tier: t.tier, summary };
  },
  async execute(ctx, args) {
    const t = await ticketWithVisit(ctx, args.ticketId);
    return { visit: await ctx.ports.cancelVisit(ctx.caller, { ticketId: t.id, visitId: t.visit.id, reason: args.reason }) };
  },
});
