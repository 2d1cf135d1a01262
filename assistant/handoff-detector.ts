/**
 * Decides when a customer's conversation goes to a person: safety words (at once), anger, a
 * request for a human, or dissatisfaction said more than once. Keyword rules in English and
 * Chinese: predictable, testable, and no model needed (it runs in offline mode too).
 */

export type HandOffReason = 'safety' | 'anger' | 'human_requested' | 'repeated_dissatisfaction';

export interface HandOffDecision {
  handOff: boolean;
  reason: HandOffReason | null;
  urgency: 'high' | 'normal';
  /** The words that decided it (for the hand-off's context). */
  matched: string[];
}

interface Lexicon {
  en: string[];
  zh: string[];
}

const SAFETY: Lexicon = {
  en: ['fire', 'on fire', 'smoke', 'smoking', 'burning smell', 'smell of burning', 'sparks', 'sparking', 'explosion', 'exploded', 'electric shock', 'electrocuted', 'injured', 'injury', 'hurt', 'bleeding', 'gas leak', 'flooding', 'flooded', 'emergency'],
  zh: ['起火', '着火', '失火', '冒烟', '烟雾', '火花', '爆炸', '触电', '漏电', '受伤', '伤人', '流血', '燃气泄漏', '漏气', '焦味', '烧焦', '淹水', '紧急'],
};

const ANGER: Lexicon = {
  en: ['furious', 'angry', 'unacceptable', 'ridiculous', 'outrageous', 'terrible service', 'worst', 'useless', 'scam', 'lawyer', 'sue you', 'fed up', 'sick of', 'wtf', 'damn', 'disgrace'],
  zh: ['生气', '愤怒', '气死', '太差', '垃圾', '投诉', '骗子', '受够', '无法接受', '不可接受', '离谱', '什么破', '律师', '起诉', '忍无可忍'],
};

const HUMAN: Lexicon = {
  en: ['talk to a human', 'speak to a human', 'real person', 'talk to a person', 'speak to someone', 'human agent', 'customer service', 'your manager'],
  zh: ['人工', '真人', '转人工', '客服', '找你们经理', '找负责人'],
};

const DISSATISFIED: Lexicon = {
  en: ['not happy', 'unhappy', 'disappointed', 'still not', 'still broken', 'again', "didn't help", 'did not help', 'not helpful', "doesn't work", 'does not work', 'not working', 'no one came', 'nobody came', 'not satisfied', 'dissatisfied', 'waste of time'],
  zh: ['不满意', '失望', '还是不行', '又坏了', '还没修好', '没用', '没解决', '没人来', '不行', '浪费时间', '又出问题'],
};

function matches(text: string, lex: Lexicon): string[] {
  const lower = text.toLowerCase();
  const en = lex.en.filter((w) => new RegExp(`(^|[^a-z])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z])`).test(lower));
  const zh = lex.zh.filter((w) => text.includes(w));
  return [...en, ...zh];
}

/** Shouting: three or more all-caps words, or a run of exclamation marks. */
function shouting(text: string): boolean {
  const caps = (text.match(/\b[A-Z]{3,}\b/g) ?? []).filter((w) => !/^[A-Z]{2,}-?\d/.test(w));
  return caps.length >= 3 || /[!！]{3,}/.test(text);
}

export function detectHandOff(message: string, previousUserMessages: readonly string[] = []): HandOffDecision {
  const safety = matches(message, SAFETY);
  if (safety.length > 0) return { handOff: true, reason: 'safety', urgency: 'high', matched: safety };
  const anger = matches(message, ANGER);
  if (anger.length > 0 || shouting(message)) return { handOff: true, reason: 'anger', urgency: 'normal', matched: anger.length ? anger : ['shouting'] };
  const human = matches(message, HUMAN);
  if (human.length > 0) return { handOff: true, reason: 'human_requested', urgency: 'normal', matched: human };
  const now = matches(message, DISSATISFIED);
  if (now.length > 0) {
    const before = previousUserMessages.flatMap((m) => matches(m, DISSATISFIED));
    if (before.length > 0) return { handOff: true, reason: 'repeated_dissatisfaction', urgency: 'normal', matched: [...before, ...now] };
  }
  return { handOff: false, reason: null, urgency: 'normal', matched: now };
}
