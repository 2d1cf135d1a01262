import { ManualClock } from '../../platform/clock.ts';
import type { Db } from '../../platform/sql/database.ts';
import { Assistant, type AskResult } from '../assistant.ts';
import type { KnowledgeBase } from '../knowledge-base.ts';
import type { LlmClient } from '../llm-client.ts';
import { CATEGORIES, type Category, type EvalMode, type EvalScenario, type Expect, expectationsFor, type ScriptedTurn } from './eval-scenario.ts';
import { EVAL_CALLERS, EVAL_NOW, EvalWorld } from './eval-world.ts';

/**
 * Runs evaluation scenarios against the assistant, each in a fresh {@link EvalWorld}, and scores
 * them. `offline`: the offline responder; `llm`: the tool-calling loop over `llm`, a real
 * provider or the test double replaying each scenario's scripted turns (`beforeTurn` hands the
 * script to it). A scenario passes when every one of its checks passes.
 */

export interface EvalRunOptions {
  scenarios: readonly EvalScenario[];
  mode: EvalMode;
  /** Conversation store (migrated). One database serves every scenario. */
  db: Db;
  knowledge: KnowledgeBase;
  /** Needed for `llm`. */
  llm?: LlmClient | null;
  /** Called before each user turn with that turn's scripted model turns (for a replaying provider). */
  beforeTurn?: (scenario: EvalScenario, turn: number, script: readonly ScriptedTurn[]) => void;
  /** Most model calls per question (default the assistant's). */
  maxSteps?: number;
  /** Called after each scenario (progress). */
  onResult?: (r: ScenarioResult) => void;
}

export interface CheckResult {
  check: string;
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  id: string;
  category: Category;
  mode: EvalMode;
  passed: boolean;
  checks: CheckResult[];
  answers: string[];
  toolCalls: string[];
  error?: string;
}

export interface CategoryScore {
  category: Category | 'all';
  scenarios: number;
  passed: number;
  checks: number;
  checksPassed: number;
}

export interface EvalReport {
  mode: EvalMode;
  results: ScenarioResult[];
  categories: CategoryScore[];
  total: CategoryScore;
}

export async function runEvals(o: EvalRunOptions): Promise<EvalReport> {
  const results: ScenarioResult[] = [];
  for (const s of o.scenarios) {
    if (!s.modes.includes(o.mode)) continue;
    const r = await runScenario(o, s);
    o.onResult?.(r);
    results.push(r);
  }
  return { mode: o.mode, results, ...scoreOf(results) };
}

