import type { SafetyStepId } from './safety-steps.ts';

/**
 * The shape every language's catalogue fills in. All words a customer reads come from a
 * catalogue (catalogue-en.ts, catalogue-zh-CN.ts); proactive-message.ts only arranges them.
 * Standard templates may name sensors and percentages; `plain` templates must use short
 * sentences and none of the catalogue's {@link MessageCatalogue.jargon}.
 */
export type Language = 'en' | 'zh-CN';
export const LANGUAGES: readonly Language[] = ['en', 'zh-CN'];

export interface FailureModeText {
  /** Standard wording, e.g. "bearing wear". */
  readonly name: string;
  /** What happens if nobody acts (standard wording). */
  readonly consequence: string;
  /** Plain wording of the problem, one short sentence. */
  readonly plainProblem: string;
  /** Plain wording of the consequence, one short sentence. */
  readonly plainConsequence: string;
}

export interface SensorText {
  /** Standard evidence wording, e.g. "vibration at the bearing housing". */
  readonly evidence: string;
  /** One short plain sentence, e.g. "It shakes more than usual." */
  readonly plain: string;
}

/** The pieces of a slot line, already formatted in the customer's time zone. */
export interface SlotWords {
  readonly number: number;
  readonly date: string;
  readonly start: string;
  readonly end: string;
  readonly technician: string;
}

export interface MessageCatalogue {
  readonly language: Language;
  /** BCP 47 locale for Intl (dates, numbers). */
  readonly locale: string;
  readonly equipment: Readonly<Record<string, string>>;
  readonly fallbackEquipment: string;
  readonly failureModes: Readonly<Record<string, FailureModeText>>;
  readonly fallbackFailureMode: FailureModeText;
  readonly sensors: Readonly<Record<string, SensorText>>;
  readonly fallbackSensor: SensorText;
  readonly safetySteps: Readonly<Record<SafetyStepId, string>>;
  /** Words that must never appear in a plain-language message (matched case-insensitively). */
  readonly jargon: readonly string[];
  /** Heading in front of the safety steps (both versions). */
  readonly safetyHeading: string;

  readonly standard: {
    subject(equipment: string, deviceLabel: string): string;
    greeting(name: string | undefined): string;
    whatWeSee(equipment: string, deviceLabel: string, mode: string): string;
    evidenceIntro: string;
    evidenceItem(sensor: string, percent: number): string;
    howSure(riskWords: string, percent: number, horizonDays: string): string;
    timeLeft(duration: string | null): string;
    consequence(text: string): string;
    slotsIntro: string;
    slot(s: SlotWords): string;
    confirmLink: string;
    timezoneNote(timezone: string): string;
    replyInstructions(numbers: readonly number[]): string;
    otherLinks: { reschedule: string; decline: string; optOut: string };
    call(phone: string): string;
    signature: string;
  };
  readonly plain: {
    subject(equipment: string, deviceLabel: string): string;
    greeting(name: string | undefined): string;
    whatWeSee(equipment: string, deviceLabel: string): string;
    howSure(riskWords: string, outOfTen: number): string;
    timeLeft(duration: string | null): string;
    slotsIntro: string;
    slot(s: SlotWords): string[];
    confirmLink: string;
    timezoneNote(timezone: string): string;
    replyInstructions(numbers: readonly number[]): string[];
    otherLinks: { reschedule: string; decline: string; optOut: string };
    call(phone: string): string;
    signature: string;
  };
  riskWords(risk: number): string;
  plainRiskWords(risk: number): string;
  /** "about 5 days" / "about 20 hours". */
  duration(hours: number): string;
  /** An exact span: "7 days" / "12 hours". */
  span(hours: number): string;
}

/** Keyed access that falls back instead of failing: a new failure mode still gets a message. */
export function failureModeText(c: MessageCatalogue, mode: string): FailureModeText {
  return c.failureModes[mode] ?? c.fallbackFailureMode;
}

export function sensorText(c: MessageCatalogue, sensor: string): SensorText {
  return c.sensors[sensor] ?? c.fallbackSensor;
}
