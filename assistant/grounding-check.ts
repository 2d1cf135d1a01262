/**
 * Grounding: every number, date and sensor name in an answer must come from a tool result in
 * the same conversation. The check finds those claims in the text, looks each up in the
 * evidence (the conversation's tool results), and reports the sources (tool call ids) that
 * support the answer and the claims nothing supports. {@link stripUnsupported} is the last
 * repair: it drops the sentences that carry an unsupported claim.
 */

export interface Evidence {
  /** Tool call id (assistant_tool_calls.id). */
  id: string;
  result: unknown;
}

export type ClaimKind = 'number' | 'date' | 'time' | 'sensor';

export interface Claim {
  kind: ClaimKind;
  /** As written in the answer. */
  text: string;
  /** Index of the sentence it sits in (see {@link splitSentences}). */
  sentence: number;
}

export interface GroundingReport {
  ok: boolean;
  claims: (Claim & { sources: string[] })[];
  unsupported: Claim[];
  /** Tool call ids that support at least one claim, in evidence order. */
  sources: string[];
}

export interface GroundingOptions {
  /** Text the user wrote this turn: a number or date the user said may be repeated back. */
  userText?: string;
}

interface IndexedEvidence {
  id: string;
  numbers: number[];
  dates: Set<string>;
  times: Set<string>;
  monthDays: Set<string>;
  text: string;
}

const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\b/g;
const ZH_DATE = /(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]/g;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const EN_DATE = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:,?\s+(\d{4}))?\b/gi;
const TIME = /(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])/g;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*/g;
const SENSOR_LIKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const NUMBER = /[-+]?\d+(?:\.\d+)?/g;
const LIST_MARKER = /^(\s*)(\d{1,2})[.)、]\s/gm;

const pad = (n: number | string) => String(n).padStart(2, '0');

function monthDayKey(month: number, day: number): string {
  return `${pad(month)}-${pad(day)}`;
}

function collect(value: unknown, numbers: number[], strings: string[]): void {
  if (typeof value === 'number' && Number.isFinite(value)) numbers.push(value);
  else if (typeof value === 'string') strings.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, numbers, strings);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, numbers, strings);
}

function addDate(ev: IndexedEvidence, d: Date): void {
  if (Number.isNaN(d.getTime())) return;
  const iso = d.toISOString();
  ev.dates.add(iso.slice(0, 10));
  ev.monthDays.add(iso.slice(5, 10));
  ev.times.add(iso.slice(11, 16));
}

function indexEvidence(e: Evidence): IndexedEvidence {
  const numbers: number[] = [];
  const strings: string[] = [];
  collect(e.result, numbers, strings);
  const ev: IndexedEvidence = { id: e.id, numbers: [], dates: new Set(), times: new Set(), monthDays: new Set(), text: strings.join('\n').toLowerCase() };
  for (const n of numbers) {
    ev.numbers.push(n);
    // Epoch milliseconds are dates too.
    if (n > 946_684_800_000 && n < 4_102_444_800_000) addDate(ev, new Date(n));
  }
  for (const s of strings) {
    for (const m of s.matchAll(ISO_DATE)) {
      ev.dates.add(`${m[1]}-${m[2]}-${m[3]}`);
      ev.monthDays.add(`${m[2]}-${m[3]}`);
      if (m[4]) ev.times.add(`${m[4]}:${m[5]}`);
      if (m[4] && m[6]) addDate(ev, new Date(m[0].replace(' ', 'T')));
    }
    // Numbers inside text (an article's "2.8 mm/s", a slot engineer's note) count as evidence.
    const rest = s.replace(ISO_DATE, ' ').replace(IDENT, ' ');
    for (const m of rest.matchAll(NUMBER)) ev.numbers.push(Number(m[0]));
  }
  return ev;
}

function decimalsOf(text: string): number {
  const i = text.indexOf('.');
  return i < 0 ? 0 : text.length - i - 1;
}

const roundTo = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function numberSupported(text: string, ev: IndexedEvidence): boolean {
  const v = Math.abs(Number(text));
  const d = decimalsOf(text);
  const eps = 10 ** -(d + 6);
  for (const raw of ev.numbers) {
    const n = Math.abs(raw);
    // As given, rounded to the decimals written, or a 0..1 share written as a percentage.
    if (Math.abs(roundTo(n, d) - v) < eps) return true;
    if (n <= 1 && Math.abs(roundTo(n * 100, d) - v) < eps) return true;
  }
  return false;
}

