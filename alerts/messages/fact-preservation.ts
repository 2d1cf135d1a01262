import type { Language } from './message-catalogue.ts';
import { catalogueFor } from './message-catalogues.ts';
import { SAFETY_MARK } from './message-blocks.ts';

/**
 * The plain-language version may reword everything except the facts a customer acts on. This
 * checker extracts those facts from two renderings of a message and compares them as
 * multisets: dates, times, phone numbers, links, and safety steps (a catalogue sentence found
 * anywhere, or any line behind the safety mark, so a reworded step shows up as a difference).
 */
export type FactKind = 'date' | 'time' | 'phone' | 'link' | 'safety';

export interface Fact {
  readonly kind: FactKind;
  readonly value: string;
}

export interface FactComparison {
  readonly ok: boolean;
  /** In the standard version but not (as often) in the plain one. */
  readonly missing: readonly Fact[];
  /** In the plain version but not (as often) in the standard one. */
  readonly added: readonly Fact[];
}

const URL_RE = /https?:\/\/[^\s<>"')）]+/g;
const TIME_RE = /(?<![\d:])([01]\d|2[0-3]):[0-5]\d(?![\d:])/g;
const EN_DATE_RE = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b/g;
const ZH_DATE_RE = /\d{4}年\d{1,2}月\d{1,2}日(?: 星期[一二三四五六日])?/g;
/** A phone number: optional +, digits with spaces, dots, dashes or brackets, at least 7 digits. */
const PHONE_RE = /(?<![\w:])\+?\(?\d[\d ().-]{5,}\d(?![\w:])/g;

function all(re: RegExp, text: string): string[] {
  return [...text.matchAll(re)].map((m) => m[0]);
}

export function extractFacts(text: string, language: Language): Fact[] {
  const facts: Fact[] = [];
  const links = all(URL_RE, text);
  for (const l of links) facts.push({ kind: 'link', value: l });
  const rest = text.replace(URL_RE, ' ');
  const dates = all(language === 'zh-CN' ? ZH_DATE_RE : EN_DATE_RE, rest);
  for (const d of dates) facts.push({ kind: 'date', value: d });
  const noDates = rest.replace(language === 'zh-CN' ? ZH_DATE_RE : EN_DATE_RE, ' ');
  for (const t of all(TIME_RE, noDates)) facts.push({ kind: 'time', value: t });
  for (const p of all(PHONE_RE, noDates.replace(TIME_RE, ' '))) {
    if (p.replace(/\D/g, '').length >= 7) facts.push({ kind: 'phone', value: p.trim() });
  }
  const steps = Object.values(catalogueFor(language).safetySteps);
  for (const step of steps) {
    for (let at = rest.indexOf(step); at >= 0; at = rest.indexOf(step, at + step.length)) facts.push({ kind: 'safety', value: step });
  }
  for (const line of rest.split('\n')) {
    const t = line.trim();
    if (!t.startsWith(SAFETY_MARK)) continue;
    const step = t.slice(SAFETY_MARK.length).trim();
    if (!steps.includes(step)) facts.push({ kind: 'safety', value: step });
  }
  return facts;
}

function key(f: Fact): string {
  return `${f.kind}\u0000${f.value}`;
}

function minus(a: readonly Fact[], b: readonly Fact[]): Fact[] {
  const left = new Map<string, number>();
  for (const f of b) left.set(key(f), (left.get(key(f)) ?? 0) + 1);
  const out: Fact[] = [];
  for (const f of a) {
    const n = left.get(key(f)) ?? 0;
    if (n > 0) left.set(key(f), n - 1);
    else out.push(f);
  }
  return out;
}

/** Compares the facts of the standard and the plain rendering of one message. */
export function compareFacts(standardText: string, plainText: string, language: Language): FactComparison {
  const a = extractFacts(standardText, language);
  const b = extractFacts(plainText, language);
  const missing = minus(a, b);
  const added = minus(b, a);
  return { ok: missing.length === 0 && added.length === 0, missing, added };
}
