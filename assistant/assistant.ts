import type { Logger } from 'pino';
import { type Caller, callerLabel } from '../platform/caller.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/sql/database.ts';
import { runAgentLoop, type StreamEvent } from './agent-loop.ts';
import type { AssistantPorts, Language } from './assistant-ports.ts';
import { ConversationStore, type StoredMessage } from './conversation-store.ts';
import { checkGrounding, type Evidence, type GroundingReport, stripUnsupported } from './grounding-check.ts';
import { detectHandOff, type HandOffDecision } from './handoff-detector.ts';
import type { KnowledgeBase } from './knowledge-base.ts';
import { detectLanguage } from './language.ts';
import type { ChatMessage, LlmClient } from './llm-client.ts';
import { isConfirmation, isDecline, respondOffline } from './offline-responder.ts';
import { buildSystemPrompt } from './system-prompt.ts';
import { containsInjectedInstructions } from './untrusted-text.ts';
import { toolsFor } from './tools/tool-registry.ts';
import { executeProposal, runTool, type ToolOutcome } from './tools/tool-runner.ts';
import type { ToolContext } from './tools/tool.ts';

export interface AssistantOptions {
  db: Db;
  ports: AssistantPorts;
  knowledge: KnowledgeBase;
  clock: Clock;
  /** Null: no LLM configured, the offline responder answers. */
  llm: LlmClient | null;
  logger?: Logger;
  /** Most model calls per question. Default 6. */
  maxSteps?: number;
}

export interface AskInput {
  caller: Caller;
  message: string;
  /** Continue this conversation (it must be the caller's own). */
  conversationId?: string;
  onStream?: (e: StreamEvent) => void;
  signal?: AbortSignal;
}

export interface AskResult {
  conversationId: string;
  answer: string;
  /** Tool call ids (assistant_tool_calls.id) the answer rests on. */
  sources: string[];
  mode: 'llm' | 'offline';
  language: Language;
  /** This turn's tool calls, as audited. */
  toolCalls: { id: string; name: string; arguments: unknown; ok: boolean; result: unknown }[];
  /** Proposals made or decided this turn. */
  proposals: { id: string; action: string; summary: string; status: string }[];
  handOff: { reason: string; urgency: string; matched: string[]; receipt: unknown } | null;
  grounding: { ok: boolean; repaired: null | 'reprompt' | 'stripped'; unsupported: string[] };
}

const MAX_MESSAGE_CHARS = 4000;

const t = (lang: Language, en: string, zh: string) => (lang === 'zh-CN' ? zh : en);

/**
 * The assistant: one question in, one grounded answer out. Confirmations of pending proposals
 * and hand-offs are decided here, by rules, before any model sees the message; the model (or
 * the offline responder) only ever acts through the caller's tools.
 */
export class Assistant {
  private readonly store: ConversationStore;

  constructor(private readonly opts: AssistantOptions) {
    this.store = new ConversationStore(opts.db, opts.clock);
  }

  get conversations(): ConversationStore {
    return this.store;
  }

