import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvalReport, runEvals } from '../../assistant/evals/eval-runner.ts';
import type { ScriptedTurn } from '../../assistant/evals/eval-scenario.ts';
import { loadEvalScenarios } from '../../assistant/evals/eval-scenarios.ts';
import { KnowledgeBase } from '../../assistant/knowledge-base.ts';
import { OpenAiLlmClient } from '../../assistant/llm-client.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { FakeOpenAiServer } from '../support/fake-openai-server.ts';

const VERBOSE = process.env.PROGNOS_EVAL_VERBOSE === '1';

describe('assistant evaluation scenarios', () => {
  const scenarios = loadEvalScenarios();
  const knowledge = KnowledgeBase.load();
  const server = new FakeOpenAiServer();
  let dir = '';
  let db: Db;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prognos-evals-'));
    db = await openDatabase({ kind: 'pglite', dir });
    await server.start();
  });
  after(async () => {
    await server.stop();
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has at least 60 scenarios over engineers and customers, English and Chinese, with adversarial ones', () => {
    assert.ok(scenarios.length >= 60, `${scenarios.length}`);
    for (const as of ['engineer', 'customer:acme', 'customer:huadong']) assert.ok(scenarios.some((s) => s.as === as), as);
    assert.ok(scenarios.filter((s) => s.language === 'zh-CN').length >= 20);
    assert.ok(scenarios.filter((s) => s.language === 'en').length >= 20);
    assert.ok(scenarios.filter((s) => s.category.startsWith('adversarial_')).length >= 15);
    assert.ok(scenarios.filter((s) => s.world === 'injected').length >= 5);
  });

  it('the offline responder passes every scenario it runs', async () => {
    const report = await runEvals({ scenarios, mode: 'offline', db, knowledge });
    if (VERBOSE) console.log(formatEvalReport(report));
    assert.ok(report.total.scenarios >= 50, `${report.total.scenarios}`);
    assert.equal(report.total.passed, report.total.scenarios, formatEvalReport(report));
  });

  it('the tool-calling loop, replaying the scripted model over the wire protocol, passes every scenario', async () => {
    let script: ScriptedTurn[] = [];
    let fallback = '';
    // A model whose script ran out says nothing new (in the scenario's language).
    server.setScript(() => script.shift() ?? { content: fallback });
    const llm = new OpenAiLlmClient({ baseURL: server.baseURL, apiKey: 'eval-key', model: 'scripted', timeoutMs: 5000, maxRetries: 0 });
    const report = await runEvals({ scenarios, mode: 'llm', db, knowledge, llm, beforeTurn: (s, _i, turns) => {
        script = turns.map((t) => ({ ...t }));
        fallback = s.language === 'zh-CN' ? '我没有更多可补充的。' : 'I have nothing further to add.';
      },
    });
    if (VERBOSE) console.log(formatEvalReport(report));
    assert.equal(report.total.scenarios, scenarios.length);
    assert.equal(report.total.passed, report.total.scenarios, formatEvalReport(report));
  });

  it('scores a model that calls no tools and invents facts low (the checks can fail)', async () => {
    server.setScript(() => ({ content: 'Everything is fine: risk 12%, the visit is on 2026-12-01.' }));
    const llm = new OpenAiLlmClient({ baseURL: server.baseURL, apiKey: 'eval-key', model: 'careless', timeoutMs: 5000, maxRetries: 0 });
    const picked = scenarios.filter((s) => ['engineer_explain', 'customer_visits', 'adversarial_ungrounded'].includes(s.category));
    const report = await runEvals({ scenarios: picked, mode: 'llm', db, knowledge, llm });
    const explain = report.categories.find((c) => c.category === 'engineer_explain')!;
    assert.equal(explain.passed, 0, formatEvalReport(report));
    assert.ok(report.total.passed < report.total.scenarios / 2, formatEvalReport(report));
    const failed = report.results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => c.check));
    assert.ok(failed.includes('calls explainRisk') && failed.includes('says 73.4'));
    // Its invented numbers never reach the user: grounding strips them.
    assert.ok(report.results.every((r) => r.answers.every((a) => !a.includes('12%') && !a.includes('2026-12-01'))));
  });
});
