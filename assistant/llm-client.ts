import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ModelToolCall } from './conversation-store.ts';

export type ChatMessage = ChatCompletionMessageParam;
export type ToolSpec = ChatCompletionTool;

export interface LlmTurn {
  content: string;
  toolCalls: ModelToolCall[];
  finishReason: string | null;
}

export interface LlmRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  /** Called with each text delta of the reply as it streams in. */
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
}

/** One chat-completions call. The agent loop depends on this, not on the SDK. */
export interface LlmClient {
  readonly model: string;
  complete(req: LlmRequest): Promise<LlmTurn>;
}

export interface OpenAiLlmOptions {
  /** Any OpenAI-compatible endpoint (OpenAI, Azure OpenAI's /openai/v1, vLLM, Ollama, DeepSeek, Qwen). Default: the SDK's (api.openai.com). */
  baseURL?: string;
  apiKey: string;
  model: string;
  /** Per-call timeout in ms. Default 60 000. */
  timeoutMs?: number;
  /** Retries on 408/409/429/5xx and connection errors, with exponential backoff honouring `retry-after`. Default 3. */
  maxRetries?: number;
  /** Stream replies (text deltas reach `onDelta`). Some servers stream tool calls badly: turn off for them. Default true. */
  stream?: boolean;
  /** Sampling temperature. Default 0.2. */
  temperature?: number;
}

/**
 * Chat completions with tool calling over the official `openai` SDK. Retries and backoff are
 * the SDK's (429 and 5xx, `retry-after` / `retry-after-ms` honoured); the timeout is per call.
 */
export class OpenAiLlmClient implements LlmClient {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly stream: boolean;
  private readonly temperature: number;

  constructor(opts: OpenAiLlmOptions) {
    this.model = opts.model;
    this.stream = opts.stream ?? true;
    this.temperature = opts.temperature ?? 0.2;
    this.client = new OpenAI({ apiKey: opts.apiKey, baseURL: opts.baseURL, timeout: opts.timeoutMs ?? 60_000, maxRetries: opts.maxRetries ?? 3 });
  }

  async complete(req: LlmRequest): Promise<LlmTurn> {
    const base = {
      model: this.model,
      messages: req.messages,
      temperature: this.temperature,
      ...(req.tools && req.tools.length > 0 ? { tools: req.tools, tool_choice: 'auto' as const } : {}),
    };
    if (!this.stream) {
      const res = await this.client.chat.completions.create({ ...base, stream: false }, { signal: req.signal });
      const choice = res.choices[0];
      const content = choice?.message.content ?? '';
      if (content) req.onDelta?.(content);
      return {
        content,
        toolCalls: (choice?.message.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : [])),
        finishReason: choice?.finish_reason ?? null,
      };
    }
    const stream = await this.client.chat.completions.create({ ...base, stream: true }, { signal: req.signal });
    let content = '';
    let finishReason: string | null = null;
    // Tool calls arrive in pieces keyed by index: the id and name first, the arguments in fragments.
    const calls = new Map<number, ModelToolCall>();
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      const d = choice.delta;
      if (d?.content) {
        content += d.content;
        req.onDelta?.(d.content);
      }
      for (const tc of d?.tool_calls ?? []) {
        const cur = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
        if (tc.id) cur.id = tc.id;
        if (tc.function?.name) cur.name += tc.function.name;
        if (tc.function?.arguments) cur.arguments += tc.function.arguments;
        calls.set(tc.index, cur);
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    const toolCalls = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }));
    return { content, toolCalls, finishReason };
  }
}

/**
 * The client for the configured provider, or null (offline mode) when none is configured: a
 * model name plus an API key or a base URL (local servers such as Ollama or vLLM need no key).
 * The lead maps OPENAI_BASE_URL, OPENAI_API_KEY and PROGNOS_LLM_MODEL here.
 */
export function createLlmClient(opts: Partial<OpenAiLlmOptions>): LlmClient | null {
  if (!opts.model || (!opts.apiKey && !opts.baseURL)) return null;
  return new OpenAiLlmClient({ ...opts, model: opts.model, apiKey: opts.apiKey ?? 'not-needed' });
}