  async ask(input: AskInput): Promise<AskResult> {
    const message = input.message.slice(0, MAX_MESSAGE_CHARS);
    const caller = input.caller;
    const conv = await this.store.open(caller, input.conversationId, detectLanguage(message));
    const language = detectLanguage(message, conv.language);
    if (language !== conv.language) await this.store.setLanguage(conv.id, language);
    const history = await this.store.messages(conv.id);
    await this.store.appendMessage(conv.id, { role: 'user', content: message, toolCalls: null, toolCallId: null, sources: null });
    const tools = toolsFor(caller);
    const ctx: ToolContext = {
      caller,
      ports: this.opts.ports,
      knowledge: this.opts.knowledge,
      conversationId: conv.id,
      language,
      now: this.opts.clock.now(),
      transcript: async () => transcriptOf(await this.store.messages(conv.id)),
      injectionSeen: async () => (await this.store.toolCalls(conv.id)).some((c) => containsInjectedInstructions(c.result)),
    };
    const result: AskResult = {
      conversationId: conv.id,
      answer: '',
      sources: [],
      mode: this.opts.llm ? 'llm' : 'offline',
      language,
      toolCalls: [],
      proposals: [],
      handOff: null,
      grounding: { ok: true, repaired: null, unsupported: [] },
    };
    const finish = async (answer: string, sources: string[], outcomes: ToolOutcome[]): Promise<AskResult> => {
      result.answer = answer;
      result.sources = sources;
      result.toolCalls = outcomes.map((o) => ({ id: o.id, name: o.name, arguments: o.arguments, ok: o.ok, result: o.result }));
      for (const o of outcomes) if (o.proposal && !result.proposals.some((p) => p.id === o.proposal!.id)) result.proposals.push({ id: o.proposal.id, action: o.proposal.action, summary: o.proposal.summary, status: o.executed ? 'executed' : 'pending' });
      await this.store.appendMessage(conv.id, { role: 'assistant', content: answer, toolCalls: null, toolCallId: null, sources });
      return result;
    };

    // 1. A pending proposal is decided by the user's own words, never by the model.
    const pending = await this.store.pendingProposals(conv.id);
    if (pending.length > 0) {
      if (isConfirmation(message)) {
        const outcomes: ToolOutcome[] = [];
        for (const p of pending) outcomes.push(await executeProposal(ctx, this.store, tools, p));
        const lines = outcomes.map((o) => {
          const r = o.result as { summary?: string; message?: string };
          return o.ok ? t(language, `Done: ${r.summary}.`, `已完成：${r.summary}。`) : t(language, `That could not be done: ${r.message}`, `未能完成：${r.message}`);
        });
        const res = await finish(lines.join('\n'), outcomes.map((o) => o.id), outcomes);
        res.proposals = outcomes.map((o) => ({ id: o.proposal!.id, action: o.proposal!.action, summary: o.proposal!.summary, status: o.ok ? 'executed' : 'failed' }));
        return res;
      }
      for (const p of pending) await this.store.decideProposal(p.id, isDecline(message) ? 'declined' : 'superseded');
      if (isDecline(message)) {
        const res = await finish(t(language, 'OK, nothing was changed.', '好的，没有做任何更改。'), [], []);
        res.proposals = pending.map((p) => ({ id: p.id, action: p.action, summary: p.summary, status: 'declined' }));
        return res;
      }
    }

    // 2. Customers in danger, angry or repeatedly unhappy go to a person.
    if (caller.kind === 'customer') {
      const previous = history.filter((m) => m.role === 'user').map((m) => m.content);
      const decision = detectHandOff(message, previous);
      if (decision.handOff) return this.handOff(ctx, tools, decision, finish, result);
    }

    // 3. The model with tools, or the offline responder.
    if (this.opts.llm) {
      try {
        return await this.askModel(ctx, tools, history, message, input, finish, result);
      } catch (err) {
        if (input.signal?.aborted) throw err;
        this.opts.logger?.warn({ err }, 'assistant: the language model failed; answering in offline mode');
        result.mode = 'offline';
      }
    }
    const off = await respondOffline(ctx, this.store, tools, message);
    const evidence = off.outcomes.filter((o) => o.ok).map((o) => ({ id: o.id, result: o.result }));
    const report = checkGrounding(off.answer, evidence, { userText: message });
    result.grounding = { ok: report.ok, repaired: null, unsupported: report.unsupported.map((c) => c.text) };
    return finish(off.answer, sourcesOf(report, evidence, off.outcomes), off.outcomes);
  }

  private async handOff(
    ctx: ToolContext,
    tools: ReturnType<typeof toolsFor>,
    decision: HandOffDecision,
    finish: (a: string, s: string[], o: ToolOutcome[]) => Promise<AskResult>,
    result: AskResult,
  ): Promise<AskResult> {
    const lang = ctx.language;
    // The person taking over sees what the assistant looked up so far, not only the chat.
    const looked = (await this.store.toolCalls(ctx.conversationId)).map((c) => ({ id: c.id, name: c.name, arguments: c.arguments, ok: c.ok }));
    const outcome = await runTool({ ...ctx, handOffContext: { detector: decision, caller: callerLabel(ctx.caller), toolCalls: looked } }, this.store, tools, {
      name: 'handOff',
      arguments: { reason: `${decision.reason}: ${decision.matched.join(', ')}` },
    });
    result.handOff = { reason: decision.reason!, urgency: decision.urgency, matched: decision.matched, receipt: outcome.result };
    const safety =
      decision.reason === 'safety'
        ? t(lang, ' If anyone is in danger, leave the area and call the emergency services; switch the equipment off only if it is safe to do so.', '如有人员危险，请立即撤离并拨打急救电话；仅在确保安全时关闭设备。')
        : '';
    const text = outcome.ok
      ? t(lang, `I am passing this conversation to a person on our service team now, with everything you told me.${safety}`, `我现在把这次对话连同您提供的信息转给我们的人工服务团队。${safety}`)
      : t(lang, `I could not reach the service team automatically; please call your service contact.${safety}`, `无法自动联系服务团队，请直接致电您的服务联系人。${safety}`);
    return finish(text, [outcome.id], [outcome]);
  }

