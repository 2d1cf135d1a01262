import type { Prediction } from '../../models/prediction.ts';
import { PrognosError } from '../../platform/errors.ts';
import { failureModeText, type Language, sensorText } from './message-catalogue.ts';
import { catalogueFor } from './message-catalogues.ts';
import { formatDate, formatTime } from './message-dates.ts';
import { type MessageBlock, renderHtml, renderText } from './message-blocks.ts';
import { safetyStepsFor } from './safety-steps.ts';

/** A visit slot as the scheduler offers it. */
export interface VisitSlot {
  readonly id: string;
  readonly startsAt: Date | string | number;
  readonly endsAt: Date | string | number;
  readonly technicianName: string;
}

/** Signed links the message offers (see alerts/notify/customer-links.ts). */
export interface ProactiveLinks {
  confirm(slotId: string): string;
  readonly reschedule: string;
  readonly decline: string;
  readonly optOut: string;
}

export interface ProactiveMessageContext {
  readonly language: Language;
  /** IANA time zone of the customer; every date and time is printed in it. */
  readonly timezone: string;
  readonly customerName?: string;
  /** How the customer knows the device, e.g. "P-101 (Harbour Road)". */
  readonly deviceLabel: string;
  readonly prediction: Prediction;
  /** The failure mode the ticket is about. Default: the prediction's riskiest mode. */
  readonly failureMode?: string;
  /** Slots from the scheduler, best first; at most {@link MAX_SLOTS} are offered. */
  readonly slots: readonly VisitSlot[];
  readonly links: ProactiveLinks;
  /** The service desk's phone number, printed as given. */
  readonly supportPhone: string;
}

export interface ComposedMessage {
  readonly language: Language;
  readonly plain: boolean;
  readonly subject: string;
  readonly blocks: readonly MessageBlock[];
  readonly text: string;
  readonly html: string;
  /** Slot ids in the order they are numbered (reply "1" = offeredSlotIds[0]). */
  readonly offeredSlotIds: readonly string[];
}

/** "Reply 1, 2 or 3": more choices make the message long and the reply ambiguous. */
export const MAX_SLOTS = 3;
/** Sensors named as evidence, strongest first. */
const MAX_EVIDENCE = 3;

function ms(t: Date | string | number): number {
  const v = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(v)) throw new PrognosError('PRG_BAD_REQUEST', `slot time ${String(t)} is not a date`);
  return v;
}

/**
 * The proactive message: what we see, how sure we are, what it means for the customer, the
 * slots to choose from and how to reply. `plain` gives the plain-language ("elder") version:
 * short sentences, no jargon, large type, and the same dates, times, phone number, links and
 * safety steps as the standard version (fact-preservation.ts checks this).
 */
