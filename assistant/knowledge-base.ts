import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import type { Language } from './assistant-ports.ts';
import { projectPath } from '../platform/project-paths.ts';

/** One fault article (assistant/knowledge/<mode>.<language>.md). */
export interface Article {
  /** e.g. `kb:bearing_wear.en` — what answers cite. */
  id: string;
  mode: string;
  equipment: string;
  language: Language;
  title: string;
  sensors: string[];
  repairHours: number | null;
  symptoms: string[];
  causes: string[];
  checks: string[];
  safety: string[];
  parts: string[];
  body: string;
}

export interface KnowledgeHit {
  id: string;
  mode: string;
  title: string;
  score: number;
  sensors: string[];
  symptoms: string[];
  checks: string[];
  safety: string[];
  parts: string[];
  repairHours: number | null;
}

const SECTION_KEYS: Record<string, keyof Pick<Article, 'symptoms' | 'causes' | 'checks' | 'safety' | 'parts'>> = {
  symptoms: 'symptoms',
  症状: 'symptoms',
  'likely causes': 'causes',
  可能原因: 'causes',
  checks: 'checks',
  检查: 'checks',
  safety: 'safety',
  安全: 'safety',
  parts: 'parts',
  备件: 'parts',
};

export function parseArticle(source: string): Article {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(source);
  if (!m) throw new Error('article has no front matter');
  const meta: Record<string, string> = {};
  for (const line of m[1]!.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) meta[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  const body = m[2]!;
  const a: Article = {
    id: `kb:${meta.id}`,
    mode: meta.mode ?? '',
    equipment: meta.equipment ?? '',
    language: meta.language === 'zh-CN' ? 'zh-CN' : 'en',
    title: meta.title ?? '',
    sensors: (meta.sensors ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    repairHours: meta.repair_hours ? Number(meta.repair_hours) : null,
    symptoms: [],
    causes: [],
    checks: [],
    safety: [],
    parts: [],
    body,
  };
  let current: keyof typeof SECTION_KEYS | null = null;
  for (const line of body.split('\n')) {
    const h = /^##\s+(.+)$/.exec(line);
    if (h) {
      current = (h[1]!.trim().toLowerCase() in SECTION_KEYS ? h[1]!.trim().toLowerCase() : null) as typeof current;
      continue;
    }
    const b = /^\s*[-*]\s+(.+)$/.exec(line);
    if (b && current) a[SECTION_KEYS[current]!].push(b[1]!.trim());
  }
  return a;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** Words for BM25: latin words (snake_case kept whole and split), CJK runs as single characters and bigrams. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[a-z0-9_]+|[\u3400-\u9fff\uf900-\ufaff]+/g)) {
    const w = m[0];
    if (CJK.test(w)) {
      const chars = [...w];
      chars.forEach((c, i) => {
        out.push(c);
        if (i + 1 < chars.length) out.push(c + chars[i + 1]);
      });
    } else {
      out.push(w);
      if (w.includes('_')) out.push(...w.split('_').filter((p) => p.length > 1));
    }
  }
  return out;
}

const DEFAULT_DIR = projectPath('assistant', 'knowledge');

/** The fault articles, searched with BM25 (minisearch). Loaded once from markdown files. */
export class KnowledgeBase {
  private readonly byId = new Map<string, Article>();
  private readonly index: MiniSearch<{ id: string; title: string; mode: string; sensors: string; text: string; language: string }>;

  constructor(readonly articles: readonly Article[]) {
    this.index = new MiniSearch({
      fields: ['title', 'mode', 'sensors', 'text'],
      storeFields: ['language'],
      tokenize,
      processTerm: (t) => t,
      searchOptions: { boost: { title: 3, mode: 3, sensors: 2 }, prefix: (t) => t.length > 3 && !CJK.test(t), fuzzy: false, tokenize, processTerm: (t) => t },
    });
    for (const a of articles) this.byId.set(a.id, a);
    this.index.addAll(articles.map((a) => ({ id: a.id, title: a.title, mode: `${a.mode} ${a.equipment}`, sensors: a.sensors.join(' '), text: a.body, language: a.language })));
  }

  static load(dir: string = DEFAULT_DIR): KnowledgeBase {
    const files = readdirSync(dir).filter((f) => f.endsWith('.md')).sort();
    return new KnowledgeBase(files.map((f) => parseArticle(readFileSync(join(dir, f), 'utf8'))));
  }

  get(id: string): Article | undefined {
    return this.byId.get(id);
  }

  forMode(mode: string, language: Language): Article | undefined {
    return this.articles.find((a) => a.mode === mode && a.language === language) ?? this.articles.find((a) => a.mode === mode);
  }

  /** Best articles for the query, in the given language first (the other language only if none match). */
  search(query: string, opts: { language: Language; limit?: number }): KnowledgeHit[] {
    const limit = opts.limit ?? 3;
    const results = this.index.search(query, { combineWith: 'OR' });
    const same = results.filter((r) => r.language === opts.language);
    const chosen = (same.length > 0 ? same : results).slice(0, limit);
    return chosen.map((r) => {
      const a = this.byId.get(String(r.id))!;
      return {
        id: a.id,
        mode: a.mode,
        title: a.title,
        score: Math.round(r.score * 100) / 100,
        sensors: a.sensors,
        symptoms: a.symptoms,
        checks: a.checks,
        safety: a.safety,
        parts: a.parts,
        repairHours: a.repairHours,
      };
    });
  }
}
