import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Assistant } from '../../assistant/assistant.ts';
import { KnowledgeBase } from '../../assistant/knowledge-base.ts';
import { OpenAiLlmClient, type OpenAiLlmOptions } from '../../assistant/llm-client.ts';
import { ManualClock } from '../../platform/clock.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { FakeOpenAiServer } from '../support/fake-openai-server.ts';
import { createTestSchema, PgliteTestPorts } from './pglite-ports.ts';

export const NOW = Date.parse('2026-11-24T10:00:00.000Z');

/** A real PGlite store (migrations + the tests' own tiny domain schema), ports over it, a fake provider. */
export class Harness {
  db!: Db;
  ports!: PgliteTestPorts;
  readonly clock = new ManualClock(NOW);
  readonly knowledge = KnowledgeBase.load();
  readonly llmServer = new FakeOpenAiServer();
  private dir = '';

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'prognos-assistant-'));
    this.db = await openDatabase({ kind: 'pglite', dir: this.dir });
    await createTestSchema(this.db);
    this.ports = new PgliteTestPorts(this.db, () => this.clock.now());
    await this.llmServer.start();
  }

  async stop(): Promise<void> {
    await this.llmServer.stop();
    await this.db?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  llm(opts: Partial<OpenAiLlmOptions> = {}): OpenAiLlmClient {
    return new OpenAiLlmClient({ baseURL: this.llmServer.baseURL, apiKey: 'test-key', model: 'fake-model', timeoutMs: 5000, maxRetries: 2, ...opts });
  }

  assistant(opts: { llm?: OpenAiLlmClient | null; maxSteps?: number } = {}): Assistant {
    return new Assistant({ db: this.db, ports: this.ports, knowledge: this.knowledge, clock: this.clock, llm: opts.llm === undefined ? this.llm() : opts.llm, maxSteps: opts.maxSteps });
  }

  async auditOf(conversationId: string) {
    return this.db.selectFrom('assistant_tool_calls').selectAll().where('conversation_id', '=', conversationId).orderBy('seq').execute();
  }
}
