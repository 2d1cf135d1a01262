import { z } from 'zod';
import { readTool } from './tool.ts';

/** Handing over to a person is always allowed and never waits for a confirmation. */
export const handOffTool = readTool({
  name: 'handOff',
  description: 'Hand the conversation to a human (service desk) with the reason, when you cannot help or the user asks for a person.',
  parameters: z.object({ reason: z.string().min(1).max(500) }),
  roles: ['engineer', 'customer'],
  async run(ctx, args) {
    const transcript = await ctx.transcript();
    const receipt = await ctx.ports.handOff(ctx.caller, { conversationId: ctx.conversationId, reason: args.reason, transcript, context: { requestedBy: ctx.handOffContext ? 'handoff-detector' : 'assistant', language: ctx.language, ...ctx.handOffContext } });
    return { handedOff: true, ...receipt };
  },
});
