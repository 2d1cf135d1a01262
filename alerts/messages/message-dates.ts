import type { Language } from './message-catalogue.ts';

/**
 * Dates and times in the customer's time zone, in one fixed shape per language, so the same
 * instant always prints the same way in the standard and the plain version (and
 * fact-preservation.ts can find it with one pattern):
 *
 *   en     `Tue 1 Dec 2026`        `09:00`
 *   zh-CN  `2026年12月1日 星期二`  `09:00`
 */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function partsOf(ms: number, timeZone: string): Record<string, string> {
  let f = dateFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    dateFormats.set(timeZone, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ZH_WEEKDAYS: Record<string, string> = { Mon: '一', Tue: '二', Wed: '三', Thu: '四', Fri: '五', Sat: '六', Sun: '日' };

export function formatDate(ms: number, timeZone: string, language: Language): string {
  const p = partsOf(ms, timeZone);
  const month = Number(p.month);
  if (language === 'zh-CN') return `${p.year}年${month}月${Number(p.day)}日 星期${ZH_WEEKDAYS[p.weekday!]}`;
  return `${p.weekday} ${Number(p.day)} ${EN_MONTHS[month - 1]} ${p.year}`;
}

export function formatTime(ms: number, timeZone: string): string {
  const p = partsOf(ms, timeZone);
  return `${p.hour}:${p.minute}`;
}

/** Local wall-clock minutes since midnight in `timeZone` (0..1439). */
export function localMinuteOfDay(ms: number, timeZone: string): number {
  const p = partsOf(ms, timeZone);
  return Number(p.hour) * 60 + Number(p.minute);
}

/** Throws RangeError for a time zone Intl does not know. */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}
