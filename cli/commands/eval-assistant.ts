import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CATEGORIES } from '../../assistant/evals/eval-scenario.ts';
import { loadConfig } from '../../platform/config.ts';
import { PrognosError } from '../../platform/errors.ts';

interface EvalAssistantOptions {
  offline?: boolean;
  category?: string;
  only?: string;
  json?: string;
  maxSteps?: string;
}

/**
 * `prognos eval assistant`: the assistant's evaluation scenarios (assistant/evals/) against the
 * configured provider (OPENAI_BASE_URL, OPENAI_API_KEY, PROGNOS_LLM_MODEL), or the offline
 * responder with --offline, in a fixed in-memory world; prints the score per category. The
 * conversation store is a throwaway PGlite; nothing of the service is touched.
 */
export function registerEvalAssistant(evalCommand: Command): void {
  evalCommand
    .command('assistant')
    .description('Score the assistant on its evaluation scenarios (per category) against the configured LLM provider, or --offline.')
    .option('--offline', 'evaluate the offline responder instead of the provider')
    .option('--category <name>', `only this category (${CATEGORIES.join(', ')})`)
    .option('--only <ids>', 'comma-separated scenario ids')
    .option('--json <file>', 'also write every scenario result as JSON')
    .option('--max-steps <n>', 'most model calls per question (default 6)')
    .action(async (opts: EvalAssistantOptions) => {
      // Loaded here, not at the top: every prognos command imports this file to register it.
      const [{ formatEvalReport, runEvals }, { loadEvalScenarios }, { KnowledgeBase }, { createLlmClient }, { openDatabase }] = await Promise.all([
        import('../../assistant/evals/eval-runner.ts'),
        import('../../assistant/evals/eval-scenarios.ts'),
        import('../../assistant/knowledge-base.ts'),
        import('../../assistant/llm-client.ts'),
        import('../../platform/sql/database.ts'),
      ]);
      const config = loadConfig();
      let scenarios = loadEvalScenarios();
      if (opts.category) scenarios = scenarios.filter((s) => s.category === opts.category);
      if (opts.only) {
        const ids = new Set(opts.only.split(',').map((s) => s.trim()));
        scenarios = scenarios.filter((s) => ids.has(s.id));
      }
      if (scenarios.length === 0) throw new PrognosError('PRG_BAD_REQUEST', 'no scenario matches');
      const llm = opts.offline
        ? null
        : createLlmClient({ baseURL: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model, stream: false });
      if (!opts.offline && !llm) {
        throw new PrognosError('PRG_BAD_REQUEST', 'no LLM provider is configured: set OPENAI_API_KEY (and PROGNOS_LLM_MODEL, optionally OPENAI_BASE_URL), or pass --offline');
      }
      const maxSteps = opts.maxSteps === undefined ? undefined : Number(opts.maxSteps);
      if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) throw new PrognosError('PRG_BAD_REQUEST', '--max-steps must be a positive integer');
      const dir = mkdtempSync(join(tmpdir(), 'prognos-eval-assistant-'));
      const db = await openDatabase({ kind: 'pglite', dir });
      try {
        const report = await runEvals({
          scenarios,
          mode: opts.offline ? 'offline' : 'llm',
          db,
          knowledge: KnowledgeBase.load(),
          llm,
          maxSteps,
          onResult: (r) => process.stderr.write(`${r.passed ? 'pass' : 'FAIL'} ${r.id}\n`),
        });
        process.stdout.write(`${formatEvalReport(report)}\n`);
        if (!opts.offline) process.stdout.write(`model: ${config.llm.model} at ${config.llm.baseUrl ?? 'https://api.openai.com/v1'}\n`);
        if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
      } finally {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
