// Tiny DOM builder: text is always set with textContent, so device names, ticket notes and
// customer messages can never become markup (or scripts) in the dashboard.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function mount(root, ...children) {
  root.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

export function pct(x) {
  return x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`;
}

export function riskClass(risk, threshold) {
  if (risk >= threshold) return 'risk-high';
  if (risk >= threshold * 0.5) return 'risk-mid';
  return 'risk-low';
}