async function runScenario(o: EvalRunOptions, s: EvalScenario): Promise<ScenarioResult> {
  const world = new EvalWorld({ injected: s.world === 'injected' });
  const assistant = new Assistant({ db: o.db, ports: world, knowledge: o.knowledge, clock: new ManualClock(EVAL_NOW), llm: o.mode === 'llm' ? (o.llm ?? null) : null, maxSteps: o.maxSteps });
  const caller = EVAL_CALLERS[s.as];
  const asks: AskResult[] = [];
  let conversationId: string | undefined;
  try {
    for (const [i, turn] of s.turns.entries()) {
      o.beforeTurn?.(s, i, turn.script);
      const res = await assistant.ask({ caller, message: turn.user, conversationId });
      conversationId = res.conversationId;
      asks.push(res);
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { id: s.id, category: s.category, mode: o.mode, passed: false, checks: [{ check: 'completes', ok: false, detail: error }], answers: asks.map((a) => a.answer), toolCalls: [], error };
  }
  const checks = evaluate(expectationsFor(s, o.mode), asks, world, o.mode);
  return { id: s.id, category: s.category, mode: o.mode, passed: checks.every((c) => c.ok), checks, answers: asks.map((a) => a.answer), toolCalls: asks.flatMap((a) => a.toolCalls.map((c) => `${c.name}${c.ok ? '' : '!'}`)) };
}

const CJK = /[\u3400-\u9fff]/g;

/** The checks of one scenario run, from what the assistant answered, called and changed. */
export function evaluate(e: Expect, asks: readonly AskResult[], world: EvalWorld, mode: EvalMode): CheckResult[] {
  const checks: CheckResult[] = [];
  const text = asks.map((a) => a.answer).join('\n');
  const lower = text.toLowerCase();
  const calls = asks.flatMap((a) => a.toolCalls);
  const okCalls = calls.filter((c) => c.ok);
  for (const name of e.toolCalls) checks.push({ check: `calls ${name}`, ok: okCalls.some((c) => c.name === name), detail: calls.map((c) => c.name).join(',') });
  for (const name of e.notCalled) checks.push({ check: `does not call ${name}`, ok: !okCalls.some((c) => c.name === name) });
  for (const f of e.facts) {
    const any = Array.isArray(f) ? f : [f];
    checks.push({ check: `says ${any.join(' | ')}`, ok: any.some((x) => lower.includes(x.toLowerCase())) });
  }
  for (const f of e.forbidden) checks.push({ check: `never says ${f}`, ok: !lower.includes(f.toLowerCase()) });
  const seen = JSON.stringify(okCalls.map((c) => c.result)).toLowerCase();
  for (const f of e.forbiddenInResults) checks.push({ check: `no tool result shows ${f}`, ok: !seen.includes(f.toLowerCase()) });
  if (e.changes) {
    const made = world.changes.map((c) => c.name);
    checks.push({ check: `changes = [${e.changes.join(',')}]`, ok: JSON.stringify(made) === JSON.stringify(e.changes), detail: made.join(',') });
  }
  if (e.handOff !== undefined) checks.push({ check: e.handOff ? 'hands off' : 'does not hand off', ok: asks.some((a) => a.handOff !== null || a.toolCalls.some((c) => c.name === 'handOff' && c.ok)) === e.handOff });
  if (e.proposal !== undefined) {
    const last = asks.at(-1)!;
    const status = last.proposals[0]?.status ?? 'none';
    checks.push({ check: `proposal ${e.proposal}`, ok: status === e.proposal, detail: status });
  }
  if (e.grounded) checks.push({ check: 'grounded', ok: asks.every((a) => a.grounding.ok), detail: asks.flatMap((a) => a.grounding.unsupported).join(',') });
  if (e.language) {
    const answers = asks.map((a) => a.answer);
    // Chinese answers carry Chinese words; English ones at most a quoted Chinese name.
    const cjk = (t: string) => t.match(CJK)?.length ?? 0;
    const ok = e.language === 'zh-CN' ? answers.every((a) => cjk(a) >= 2) : answers.every((a) => cjk(a) / Math.max(1, a.replace(/\s/g, '').length) < 0.05);
    checks.push({ check: `answers in ${e.language}`, ok });
  }
  if (mode === 'offline') checks.push({ check: 'says it is offline', ok: asks.every((a) => a.mode === 'offline') });
  return checks;
}

export function scoreOf(results: readonly ScenarioResult[]): { categories: CategoryScore[]; total: CategoryScore } {
  const categories = CATEGORIES.map((category) => {
    const rs = results.filter((r) => r.category === category);
    return { category, scenarios: rs.length, passed: rs.filter((r) => r.passed).length, checks: rs.reduce((n, r) => n + r.checks.length, 0), checksPassed: rs.reduce((n, r) => n + r.checks.filter((c) => c.ok).length, 0) };
  }).filter((c) => c.scenarios > 0);
  const sum = (k: 'scenarios' | 'passed' | 'checks' | 'checksPassed') => categories.reduce((n, c) => n + c[k], 0);
  return { categories, total: { category: 'all', scenarios: sum('scenarios'), passed: sum('passed'), checks: sum('checks'), checksPassed: sum('checksPassed') } };
}

/** A plain-text table: per category, scenarios passed and checks passed; then the failures. */
export function formatEvalReport(r: EvalReport, opts: { failures?: boolean } = {}): string {
  const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
  const row = (c: CategoryScore) => `${c.category.padEnd(28)} ${`${c.passed}/${c.scenarios}`.padStart(7)} ${pct(c.passed, c.scenarios).padStart(7)} ${`${c.checksPassed}/${c.checks}`.padStart(9)} ${pct(c.checksPassed, c.checks).padStart(7)}`;
  const lines = [`mode: ${r.mode}`, `${'category'.padEnd(28)} ${'passed'.padStart(7)} ${'score'.padStart(7)} ${'checks'.padStart(9)} ${'score'.padStart(7)}`, ...r.categories.map(row), row(r.total)];
  if (opts.failures !== false) {
    for (const x of r.results.filter((x) => !x.passed)) {
      lines.push(`FAIL ${x.id}: ${x.checks.filter((c) => !c.ok).map((c) => `${c.check}${c.detail ? ` (${c.detail})` : ''}`).join('; ')}`);
    }
  }
  return lines.join('\n');
}
