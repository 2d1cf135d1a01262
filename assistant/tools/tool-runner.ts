import { randomUUID } from 'node:crypto';
import { callerLabel } from '../../platform/caller.ts';
import { isPrognosError } from '../../platform/errors.ts';
import type { ConversationStore, Proposal } from '../conversation-store.ts';
import type { Tool, ToolContext } from './tool.ts';

export interface ToolOutcome {
  /** Audit id (assistant_tool_calls.id): what answers cite as their sources. */
  id: string;
  name: string;
  arguments: unknown;
  ok: boolean;
  result: unknown;
  proposal: Proposal | null;
  executed: boolean;
}

/**
 * Runs one tool call the way the model (or the offline responder) asked for it: the caller is
 * always the conversation's, arguments are validated with the tool's own zod schema, changes
 * become proposals unless the ticket's tier is `ai`, and every call lands in the audit trail.
 */
export async function runTool(
  ctx: ToolContext,
  store: ConversationStore,
  tools: readonly Tool[],
  call: { name: string; arguments: string | Record<string, unknown>; modelCallId?: string | null },
): Promise<ToolOutcome> {
  const id = randomUUID();
  const started = performance.now();
  let args: unknown = call.arguments;
  let ok = false;
  let result: unknown;
  let proposal: Proposal | null = null;
  let executed = false;
  try {
    const tool = tools.find((t) => t.name === call.name);
    if (!tool) {
      result = { error: 'unknown_tool', message: `no tool named ${call.name} is available to this user` };
    } else {
      if (typeof args === 'string') args = args.trim() === '' ? {} : JSON.parse(args);
      const parsed = tool.parameters.safeParse(args);
      if (!parsed.success) {
        result = { error: 'invalid_arguments', issues: parsed.error.issues.map((i: { path: PropertyKey[]; message: string }) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`) };
      } else if (tool.effect === 'read') {
        result = await tool.run(ctx, parsed.data);
        ok = true;
      } else {
        const plan = await tool.prepare(ctx, parsed.data);
        // Defence in depth: quoted text that tried to instruct the model suspends acting alone.
        if (plan.tier === 'ai' && !(await ctx.injectionSeen())) {
          result = { executed: true, summary: plan.summary, outcome: await tool.execute(ctx, parsed.data) };
          executed = true;
        } else {
          proposal = await store.createProposal(ctx.conversationId, { toolCallId: id, action: tool.name, arguments: parsed.data, summary: plan.summary });
          result = {
            executed: false,
            status: 'awaiting_confirmation',
            proposalId: proposal.id,
            summary: plan.summary,
            instruction: 'Nothing has changed yet. Tell the user what you propose and ask them to reply "yes" (or 确认) to confirm.',
          };
        }
        ok = true;
      }
    }
  } catch (err) {
    result = isPrognosError(err)
      ? { error: err.code, message: err.message }
      : err instanceof SyntaxError
        ? { error: 'invalid_arguments', message: 'arguments are not valid JSON' }
        : { error: 'tool_failed', message: 'the tool failed' };
  }
  await store.recordToolCall(ctx.conversationId, {
    id,
    modelCallId: call.modelCallId ?? null,
    actor: callerLabel(ctx.caller),
    name: call.name,
    arguments: args,
    ok,
    result,
    durationMs: performance.now() - started,
  });
  return { id, name: call.name, arguments: args, ok, result, proposal, executed };
}

/** Executes a confirmed proposal as the confirming caller (authority is checked again by the ports). */
export async function executeProposal(ctx: ToolContext, store: ConversationStore, tools: readonly Tool[], p: Proposal): Promise<ToolOutcome> {
  const id = randomUUID();
  const started = performance.now();
  let ok = false;
  let result: unknown;
  const tool = tools.find((t) => t.name === p.action);
  try {
    if (!tool || tool.effect !== 'change') throw new Error(`no change tool ${p.action}`);
    const args = tool.parameters.parse(p.arguments);
    result = { executed: true, proposalId: p.id, summary: p.summary, outcome: await tool.execute(ctx, args) };
    ok = true;
    await store.decideProposal(p.id, 'executed', result);
  } catch (err) {
    result = { executed: false, proposalId: p.id, error: isPrognosError(err) ? err.code : 'tool_failed', message: err instanceof Error ? err.message : String(err) };
    await store.decideProposal(p.id, 'failed', result);
  }
  await store.recordToolCall(ctx.conversationId, {
    id,
    modelCallId: null,
    actor: callerLabel(ctx.caller),
    name: `${p.action}:confirmed`,
    arguments: p.arguments,
    ok,
    result,
    durationMs: performance.now() - started,
  });
  return { id, name: p.action, arguments: p.arguments, ok, result, proposal: p, executed: ok };
}
