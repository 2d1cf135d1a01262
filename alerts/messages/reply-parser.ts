import type { LinkAction } from '../notify/customer-links.ts';

/**
 * What a customer's answer to a proactive message means. A clicked (verified) link is taken
 * as it is; free text in English or Chinese goes through ordered rules, first match wins:
 *
 *   1. safety words (smoke, fire, sparks, burning smell, 冒烟, 着火, 火花…) → a human, at once,
 *      even when negated ("no smoke"): a person asking costs less than a missed fire;
 *   2. anger (abusive or angry words, shouting) → a human;
 *   3. opt-out ("stop", "unsubscribe", "退订");
 *   4. reschedule ("another time", "改时间");
 *   5. decline ("no thanks", "不需要");
 *   6. confirm a slot ("1", "yes 2", "second", "确认", "选2", "第二个");
 *   7. anything else → a human (`unrecognised`): nobody's answer is silently dropped.
 *
 * A reschedule or decline after two earlier ones for the same ticket is repeated
 * dissatisfaction and goes to a human too.
 */
export type HandoffReason = 'safety_words' | 'anger' | 'repeated_dissatisfaction' | 'unrecognised';

export type ReplyDecision =
  | { readonly kind: 'confirm'; readonly slotId: string; /** 1-based, null when the slot is no longer offered. */ readonly slotNumber: number | null }
  | { readonly kind: 'reschedule' }
  | { readonly kind: 'decline' }
  | { readonly kind: 'opt_out' }
  | { readonly kind: 'clarify'; readonly reason: 'no_slot_number' | 'slot_out_of_range' | 'several_slot_numbers' }
  | { readonly kind: 'handoff'; readonly reason: HandoffReason; readonly matched?: string };

export type ReplyInput =
  | { readonly via: 'link'; readonly action: LinkAction; readonly slotId?: string }
  | { readonly via: 'text'; readonly text: string };

export interface ReplyContext {
  /** Slot ids in the order the message numbered them. */
  readonly offeredSlotIds: readonly string[];
  /** Decisions on earlier replies to the same ticket, oldest first. */
  readonly previous?: readonly ReplyDecision['kind'][];
}

