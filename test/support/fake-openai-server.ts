import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A test double of an OpenAI-compatible provider: a real HTTP server speaking the chat
 * completions wire protocol (JSON and SSE streaming, tool_calls), so tests drive the real
 * `openai` SDK over HTTP. Each request is answered by the next queued turn or, when the queue
 * is empty, by the script (a function of the request, e.g. rules on the messages received).
 */

export interface FakeToolCall {
  id?: string;
  name: string;
  /** Object (serialised for you) or the raw string the model would send. */
  arguments: unknown;
}

export interface FakeTurn {
  content?: string;
  toolCalls?: FakeToolCall[];
  /** Answer with this HTTP error status instead (e.g. 429, 500). */
  status?: number;
  /** Extra response headers (e.g. `retry-after-ms`). */
  headers?: Record<string, string>;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
}

export interface FakeRequest {
  body: {
    model: string;
    messages: { role: string; content?: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
    tools?: { type: string; function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
    stream?: boolean;
  };
  authorization: string | undefined;
}

export type FakeScript = (req: FakeRequest) => FakeTurn | Promise<FakeTurn>;

/** Tool results the model has been sent so far, parsed (the assistant sends JSON `{source, result}`). */
export function toolResults(req: FakeRequest): { toolCallId: string; source: string; result: any }[] {
  return req.body.messages
    .filter((m) => m.role === 'tool')
    .map((m) => {
      const parsed = JSON.parse(m.content ?? '{}') as { source: string; result: unknown };
      return { toolCallId: m.tool_call_id ?? '', source: parsed.source, result: parsed.result };
    });
}

export function lastUserMessage(req: FakeRequest): string {
  const users = req.body.messages.filter((m) => m.role === 'user');
  return users[users.length - 1]?.content ?? '';
}

/** Messages since the last user message (this turn's tool traffic). */
export function turnMessages(req: FakeRequest): FakeRequest['body']['messages'] {
  const msgs = req.body.messages;
  let i = msgs.length - 1;
  while (i >= 0 && msgs[i]!.role !== 'user') i--;
  return msgs.slice(i + 1);
}

export class FakeOpenAiServer {
  readonly requests: FakeRequest[] = [];
  private readonly queue: FakeTurn[] = [];
  private server: Server | null = null;
  private port = 0;
  private nextId = 1;

  constructor(private script: FakeScript = () => ({ content: 'ok' })) {}

  /** The `baseURL` for the SDK. */
  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  enqueue(...turns: FakeTurn[]): void {
    this.queue.push(...turns);
  }

  setScript(script: FakeScript): void {
    this.script = script;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    const fr: FakeRequest = { body: JSON.parse(Buffer.concat(chunks).toString('utf8')), authorization: req.headers.authorization };
    this.requests.push(fr);
    const turn = this.queue.shift() ?? (await this.script(fr));
    if (turn.delayMs) await new Promise((r) => setTimeout(r, turn.delayMs));
    if (res.destroyed) return;
    if (turn.status && turn.status >= 400) {
      res.writeHead(turn.status, { 'content-type': 'application/json', ...turn.headers });
      res.end(JSON.stringify({ error: { message: `scripted ${turn.status}`, type: turn.status === 429 ? 'rate_limit_exceeded' : 'server_error', code: null } }));
      return;
    }
    const id = `chatcmpl-${this.nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    const calls = (turn.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${this.nextId}_${i}`,
      type: 'function' as const,
      function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
    }));
    const finish = calls.length > 0 ? 'tool_calls' : 'stop';
    const model = fr.body.model;
    if (!fr.body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', ...turn.headers });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: turn.content ?? null, ...(calls.length ? { tool_calls: calls } : {}) }, finish_reason: finish, logprobs: null }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...turn.headers });
    const send = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`);
    send({ role: 'assistant', content: '' });
    // Content in small pieces, as providers stream it.
    const content = turn.content ?? '';
    for (let i = 0; i < content.length; i += 7) send({ content: content.slice(i, i + 7) });
    calls.forEach((c, index) => {
      send({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] });
      const a = c.function.arguments;
      for (let i = 0; i < a.length; i += 10) send({ tool_calls: [{ index, function: { arguments: a.slice(i, i + 10) } }] });
    });
    send({}, finish);
    res.write('data: [DONE]\n\n');
    res.end();
  }
}