export function composeProactiveMessage(ctx: ProactiveMessageContext, o: { plain: boolean }): ComposedMessage {
  const c = catalogueFor(ctx.language);
  const p = ctx.prediction;
  if (p.status !== 'ok') throw new PrognosError('PRG_BAD_REQUEST', `prediction for ${p.device} is ${p.status}; nobody may act on it`);
  const risk = ctx.failureMode ? p.risks.find((r) => r.mode === ctx.failureMode) : [...p.risks].sort((a, b) => b.risk - a.risk)[0];
  if (!risk) throw new PrognosError('PRG_BAD_REQUEST', `prediction for ${p.device} has no risk for ${ctx.failureMode ?? 'any failure mode'}`);
  const slots = ctx.slots.slice(0, MAX_SLOTS);
  if (slots.length === 0) throw new PrognosError('PRG_BAD_REQUEST', 'a proactive message needs at least one visit slot');

  const equipment = c.equipment[p.equipmentType] ?? c.fallbackEquipment;
  const mode = failureModeText(c, risk.mode);
  const rulHours = p.rulLowerHours ?? p.rulHours;
  const duration = rulHours === null ? null : c.duration(rulHours);
  const evidence = risk.attributions
    .filter((a) => a.contribution > 0)
    .sort((a, b) => b.share - a.share)
    .slice(0, MAX_EVIDENCE);
  const safety = safetyStepsFor(risk.mode).map((id) => c.safetySteps[id]);
  const numbers = slots.map((_, i) => i + 1);
  const slotWords = slots.map((s, i) => {
    const start = ms(s.startsAt);
    return {
      number: i + 1,
      date: formatDate(start, ctx.timezone, c.language),
      start: formatTime(start, ctx.timezone),
      end: formatTime(ms(s.endsAt), ctx.timezone),
      technician: s.technicianName,
    };
  });

  const blocks: MessageBlock[] = [];
  // Chinese sentences follow each other without a space.
  const join = (a: string, b: string) => (c.language === 'zh-CN' ? `${a}${b}` : `${a} ${b}`);
  let subject: string;
  if (!o.plain) {
    const t = c.standard;
    subject = t.subject(equipment, ctx.deviceLabel);
    blocks.push({ kind: 'paragraph', text: t.greeting(ctx.customerName) });
    blocks.push({ kind: 'paragraph', text: t.whatWeSee(equipment, ctx.deviceLabel, mode.name) });
    if (evidence.length > 0) {
      blocks.push({ kind: 'paragraph', text: t.evidenceIntro });
      blocks.push({ kind: 'list', items: evidence.map((a) => t.evidenceItem(sensorText(c, a.sensor).evidence, Math.round(a.share * 100))) });
    }
    blocks.push({ kind: 'paragraph', text: t.howSure(c.riskWords(risk.risk), Math.round(risk.risk * 100), c.span(risk.horizonHours)) });
    blocks.push({ kind: 'paragraph', text: join(t.timeLeft(duration), t.consequence(mode.consequence)) });
    blocks.push({ kind: 'safety', heading: c.safetyHeading, steps: safety });
    blocks.push({ kind: 'paragraph', text: t.slotsIntro });
    slots.forEach((s, i) => blocks.push({ kind: 'choice', lines: [t.slot(slotWords[i]!)], linkLabel: t.confirmLink, url: ctx.links.confirm(s.id) }));
    blocks.push({ kind: 'paragraph', text: join(t.timezoneNote(ctx.timezone), t.replyInstructions(numbers)) });
    blocks.push({ kind: 'link', label: t.otherLinks.reschedule, url: ctx.links.reschedule });
    blocks.push({ kind: 'link', label: t.otherLinks.decline, url: ctx.links.decline });
    blocks.push({ kind: 'paragraph', text: t.call(ctx.supportPhone) });
    blocks.push({ kind: 'link', label: t.otherLinks.optOut, url: ctx.links.optOut });
    blocks.push({ kind: 'paragraph', text: t.signature });
  } else {
    const t = c.plain;
    subject = t.subject(equipment, ctx.deviceLabel);
    blocks.push({ kind: 'paragraph', text: t.greeting(ctx.customerName) });
    blocks.push({ kind: 'paragraph', text: t.whatWeSee(equipment, ctx.deviceLabel) });
    const signs = [...new Set(evidence.map((a) => sensorText(c, a.sensor).plain))];
    blocks.push({ kind: 'list', items: [mode.plainProblem, ...signs] });
    const outOfTen = Math.min(risk.risk < 1 ? 9 : 10, Math.max(1, Math.round(risk.risk * 10)));
    blocks.push({ kind: 'paragraph', text: t.howSure(c.plainRiskWords(risk.risk), outOfTen) });
    blocks.push({ kind: 'list', items: [t.timeLeft(duration), mode.plainConsequence] });
    blocks.push({ kind: 'safety', heading: c.safetyHeading, steps: safety });
    blocks.push({ kind: 'paragraph', text: t.slotsIntro });
    slots.forEach((s, i) => blocks.push({ kind: 'choice', lines: t.slot(slotWords[i]!), linkLabel: t.confirmLink, url: ctx.links.confirm(s.id) }));
    blocks.push({ kind: 'paragraph', text: t.timezoneNote(ctx.timezone) });
    blocks.push({ kind: 'list', items: t.replyInstructions(numbers) });
    blocks.push({ kind: 'link', label: t.otherLinks.reschedule, url: ctx.links.reschedule });
    blocks.push({ kind: 'link', label: t.otherLinks.decline, url: ctx.links.decline });
    blocks.push({ kind: 'paragraph', text: t.call(ctx.supportPhone) });
    blocks.push({ kind: 'link', label: t.otherLinks.optOut, url: ctx.links.optOut });
    blocks.push({ kind: 'paragraph', text: t.signature });
  }
  return {
    language: c.language,
    plain: o.plain,
    subject,
    blocks,
    text: renderText(blocks),
    html: renderHtml(blocks, { lang: c.language, title: subject, large: o.plain }),
    offeredSlotIds: slots.map((s) => s.id),
  };
}

