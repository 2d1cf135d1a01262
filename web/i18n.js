// Every visible string, per language. Data (device names, notes, messages) is never translated
// here and always rendered as text, never as HTML.
const STRINGS = {
  en: {
    plainMode: 'Large, plain text', logout: 'Log out', login: 'Log in', username: 'User name', password: 'Password',
    loginFailed: 'Login failed', fleet: 'Fleet', tickets: 'Tickets', calendar: 'Visits', assistant: 'Assistant',
    myEquipment: 'My equipment', device: 'Device', type: 'Type', customer: 'Customer', site: 'Site', risk: 'Risk',
    mode: 'Failure mode', rul: 'Time left (operating h)', episode: 'Alert', lastSeen: 'Last reading', status: 'Status',
    noData: 'No data yet.', insufficient: 'Not enough data to judge', why: 'Why it is flagged', telemetry: 'Telemetry',
    riskHistory: 'Risk history', ticket: 'Ticket', tier: 'Service tier', severity: 'Severity', created: 'Opened',
    audit: 'Audit trail', proposeSlots: 'Find visit slots', book: 'Book', visit: 'Visit', technician: 'Technician',
    ask: 'Ask', askPlaceholder: 'Ask about a device, a ticket or a visit…', sources: 'Sources', offline: 'offline mode',
    yourMessage: 'Our message to you', chooseSlot: 'Choose a time for the technician visit', confirmed: 'Your visit is booked',
    reschedule: 'None of these times suit me', decline: 'No visit, thank you', evidence: 'What we measured',
    visitStatus: 'Visit status', linkInvalid: 'This link is not valid or has expired.', none: 'None',
    share: 'share', value: 'value', from: 'From', to: 'To', state: 'State', outcome: 'Outcome', live: 'live',
    states: { open: 'Open', triaged: 'Triaged', visit_proposed: 'Visit proposed', scheduled: 'Scheduled', in_progress: 'In progress', closed: 'Closed' },
  },
  'zh-CN': {
    plainMode: '大字简明模式', logout: '退出', login: '登录', username: '用户名', password: '密码',
    loginFailed: '登录失败', fleet: '设备总览', tickets: '工单', calendar: '上门安排', assistant: '助手',
    myEquipment: '我的设备', device: '设备', type: '类型', customer: '客户', site: '地点', risk: '风险',
    mode: '故障类型', rul: '剩余时间（运行小时）', episode: '告警', lastSeen: '最近读数', status: '状态',
    noData: '暂无数据。', insufficient: '数据不足，无法判断', why: '告警原因', telemetry: '遥测数据',
    riskHistory: '风险历史', ticket: '工单', tier: '服务等级', severity: '严重程度', created: '创建时间',
    audit: '审计记录', proposeSlots: '查找上门时间', book: '预约', visit: '上门', technician: '技术员',
    ask: '提问', askPlaceholder: '询问设备、工单或上门安排…', sources: '来源', offline: '离线模式',
    yourMessage: '我们给您的消息', chooseSlot: '请选择技术员上门时间', confirmed: '已为您预约上门',
    reschedule: '这些时间都不合适', decline: '不需要上门，谢谢', evidence: '我们测到的情况',
    visitStatus: '上门状态', linkInvalid: '此链接无效或已过期。', none: '无',
    share: '占比', value: '数值', from: '从', to: '到', state: '状态', outcome: '结果', live: '实时',
    states: { open: '新建', triaged: '已分诊', visit_proposed: '已提议上门', scheduled: '已预约', in_progress: '处理中', closed: '已关闭' },
  },
};

let lang = localStorage.getItem('prognos.lang') || (navigator.language.startsWith('zh') ? 'zh-CN' : 'en');

export function currentLang() {
  return lang;
}

export function setLang(l) {
  lang = STRINGS[l] ? l : 'en';
  localStorage.setItem('prognos.lang', lang);
  document.documentElement.lang = lang;
}

export function t(key) {
  return STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
}

export function stateName(s) {
  return STRINGS[lang].states[s] ?? s;
}

export function formatTime(ms, timeZone) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(lang, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
}

export function applyStaticStrings(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}