const SAFETY = [
  /\b(?:smoke|smoking|smoky|fire|flames?|on fire|sparks?|sparking|burning|burnt|burned|explo(?:sion|ded|de|ding)|electric shock|electrocuted)\b/i,
  /冒烟|有烟|着火|起火|失火|火灾|火花|冒火|烧焦|焦味|糊味|爆炸|触电|漏电/,
];
const ANGER = [
  /\b(?:stupid|idiots?|useless|ridiculous|unacceptable|disgusting|furious|angry|pathetic|incompetent|scam(?:mers?)?|damn|crap|shit\w*|fuck\w*|wtf|bullshit|lawyer|sue you|worst|terrible|fed up|sick of)\b/i,
  /垃圾|骗子|骗人|投诉|气死|太差|什么破|废物|混蛋|他妈|妈的|傻[逼瓜]|无语|受够|烦死|坑人|忽悠|滚(?![动筒珠轮])/,
];
const OPT_OUT = [
  /^\s*(?:stop|stop all|unsubscribe|opt[ -]?out|end|quit)\s*[.!]*\s*$/i,
  /\b(?:unsubscribe|opt[ -]?out|stop (?:sending|messaging|texting|emailing|contacting)|no more (?:messages|emails|texts)|(?:do not|don'?t) (?:contact|message|text|e-?mail) (?:me|us))\b/i,
  /退订|取消订阅|不要再发|别再发|不再接收|不再收|拒收|别发了|不要发了/,
];
const RESCHEDULE = [
  /\b(?:another time|other times?|different (?:time|day|date)|reschedule|re-schedule|later|next week|none of (?:these|those|them)|none (?:work|fit|suit)s?|not (?:these|those) times|change (?:the )?(?:time|date|day)|can'?t make (?:it|any)|cannot make (?:it|any)|not available)\b/i,
  /改时间|换时间|换个时间|换一个时间|其他时间|别的时间|改期|改天|都不行|都不合适|没空|没时间|延期|推迟|晚点|下周/,
];
const DECLINE = [
  /^\s*(?:no|nope|no thanks|no,? thank you|decline|cancel)\s*[.!]*\s*$/i,
  /\b(?:not interested|(?:do not|don'?t) need|no need|no visit|decline|cancel (?:the )?visit)\b/i,
  /不需要|不用了|不用上门|不用来|取消|拒绝|算了|不要上门|不要了|不行|不可以|不好/,
];
const AFFIRM = [/\b(?:yes|yeah|yep|ok|okay|sure|confirm(?:ed)?|fine|book)\b/i, /确认|好的|可以|行|同意|没问题|就这个|预约/];
const ORDINALS: readonly [RegExp, number][] = [
  [/\b(?:first|1st)\b|第一|选一|一号/i, 1],
  [/\b(?:second|2nd|two)\b|第二|选二|二号/i, 2],
  [/\b(?:third|3rd|three)\b|第三|选三|三号/i, 3],
];

function firstMatch(res: readonly RegExp[], text: string): string | null {
  for (const re of res) {
    const m = re.exec(text);
    if (m) return m[0];
  }
  return null;
}

/** Shouting: mostly capital letters over a real sentence, e.g. "THIS IS THE THIRD TIME". */
function isShouting(text: string): boolean {
  const letters = text.replace(/[^A-Za-z]/g, '');
  return letters.length >= 12 && letters.replace(/[^A-Z]/g, '').length / letters.length > 0.8;
}

/** Slot numbers written as digits: whole tokens, not parts of times, dates or phone numbers. */
/** At most three words (or six Chinese characters) besides digits: "2", "option 2", "2号", "the second one". */
function isShort(text: string): boolean {
  const rest = text.replace(/\d+/g, ' ');
  const words = rest.split(/[\s,.!?;:#，。！？、]+/).filter((w) => /[A-Za-z]/.test(w));
  const cjk = rest.replace(/[^\u4e00-\u9fff]/g, '').length;
  return words.length <= 3 && cjk <= 6;
}

function slotNumbers(text: string): number[] {
  const found = new Set<number>();
  for (const m of text.matchAll(/(?<![\d:/.-])(\d{1,2})(?![\d:/]|\.\d)/g)) found.add(Number(m[1]));
  for (const [re, n] of ORDINALS) if (re.test(text)) found.add(n);
  // A lone Chinese numeral reply: "二".
  const lone = /^\s*([一二三四五])\s*[。.!！]*\s*$/.exec(text);
  if (lone) found.add('一二三四五'.indexOf(lone[1]!) + 1);
  return [...found];
}

export function parseReply(input: ReplyInput, ctx: ReplyContext): ReplyDecision {
  const decision = input.via === 'link' ? fromLink(input, ctx) : fromText(input.text, ctx);
  if (decision.kind === 'reschedule' || decision.kind === 'decline') {
    const earlier = (ctx.previous ?? []).filter((k) => k === 'reschedule' || k === 'decline').length;
    if (earlier >= 2) return { kind: 'handoff', reason: 'repeated_dissatisfaction' };
  }
  return decision;
}

function fromLink(input: Extract<ReplyInput, { via: 'link' }>, ctx: ReplyContext): ReplyDecision {
  switch (input.action) {
    case 'confirm': {
      if (!input.slotId) return { kind: 'clarify', reason: 'no_slot_number' };
      const i = ctx.offeredSlotIds.indexOf(input.slotId);
      return { kind: 'confirm', slotId: input.slotId, slotNumber: i >= 0 ? i + 1 : null };
    }
    case 'reschedule':
      return { kind: 'reschedule' };
    case 'decline':
      return { kind: 'decline' };
    case 'opt_out':
      return { kind: 'opt_out' };
  }
}

function fromText(raw: string, ctx: ReplyContext): ReplyDecision {
  // NFKC folds full-width digits and letters (１, ＳＴＯＰ) into their ASCII forms.
  const text = raw.normalize('NFKC').trim();
  let m = firstMatch(SAFETY, text);
  if (m) return { kind: 'handoff', reason: 'safety_words', matched: m };
  m = firstMatch(ANGER, text);
  if (m) return { kind: 'handoff', reason: 'anger', matched: m };
  if (isShouting(text)) return { kind: 'handoff', reason: 'anger', matched: 'shouting' };
  if (firstMatch(OPT_OUT, text)) return { kind: 'opt_out' };
  if (firstMatch(RESCHEDULE, text)) return { kind: 'reschedule' };
  if (firstMatch(DECLINE, text)) return { kind: 'decline' };

  const numbers = slotNumbers(text);
  // A number inside a longer story ("it stopped 3 days ago") is not a choice.
  const yes = firstMatch(AFFIRM, text) !== null;
  if (numbers.length > 0 && (yes || /^\s*(?:选|第)/.test(text) || isShort(text))) {
    if (numbers.length > 1) return { kind: 'clarify', reason: 'several_slot_numbers' };
    const n = numbers[0]!;
    if (n < 1 || n > ctx.offeredSlotIds.length) return { kind: 'clarify', reason: 'slot_out_of_range' };
    return { kind: 'confirm', slotId: ctx.offeredSlotIds[n - 1]!, slotNumber: n };
  }
  if (yes) {
    if (ctx.offeredSlotIds.length === 1) return { kind: 'confirm', slotId: ctx.offeredSlotIds[0]!, slotNumber: 1 };
    return { kind: 'clarify', reason: 'no_slot_number' };
  }
  return { kind: 'handoff', reason: 'unrecognised' };
}
