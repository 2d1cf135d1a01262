import { type MessageBlock, renderHtml, renderText } from '../alerts/messages/message-blocks.ts';
import type { ComposedMessage } from '../alerts/messages/proactive-message.ts';
import type { Language } from '../alerts/messages/message-catalogue.ts';
import { formatDate, formatTime } from '../alerts/messages/message-dates.ts';

/**
 * The workflow's own short messages: the reminder before a booked visit and the escalation
 * (the proactive message again, on the next channel, with a "we have not heard from you" line).
 * Same shapes as the proactive message (blocks → text and HTML, dates in the customer's zone in
 * message-dates.ts's fixed shape, large type in plain mode).
 */

export interface ReminderContext {
  readonly language: Language;
  readonly plain: boolean;
  readonly timezone: string;
  readonly customerName?: string;
  readonly deviceLabel: string;
  readonly technicianName: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly supportPhone: string;
  /** Signed "another time" link, if the customer may still move it. */
  readonly rescheduleUrl?: string;
}

const WORDS = {
  en: {
    reminderSubject: (device: string, date: string, start: string) => `Reminder: service visit for ${device} on ${date} at ${start}`,
    greeting: (name?: string) => (name ? `Hello ${name},` : 'Hello,'),
    reminder: (tech: string, device: string, date: string, start: string, end: string) => `Our technician ${tech} will come to service ${device} on ${date} between ${start} and ${end}.`,
    plainReminder: (date: string, start: string, end: string) => [`We come on ${date}.`, `We come between ${start} and ${end}.`],
    plainTech: (tech: string) => `Your technician is ${tech}.`,
    access: 'Please make sure the technician can reach the equipment.',
    timezone: (tz: string) => `Times are in ${tz}.`,
    move: 'Need another time?',
    call: (phone: string) => `Questions? Call us on ${phone}.`,
    signature: 'Your service team',
    escalationSubject: (subject: string) => `Reminder: ${subject}`,
    escalationIntro: 'We have not heard from you about the message below. Please choose a time, or call us.',
  },
  'zh-CN': {
    reminderSubject: (device: string, date: string, start: string) => `提醒：${date} ${start} 上门维护 ${device}`,
    greeting: (name?: string) => (name ? `${name}，您好：` : '您好：'),
    reminder: (tech: string, device: string, date: string, start: string, end: string) => `我们的技术员${tech}将于${date} ${start}至${end}上门维护${device}。`,
    plainReminder: (date: string, start: string, end: string) => [`我们${date}上门。`, `时间是${start}到${end}。`],
    plainTech: (tech: string) => `技术员是${tech}。`,
    access: '请确保技术员可以接触到设备。',
    timezone: (tz: string) => `时间为${tz}时间。`,
    move: '需要换个时间？',
    call: (phone: string) => `有问题请致电 ${phone}。`,
    signature: '您的服务团队',
    escalationSubject: (subject: string) => `提醒：${subject}`,
    escalationIntro: '我们还没有收到您对下面这条消息的回复。请选择一个时间，或给我们打电话。',
  },
} as const;

function words(language: string) {
  return language === 'zh-CN' ? WORDS['zh-CN'] : WORDS.en;
}

export function composeReminder(ctx: ReminderContext): ComposedMessage {
  const w = words(ctx.language);
  const lang: Language = ctx.language === 'zh-CN' ? 'zh-CN' : 'en';
  const date = formatDate(ctx.startsAt, ctx.timezone, lang);
  const start = formatTime(ctx.startsAt, ctx.timezone);
  const end = formatTime(ctx.endsAt, ctx.timezone);
  const blocks: MessageBlock[] = [{ kind: 'paragraph', text: w.greeting(ctx.customerName) }];
  if (ctx.plain) {
    blocks.push({ kind: 'list', items: [...w.plainReminder(date, start, end), w.plainTech(ctx.technicianName)] });
  } else {
    blocks.push({ kind: 'paragraph', text: w.reminder(ctx.technicianName, ctx.deviceLabel, date, start, end) });
  }
  blocks.push({ kind: 'paragraph', text: w.access });
  blocks.push({ kind: 'paragraph', text: w.timezone(ctx.timezone) });
  if (ctx.rescheduleUrl) blocks.push({ kind: 'link', label: w.move, url: ctx.rescheduleUrl });
  blocks.push({ kind: 'paragraph', text: w.call(ctx.supportPhone) });
  blocks.push({ kind: 'paragraph', text: w.signature });
  const subject = w.reminderSubject(ctx.deviceLabel, date, start);
  return { language: lang, plain: ctx.plain, subject, blocks, text: renderText(blocks), html: renderHtml(blocks, { lang, title: subject, large: ctx.plain }), offeredSlotIds: [] };
}

/** The proactive message again, with a line saying we are still waiting for an answer. */
export function composeEscalation(original: ComposedMessage): ComposedMessage {
  const w = words(original.language);
  const blocks: MessageBlock[] = [{ kind: 'paragraph', text: w.escalationIntro }, ...original.blocks];
  const subject = w.escalationSubject(original.subject);
  return {
    ...original,
    subject,
    blocks,
    text: renderText(blocks),
    html: renderHtml(blocks, { lang: original.language, title: subject, large: original.plain }),
  };
}
