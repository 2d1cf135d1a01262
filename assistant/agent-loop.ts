import type { ConversationStore } from './conversation-store.ts';
import type { ChatMessage, LlmClient } from './llm-client.ts';
import { runTool, type ToolOutcome } from './tools/tool-runner.ts';
import { type Tool, type ToolContext, toOpenAiTool } from './tools/tool.ts';

/** What a listener sees while an answer is produced: text as it streams, and a reset when streamed text turned out not to be the answer. */
export type StreamEvent = { type: 'delta'; text: string } | { type: 'reset' };

export interface AgentLoopOptions {
  llm: LlmClient;
  tools: readonly Tool[];
  ctx: ToolContext;
  store: ConversationStore;
  /** System prompt, history and the new user message. */
  messages: ChatMessage[];
  /** Most model calls in one turn (each may make several tool calls). Default 6. */
  maxSteps?: number;
  onStream?: (e: StreamEvent) => void;
  signal?: AbortSignal;
}

export interface AgentLoopResult {
  answer: string;
  outcomes: ToolOutcome[];
  steps: number;
  /** True when the step bound was reached before the model gave an answer. */
  exhausted: boolean;
  /** The messages this loop added (assistant tool-call turns, tool results, not the final answer). */
  added: ChatMessage[];
}

/** Tool results are cut to this many characters before the model sees them. */
const MAX_RESULT_CHARS = 12_000;

export function toolResultContent(o: ToolOutcome): string {
  const text = JSON.stringify({ source: o.id, result: o.result });
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}…(truncated)` : text;
}

/**
 * The tool-calling loop: ask the model; run the tool calls it makes (as the caller, through
 * the tool runner) and hand back their results; stop at a reply without tool calls or at the
 * step bound. Text that streams on a step that then calls tools is announced with a reset.
 */
export async function runAgentLoop(o: AgentLoopOptions): Promise<AgentLoopResult> {
  const maxSteps = o.maxSteps ?? 6;
  const specs = o.tools.map(toOpenAiTool);
  const messages = [...o.messages];
  const added: ChatMessage[] = [];
  const outcomes: ToolOutcome[] = [];
  for (let step = 1; step <= maxSteps; step++) {
    // The last step gets no tools, so the model has to answer with what it has.
    const offerTools = step < maxSteps;
    let streamed = false;
    const turn = await o.llm.complete({
      messages,
      tools: offerTools ? specs : undefined,
      signal: o.signal,
      onDelta: (text) => {
        streamed = true;
        o.onStream?.({ type: 'delta', text });
      },
    });
    if (turn.toolCalls.length === 0 || !offerTools) {
      const answer = turn.content.trim();
      return { answer, outcomes, steps: step, exhausted: !offerTools && (turn.toolCalls.length > 0 || answer === ''), added };
    }
    if (streamed) o.onStream?.({ type: 'reset' });
    const assistantMsg: ChatMessage = {
      role: 'assistant',
      content: turn.content || null,
      tool_calls: turn.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    };
    messages.push(assistantMsg);
    added.push(assistantMsg);
    await o.store.appendMessage(o.ctx.conversationId, { role: 'assistant', content: turn.content, toolCalls: turn.toolCalls, toolCallId: null, sources: null });
    for (const call of turn.toolCalls) {
      const outcome = await runTool(o.ctx, o.store, o.tools, { name: call.name, arguments: call.arguments, modelCallId: call.id });
      outcomes.push(outcome);
      const content = toolResultContent(outcome);
      const toolMsg: ChatMessage = { role: 'tool', tool_call_id: call.id, content };
      messages.push(toolMsg);
      added.push(toolMsg);
      await o.store.appendMessage(o.ctx.conversationId, { role: 'tool', content, toolCalls: null, toolCallId: call.id, sources: null });
    }
  }
  // Only reached with maxSteps < 1.
  return { answer: '', outcomes, steps: 0, exhausted: true, added };
}
