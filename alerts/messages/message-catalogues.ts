import { catalogueEn } from './catalogue-en.ts';
import { catalogueZhCN } from './catalogue-zh-CN.ts';
import type { Language, MessageCatalogue } from './message-catalogue.ts';

const CATALOGUES: Readonly<Record<Language, MessageCatalogue>> = { en: catalogueEn, 'zh-CN': catalogueZhCN };

/** The catalogue of a language; anything but zh-CN (e.g. `zh`, `zh-Hans`) falls back sensibly. */
export function catalogueFor(language: string): MessageCatalogue {
  if (language === 'zh-CN' || /^zh(-Hans)?(-CN)?$/i.test(language)) return CATALOGUES['zh-CN'];
  return CATALOGUES.en;
}
