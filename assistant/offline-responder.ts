import type { DeviceStatus, DeviceSummary, FleetOverview, Language, TicketSummary, VisitSlot } from './assistant-ports.ts';
import type { ConversationStore } from './conversation-store.ts';
import { runTool, type ToolOutcome } from './tools/tool-runner.ts';
import type { Tool, ToolContext } from './tools/tool.ts';

/**
 * The assistant without a language model: keyword intents in English and Chinese, answered
 * from the same tools (so the same authority checks and the same audit trail), and every answer
 * says plainly that it is the offline mode.
 */

export type OfflineIntent = 'cancel' | 'reschedule' | 'visit_when' | 'book' | 'why_flagged' | 'what_to_check' | 'status' | 'fleet' | 'help';

const INTENTS: { intent: OfflineIntent; en: RegExp; zh: RegExp }[] = [
  { intent: 'cancel', en: /\bcancel/i, zh: /取消/ },
  { intent: 'reschedule', en: /\b(re-?schedule|postpone|move (the|my) (visit|appointment)|another (time|day|slot)|change (the|my) (visit|appointment))/i, zh: /改期|改时间|换个时间|推迟|延期|重新安排|改约/ },
  { intent: 'visit_when', en: /\bwhen\b.*\b(visit|engineer|technician|come|coming|appointment)|\bnext visit\b|\bvisit (date|time)\b/i, zh: /(什么时候|何时|几点|哪天).*(来|上门|维修|到)|上门时间|预约时间/ },
  { intent: 'book', en: /\b(book|schedule|arrange|appointment|send (someone|an engineer|a technician))/i, zh: /预约|安排|上门|派人|预订|约个/ },
  { intent: 'why_flagged', en: /\b(why|flagged|risk|alert|alarm|explain|cause)/i, zh: /为什么|为何|原因|风险|告警|报警|预警/ },
  { intent: 'what_to_check', en: /\b(check|inspect|troubleshoot|what (should|do) i do|next step)/i, zh: /检查|排查|怎么处理|该做什么|如何处理|怎么办/ },
  { intent: 'status', en: /\b(status|how is|how's|health|condition|running)/i, zh: /状态|情况|怎么样|运行|健康/ },
  { intent: 'fleet', en: /\b(fleet|all (my )?devices|my devices|overview|which devices|equipment list)/i, zh: /设备列表|所有设备|我的设备|概况|总览|哪些设备/ },
];

export function matchIntent(message: string): OfflineIntent {
  for (const i of INTENTS) if (i.en.test(message) || i.zh.test(message)) return i.intent;
  return 'help';
}

const CONFIRM = /^\s*(yes|y|yeah|yep|ok|okay|sure|confirm(ed)?|go ahead|do it|please do|确认|确定|是的|是|好的|好|可以|同意|行)\s*[.!。！]*\s*$/i;
const DECLINE = /^\s*(no|n|nope|don'?t|do not|never ?mind|不|不要|不用|算了|否)\s*[.!。！]*\s*$/i;

/** A reply that confirms a pending proposal: short and unambiguous ("yes", "确认"), nothing else. */
export function isConfirmation(message: string): boolean {
  return CONFIRM.test(message);
}

export function isDecline(message: string): boolean {
  return DECLINE.test(message);
}

export const OFFLINE_NOTICE: Record<Language, string> = {
  en: 'Offline mode (no language model is configured): ',
  'zh-CN': '离线模式（未配置大语言模型）：',
};

const t = (lang: Language, en: string, zh: string) => (lang === 'zh-CN' ? zh : en);

/** Everyday words for a sensor id, for customers (plain-language mode). */
export function plainSensor(sensor: string, lang: Language): string {
  const words: [RegExp, string, string][] = [
    [/debris/, 'metal particles in the oil', '油中金属颗粒'],
    [/vib/, 'vibration', '振动'],
    [/winding_temp/, 'motor temperature', '电机温度'],
    [/bearing_temp/, 'bearing temperature', '轴承温度'],
    [/oil_temp/, 'oil temperature', '油温'],
    [/temp/, 'temperature', '温度'],
    [/current/, 'electrical current', '电流'],
    [/pressure/, 'pressure', '压力'],
    [/flow/, 'flow', '流量'],
    [/duty/, 'running time', '运行时间占比'],
    [/speed/, 'speed', '转速'],
    [/load/, 'load', '负载'],
  ];
  const hit = words.find(([re]) => re.test(sensor));
  return hit ? `${t(lang, hit[1], hit[2])} (${sensor})` : sensor;
}

export interface OfflineResult {
  answer: string;
  intent: OfflineIntent;
  outcomes: ToolOutcome[];
}

interface ExplainRiskResult {
  device: string;
  status?: string;
  prediction?: null;
  risks: { mode: string; riskPercent: number; flagged: boolean; attributions: { sensor: string; sharePercent: number }[] }[];
  articles: { id: string; title: string; checks: string[]; safety: string[] }[];
}

export async function respondOffline(ctx: ToolContext, store: ConversationStore, tools: readonly Tool[], message: string): Promise<OfflineResult> {
  const lang = ctx.language;
  const customer = ctx.caller.kind === 'customer';
  const outcomes: ToolOutcome[] = [];
  const call = async <T>(name: string, args: Record<string, unknown>): Promise<T | null> => {
    const o = await runTool(ctx, store, tools, { name, arguments: args });
    outcomes.push(o);
    return o.ok ? (o.result as T) : null;
  };
  const intent = matchIntent(message);
  const say = (text: string): OfflineResult => ({ answer: OFFLINE_NOTICE[lang] + text, intent, outcomes });

  const fleet = await call<FleetOverview>('fleetOverview', {});
  const devices = fleet?.devices ?? [];
  const lower = message.toLowerCase();
  const named = devices.filter((d) => lower.includes(d.device.toLowerCase()));
  const device: Omit<DeviceSummary, 'name'> | undefined =
    named[0] ?? (devices.length === 1 ? devices[0] : undefined) ?? (intent === 'why_flagged' || intent === 'what_to_check' ? [...devices].sort((a, b) => (b.topRisk ?? -1) - (a.topRisk ?? -1))[0] : undefined);

  const pickTicket = async (): Promise<TicketSummary | null> => {
    const list = await call<{ tickets: TicketSummary[] }>('listTickets', { status: 'open', ...(device && named.length > 0 ? { device: device.device } : {}) });
    const tickets = list?.tickets ?? [];
    const byId = tickets.find((tk) => lower.includes(tk.id.toLowerCase()));
    if (byId) return byId;
    // Cancel and reschedule act on a ticket with a visit; booking on one without.
    const wantsVisit = intent !== 'book';
    return tickets.find((tk) => (tk.visit?.status === 'scheduled') === wantsVisit) ?? tickets[0] ?? null;
  };

  // An id the user named that is none of theirs: say so, never act on some other ticket instead.
  if (intent !== 'help' && intent !== 'fleet') {
    const unknown = await unknownIds(message, devices, async () => (await call<{ tickets: TicketSummary[] }>('listTickets', { status: 'all' }))?.tickets ?? []);
    if (unknown.length > 0) {
      return say(t(lang, `I cannot find ${unknown.join(', ')} among the devices and tickets you can see. Nothing was changed.`, `在您可以查看的设备和工单中找不到 ${unknown.join('、')}。没有做任何更改。`));
    }
  }

  switch (intent) {
    case 'fleet':
    case 'help': {
      if (intent === 'help' && !devices.length) {
        return say(t(lang, 'I can answer: device status, why a device is flagged, what to check, when the visit is, and book, reschedule or cancel a visit.', '我可以回答：设备状态、设备为什么被标记、应该检查什么、上门时间，以及预约、改期或取消上门。'));
      }
      const lines = devices.map((d) => `- ${d.device}: ${d.health}${d.topMode ? `, ${d.topMode}` : ''}${d.topRisk !== null ? ` ${Math.round(d.topRisk * 1000) / 10}%` : ''}`);
      const head = intent === 'help' ? t(lang, 'I can answer: device status, why a device is flagged, what to check, when the visit is, and book, reschedule or cancel a visit. Your devices:', '我可以回答：设备状态、为什么被标记、应该检查什么、上门时间，以及预约、改期或取消上门。您的设备：') : t(lang, 'Your devices:', '您的设备：');
      return say([head, ...lines].join('\n'));
    }
    case 'status': {
      if (!device) return say(t(lang, `Which device? ${devices.map((d) => d.device).join(', ')}`, `请问是哪台设备？${devices.map((d) => d.device).join('、')}`));
      const s = await call<DeviceStatus>('deviceStatus', { device: device.device });
      if (!s) return say(t(lang, `I cannot find device ${device.device}.`, `找不到设备 ${device.device}。`));
      const values = s.latest.slice(0, customer ? 3 : 8).map((v) => `${customer ? plainSensor(v.sensor, lang) : v.sensor} ${v.value}${v.unit ? ` ${v.unit}` : ''}`);
      const risk = s.topRisk !== null && s.topMode ? t(lang, ` Highest risk: ${s.topMode} ${Math.round(s.topRisk * 1000) / 10}%.`, ` 最高风险：${s.topMode} ${Math.round(s.topRisk * 1000) / 10}%。`) : '';
      return say(
        t(lang, `${s.device} is ${s.health}${s.silent ? ' and has stopped sending data' : ''}; last data ${s.lastSeen ?? 'never'}.${risk} Latest: ${values.join('; ')}.`, `${s.device} 状态：${s.health}${s.silent ? '，已停止发送数据' : ''}；最近数据时间 ${s.lastSeen ?? '无'}。${risk}最新读数：${values.join('；')}。`),
      );
    }
    case 'why_flagged':
    case 'what_to_check': {
      if (!device) return say(t(lang, 'I see no device to explain.', '没有可以解释的设备。'));
      const r = await call<ExplainRiskResult>('explainRisk', { device: device.device });
      if (!r || !r.risks || r.risks.length === 0) return say(t(lang, `${device.device} has no usable prediction yet.`, `${device.device} 还没有可用的预测。`));
      const top = r.risks[0]!;
      const article = r.articles[0];
      if (intent === 'why_flagged') {
        const attrs = top.attributions.slice(0, 3).map((a) => `${customer ? plainSensor(a.sensor, lang) : a.sensor} ${a.sharePercent}%`);
        const state = top.flagged ? t(lang, 'is flagged for', '被标记为') : t(lang, 'is not flagged; its highest risk is', '未被标记；最高风险为');
        return say(
          t(
            lang,
            `${r.device} ${state} ${top.mode} (risk ${top.riskPercent}%). Main evidence: ${attrs.join(', ')}.${article ? ` See [${article.id}] ${article.title}.` : ''}`,
            `${r.device} ${state} ${top.mode}（风险 ${top.riskPercent}%）。主要依据：${attrs.join('，')}。${article ? `参见 [${article.id}] ${article.title}。` : ''}`,
          ),
        );
      }
      if (!article) return say(t(lang, `${r.device}: no article matches ${top.mode}.`, `${r.device}：没有与 ${top.mode} 匹配的文章。`));
      const checks = article.checks.slice(0, 3).map((c) => `- ${c}`);
      const safety = article.safety.slice(0, 2).map((c) => `- ${c}`);
      return say([t(lang, `${r.device}, ${top.mode} [${article.id}]. Check:`, `${r.device}，${top.mode} [${article.id}]。检查：`), ...checks, t(lang, 'Safety first:', '安全事项：'), ...safety].join('\n'));
    }
    case 'visit_when': {
      const list = await call<{ tickets: TicketSummary[] }>('listTickets', { status: 'open' });
      const visits = (list?.tickets ?? []).filter((tk) => tk.visit && tk.visit.status === 'scheduled');
      if (visits.length === 0) return say(t(lang, 'No visit is scheduled.', '目前没有已安排的上门。'));
      return say(visits.map((tk) => t(lang, `Ticket ${tk.id} (${tk.device}): visit ${tk.visit!.start} to ${tk.visit!.end}, ${tk.visit!.engineer}.`, `工单 ${tk.id}（${tk.device}）：上门时间 ${tk.visit!.start} 至 ${tk.visit!.end}，${tk.visit!.engineer}。`)).join('\n'));
    }
    case 'book':
    case 'reschedule':
    case 'cancel': {
      const ticket = await pickTicket();
      if (!ticket) return say(t(lang, 'I find no open ticket to act on.', '没有找到可以处理的未结工单。'));
      if (intent === 'cancel') {
        const o = await call<{ summary: string; executed: boolean }>('cancelVisit', { ticketId: ticket.id, reason: 'requested in the assistant (offline mode)' });
        return say(proposalText(o, lang, t(lang, `Ticket ${ticket.id} has no scheduled visit to cancel.`, `工单 ${ticket.id} 没有可取消的上门。`)));
      }
      if (intent === 'book' && ticket.visit?.status === 'scheduled') {
        // Booking never silently moves an existing appointment.
        return say(t(lang, `Ticket ${ticket.id} already has a visit from ${ticket.visit.start} to ${ticket.visit.end}. Say "reschedule" to move it.`, `工单 ${ticket.id} 已有上门安排：${ticket.visit.start} 至 ${ticket.visit.end}。如需改期，请说“改期”。`));
      }
      const slots = await call<{ slots: VisitSlot[] }>('proposeVisitSlots', { ticketId: ticket.id });
      const slot = (slots?.slots ?? []).find((s) => s.start !== ticket.visit?.start);
      if (!slot) return say(t(lang, `No free slot for ticket ${ticket.id}.`, `工单 ${ticket.id} 暂无空闲时段。`));
      const tool = intent === 'book' ? 'scheduleVisit' : 'rescheduleVisit';
      const o = await call<{ summary: string; executed: boolean }>(tool, { ticketId: ticket.id, slot });
      return say(proposalText(o, lang, t(lang, `I could not prepare that for ticket ${ticket.id}.`, `无法为工单 ${ticket.id} 办理。`)));
    }
  }
}

/** Things that look like device or ticket ids (letters, a dash or underscore, a digit somewhere). */
const ID_LIKE = /(?<![A-Za-z0-9_-])[A-Za-z]{1,12}[-_][A-Za-z0-9_-]*\d[A-Za-z0-9_-]*/g;

/** Id-like words in the message that match none of the caller's devices or tickets (tickets read only when needed). */
async function unknownIds(message: string, devices: readonly { device: string }[], tickets: () => Promise<TicketSummary[]>): Promise<string[]> {
  const words = [...new Set(message.match(ID_LIKE) ?? [])].map((w) => w.replace(/[-_]+$/, ''));
  if (words.length === 0) return [];
  const known = (w: string, ids: string[]) => ids.some((id) => id.toLowerCase().includes(w.toLowerCase()) || w.toLowerCase().includes(id.toLowerCase()));
  const deviceIds = devices.map((d) => d.device);
  const rest = words.filter((w) => !known(w, deviceIds));
  if (rest.length === 0) return [];
  const ticketIds = (await tickets()).map((tk) => tk.id);
  return rest.filter((w) => !known(w, ticketIds));
}

function proposalText(o: { summary: string; executed: boolean } | null, lang: Language, failed: string): string {
  if (!o) return failed;
  if (o.executed) return t(lang, `Done: ${o.summary}.`, `已完成：${o.summary}。`);
  return t(lang, `I propose to ${o.summary}. Reply "yes" to confirm.`, `建议：${o.summary}。回复“确认”即可执行。`);
}