/** Sentences (and list items / lines), with the text between them kept so the answer can be rebuilt. */
export function splitSentences(text: string): string[] {
  // A list marker ("2.") ends no sentence.
  return text.split(/(?<=[.!?])(?<!(?:^|\n)[ \t]*\d{1,2}\.)(?=\s|$)|(?<=[。！？])|(?=\n)/).filter((s) => s.length > 0);
}

function extractClaims(answer: string): Claim[] {
  const claims: Claim[] = [];
  splitSentences(answer).forEach((sentence, idx) => {
    let rest = sentence.replace(LIST_MARKER, '$1 ');
    const take = (re: RegExp, kind: ClaimKind) => {
      rest = rest.replace(re, (m) => {
        claims.push({ kind, text: m.trim(), sentence: idx });
        return ' ';
      });
    };
    take(ISO_DATE, 'date');
    take(ZH_DATE, 'date');
    take(EN_DATE, 'date');
    take(TIME, 'time');
    rest = rest.replace(IDENT, (m) => {
      if (SENSOR_LIKE.test(m)) claims.push({ kind: 'sensor', text: m, sentence: idx });
      return ' ';
    });
    // Thousands separators: 1,234 is one number.
    rest = rest.replace(/(\d),(?=\d{3}\b)/g, '$1');
    for (const m of rest.matchAll(NUMBER)) claims.push({ kind: 'number', text: m[0].replace(/^\+/, ''), sentence: idx });
  });
  return claims;
}

function dateKeys(text: string): { full?: string; monthDay: string } | null {
  let m = new RegExp(ISO_DATE.source).exec(text);
  if (m) return { full: `${m[1]}-${m[2]}-${m[3]}`, monthDay: `${m[2]}-${m[3]}` };
  m = new RegExp(ZH_DATE.source).exec(text);
  if (m) return { full: m[1] ? `${m[1]}-${monthDayKey(Number(m[2]), Number(m[3]))}` : undefined, monthDay: monthDayKey(Number(m[2]), Number(m[3])) };
  m = new RegExp(EN_DATE.source, 'i').exec(text);
  if (m) {
    const mon = (m[1] ?? m[5] ?? '').slice(0, 3).toLowerCase();
    const day = Number(m[2] ?? m[4]);
    const year = m[3] ?? m[6];
    const md = monthDayKey(MONTHS.indexOf(mon) + 1, day);
    return { full: year ? `${year}-${md}` : undefined, monthDay: md };
  }
  return null;
}

function supports(c: Claim, ev: IndexedEvidence): boolean {
  switch (c.kind) {
    case 'number':
      return numberSupported(c.text, ev);
    case 'sensor':
      return ev.text.includes(c.text.toLowerCase());
    case 'time': {
      const [h, m] = c.text.split(':');
      return ev.times.has(`${pad(h ?? '')}:${m}`);
    }
    case 'date': {
      const k = dateKeys(c.text);
      if (!k) return false;
      const time = /[T ](\d{2}:\d{2})/.exec(c.text)?.[1];
      const dateOk = k.full ? ev.dates.has(k.full) : ev.monthDays.has(k.monthDay);
      return dateOk && (!time || ev.times.has(time));
    }
  }
}

export function checkGrounding(answer: string, evidence: readonly Evidence[], opts: GroundingOptions = {}): GroundingReport {
  const indexed = evidence.map(indexEvidence);
  const user = opts.userText ? [indexEvidence({ id: '(user)', result: opts.userText })] : [];
  const claims: GroundingReport['claims'] = [];
  const unsupported: Claim[] = [];
  const used = new Set<string>();
  for (const c of extractClaims(answer)) {
    const sources = indexed.filter((ev) => supports(c, ev)).map((ev) => ev.id);
    if (sources.length === 0 && !user.some((ev) => supports(c, ev))) unsupported.push(c);
    for (const s of sources) used.add(s);
    claims.push({ ...c, sources });
  }
  return { ok: unsupported.length === 0, claims, unsupported, sources: indexed.map((e) => e.id).filter((id) => used.has(id)) };
}

/** Drops every sentence that carries an unsupported claim; `fallback` when nothing is left. */
export function stripUnsupported(answer: string, report: GroundingReport, fallback: string): string {
  const bad = new Set(report.unsupported.map((c) => c.sentence));
  const kept = splitSentences(answer)
    .filter((_, i) => !bad.has(i))
    .join('')
    .trim();
  return kept.length > 0 ? kept : fallback;
}
