import { z } from 'zod';
import { quote } from '../untrusted-text.ts';
import { TicketId } from './ticket-tools.ts';
import { changeTool, readTool } from './tool.ts';

export const draftCustomerMessageTool = readTool({
  name: 'draftCustomerMessage',
  description: "Draft a message to the ticket's customer (in the customer's language). Nothing is sent; send it with sendCustomerMessage.",
  parameters: z.object({ ticketId: TicketId, intent: z.string().min(1).max(500).describe('what the message should say'), language: z.enum(['en', 'zh-CN']).optional() }),
  roles: ['engineer'],
  async run(ctx, args) {
    const d = await ctx.ports.draftCustomerMessage(ctx.caller, { ticketId: args.ticketId, intent: args.intent, language: args.language ?? ctx.language });
    return { ...d, subject: quote(d.subject), body: quote(d.body) };
  },
});

export const sendCustomerMessageTool = changeTool({
  name: 'sendCustomerMessage',
  description: "Send a message to the ticket's customer. Returns a proposal the user must confirm (unless the ticket tier is ai).",
  parameters: z.object({ ticketId: TicketId, subject: z.string().min(1).max(200), body: z.string().min(1).max(5000) }),
  roles: ['engineer'],
  async prepare(ctx, args) {
    const t = await ctx.ports.getTicket(ctx.caller, args.ticketId);
    const summary = ctx.language === 'zh-CN' ? `向工单 ${t.id} 的客户发送消息“${args.subject}”` : `send the customer of ticket ${t.id} a message "${args.subject}"`;
    return { ticketId: t.id, tier: t.tier, summary };
  },
  async execute(ctx, args) {
    return { sent: await ctx.ports.sendCustomerMessage(ctx.caller, { ...args, conversationId: ctx.conversationId }) };
  },
});
