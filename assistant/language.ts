import type { Language } from './assistant-ports.ts';

/** zh-CN when the text is mostly Chinese characters, else en. */
export function detectLanguage(text: string, fallback: Language = 'en'): Language {
  const cjk = (text.match(/[\u3400-\u9fff\uf900-\ufaff]/g) ?? []).length;
  const latin = (text.match(/[A-Za-z]+/g) ?? []).length;
  if (cjk === 0 && latin === 0) return fallback;
  return cjk >= 2 && cjk >= latin ? 'zh-CN' : cjk > 0 && latin === 0 ? 'zh-CN' : 'en';
}
