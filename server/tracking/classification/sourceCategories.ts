import { kindOfHost, kindOfSourceName, type KnownSiteKind } from './knownSites.js';

/**
 * GA4 groups sources by "a list of search / social / video / shopping sites"; we add the kinds
 * our extra channel groups need. A source is categorised by its stored short name (`vk`), by a
 * spelling common in utm_source (`fb`, `tg`, `yandex_direct`), or, when it looks like a host
 * (`l.facebook.com`, `chatgpt.com`), by the site that host belongs to.
 */
export type SourceCategory = 'search' | 'social' | 'messenger' | 'video' | 'shopping' | 'classifieds' | 'maps' | 'ai';

/** utm_source spellings that are not a table's short name. */
const SOURCE_ALIASES: Readonly<Record<string, SourceCategory>> = {
  ya: 'search',
  'yandex.direct': 'search',
  yandex_direct: 'search',
  'yandex-direct': 'search',
  yandexdirect: 'search',
  direct: 'search',
  google_ads: 'search',
  googleads: 'search',
  adwords: 'search',
  microsoft_ads: 'search',
  vkontakte: 'social',
  vk_ads: 'social',
  vkads: 'social',
  'ads.vk.com': 'social',
  mytarget: 'social',
  odnoklassniki: 'social',
  fb: 'social',
  ig: 'social',
  meta: 'social',
  x: 'social',
  zen: 'social',
  tg: 'messenger',
  wa: 'messenger',
  yandex_market: 'shopping',
  pricerunner: 'shopping',
  google_shopping: 'shopping',
  igshopping: 'shopping',
  yandex_maps: 'maps',
  google_maps: 'maps',
};

const CATEGORY_OF_KIND: Readonly<Record<KnownSiteKind, SourceCategory | null>> = {
  search: 'search',
  social: 'social',
  messenger: 'messenger',
  video: 'video',
  shopping: 'shopping',
  classifieds: 'classifieds',
  maps: 'maps',
  ai: 'ai',
  email: null,
  ad: null,
};

export function categoryOfSource(source: string): SourceCategory | null {
  const alias = SOURCE_ALIASES[source];
  if (alias !== undefined) return alias;
  const kind = kindOfSourceName(source) ?? (source.includes('.') ? kindOfHost(source) : undefined);
  return kind === undefined ? null : CATEGORY_OF_KIND[kind];
}