  private async askModel(
    ctx: ToolContext,
    tools: ReturnType<typeof toolsFor>,
    history: StoredMessage[],
    message: string,
    input: AskInput,
    finish: (a: string, s: string[], o: ToolOutcome[]) => Promise<AskResult>,
    result: AskResult,
  ): Promise<AskResult> {
    const llm = this.opts.llm!;
    const nowIso = new Date(this.opts.clock.now()).toISOString();
    const messages: ChatMessage[] = [{ role: 'system', content: buildSystemPrompt(ctx.caller, ctx.language, nowIso) }, ...toChatHistory(history), { role: 'user', content: message }];
    const loop = await runAgentLoop({ llm, tools, ctx, store: this.store, messages, maxSteps: this.opts.maxSteps, onStream: input.onStream, signal: input.signal });
    const outcomes = [...loop.outcomes];
    const evidenceNow = async (): Promise<Evidence[]> => [
      { id: 'clock', result: { now: nowIso } },
      ...(await this.store.toolCalls(ctx.conversationId)).filter((c) => c.ok).map((c) => ({ id: c.id, result: c.result })),
    ];
    let answer = loop.answer || t(ctx.language, 'I could not finish answering within the step limit.', '在步数上限内未能完成回答。');
    let report = checkGrounding(answer, await evidenceNow(), { userText: message });
    let repaired: AskResult['grounding']['repaired'] = null;
    if (!report.ok) {
      // One re-prompt naming what nothing supports; then strip what is still unsupported.
      input.onStream?.({ type: 'reset' });
      const retry = await runAgentLoop({
        llm,
        tools,
        ctx,
        store: this.store,
        messages: [
          ...messages,
          ...loop.added,
          { role: 'assistant', content: answer },
          {
            role: 'user',
            content: `[grounding check] Your answer names values that no tool result in this conversation contains: ${report.unsupported.map((c) => JSON.stringify(c.text)).join(', ')}. Rewrite the whole answer using only facts from tool results (call a tool if you need one); leave out anything you cannot support.`,
          },
        ],
        maxSteps: 3,
        onStream: input.onStream,
        signal: input.signal,
      });
      outcomes.push(...retry.outcomes);
      repaired = 'reprompt';
      if (retry.answer) answer = retry.answer;
      report = checkGrounding(answer, await evidenceNow(), { userText: message });
      if (!report.ok) {
        answer = stripUnsupported(answer, report, t(ctx.language, 'I could not verify an answer from the data I can access.', '我无法根据可访问的数据核实答案。'));
        repaired = 'stripped';
        const unsupported = report.unsupported.map((c) => c.text);
        report = checkGrounding(answer, await evidenceNow(), { userText: message });
        result.grounding = { ok: report.ok, repaired, unsupported };
      } else {
        result.grounding = { ok: true, repaired, unsupported: [] };
      }
    }
    const evidence = await evidenceNow();
    return finish(answer, sourcesOf(report, evidence, outcomes, answer), outcomes);
  }
}

/** The claims' sources, plus cited knowledge articles' tool calls; when no claim needed one, this turn's successful calls. */
function sourcesOf(report: GroundingReport, evidence: Evidence[], outcomes: ToolOutcome[], answer = ''): string[] {
  const ids = new Set(report.sources.filter((s) => s !== 'clock'));
  for (const m of answer.matchAll(/kb:[a-z_]+\.(?:en|zh-CN)/g)) {
    for (const e of evidence) if (e.id !== 'clock' && JSON.stringify(e.result).includes(m[0])) ids.add(e.id);
  }
  if (ids.size === 0) for (const o of outcomes) if (o.ok) ids.add(o.id);
  return [...ids];
}

function transcriptOf(messages: StoredMessage[]): { role: 'user' | 'assistant'; text: string }[] {
  return messages.filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content).map((m) => ({ role: m.role as 'user' | 'assistant', text: m.content }));
}

/** Stored messages back into the chat history the model sees (tool results stay tool messages). */
function toChatHistory(messages: StoredMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'tool') out.push({ role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content });
    else if (m.toolCalls && m.toolCalls.length > 0) {
      out.push({ role: 'assistant', content: m.content || null, tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) });
    } else out.push({ role: 'assistant', content: m.content });
  }
  return out;
}

