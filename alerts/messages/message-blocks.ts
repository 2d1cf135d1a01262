/**
 * A message as a list of blocks, rendered to plain text (e-mail text part, webhook, SMS-like
 * channels) and to HTML. Both renderings carry the same words, so every fact in one is in the
 * other. `large` is the plain-language layout: big type, wide line spacing, one thing per
 * line, links as large buttons.
 */
export type MessageBlock =
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  /** Safety steps: each printed on its own line behind {@link SAFETY_MARK}. */
  | { readonly kind: 'safety'; readonly heading: string; readonly steps: readonly string[] }
  | { readonly kind: 'choice'; readonly lines: readonly string[]; readonly linkLabel: string; readonly url: string }
  | { readonly kind: 'link'; readonly label: string; readonly url: string };

/** Marks a safety step line in the text rendering. */
export const SAFETY_MARK = '⚠';

export function renderText(blocks: readonly MessageBlock[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'paragraph':
        out.push(b.text);
        break;
      case 'list':
        out.push(b.items.map((i) => `- ${i}`).join('\n'));
        break;
      case 'safety':
        out.push([b.heading, ...b.steps.map((s) => `${SAFETY_MARK} ${s}`)].join('\n'));
        break;
      case 'choice':
        out.push([...b.lines, `${b.linkLabel} ${b.url}`].join('\n'));
        break;
      case 'link':
        out.push(`${b.label} ${b.url}`);
        break;
      default:
        b satisfies never;
    }
  }
  return `${out.join('\n\n')}\n`;
}

export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

export function renderHtml(blocks: readonly MessageBlock[], o: { lang: string; title: string; large: boolean }): string {
  const font = o.large ? 'font-size:22px;line-height:1.7' : 'font-size:15px;line-height:1.5';
  const button = o.large
    ? 'display:inline-block;padding:14px 22px;margin:6px 0;font-size:22px;background:#0b5;color:#fff;text-decoration:none;border-radius:8px'
    : 'color:#06c';
  const body: string[] = [];
  const a = (label: string, url: string) => `<a href="${escapeHtml(url)}" style="${button}">${escapeHtml(label)}</a>`;
  for (const b of blocks) {
    switch (b.kind) {
      case 'paragraph':
        body.push(`<p>${escapeHtml(b.text)}</p>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);
        break;
      case 'safety':
        body.push(
          `<div style="border-left:6px solid #c60;padding-left:12px"><p><strong>${escapeHtml(b.heading)}</strong></p>` +
            b.steps.map((s) => `<p>${SAFETY_MARK} ${escapeHtml(s)}</p>`).join('') +
            '</div>',
        );
        break;
      case 'choice':
        body.push(`<p>${b.lines.map(escapeHtml).join('<br>')}<br>${a(b.linkLabel, b.url)}</p>`);
        break;
      case 'link':
        body.push(`<p>${a(b.label, b.url)}</p>`);
        break;
      default:
        b satisfies never;
    }
  }
  return (
    `<!doctype html><html lang="${escapeHtml(o.lang)}"><head><meta charset="utf-8"><title>${escapeHtml(o.title)}</title></head>` +
    `<body style="font-family:sans-serif;${font};max-width:40em">${body.join('\n')}</body></html>`
  );
}
