import { SEARCH_ENGINE_ADDITIONS } from './tables/additions.js';
import { MATOMO_SEARCH_ENGINES } from './tables/generated/matomoSearchEngines.js';

/**
 * The name map: Matomo's display names ('Google Images', 'Yahoo!', 'Mailru') become the short,
 * lower-case source names we store ('google', 'yahoo', 'mail.ru'). A search engine's image,
 * video, news and similar variants are the engine itself, as in GA4 (source `google`).
 */

/** Names whose short form is not the plain rule's result. */
const NAME_OVERRIDES: Readonly<Record<string, string>> = {
  Mailru: 'mail.ru',
  Vkontakte: 'vk',
  Odnoklassniki: 'ok',
  'Google+': 'google-plus',
  'Cốc Cốc': 'coccoc',
  'Le Chat': 'mistral',
  'Chat+': 'chatplus',
  You: 'you.com',
};

/** Suffixes that name a vertical of an engine ('Google Images' is Google's image search). */
const VARIANT_SUFFIXES = [
  ' Images',
  ' Videos',
  ' Video',
  ' Videa',
  ' News',
  ' Scholar',
  ' Blogsearch',
  ' Translations',
  ' Shopping',
  ' Directory',
  ' Custom Search',
  ' syndicated search',
];

const ENGINE_NAMES = new Set([...MATOMO_SEARCH_ENGINES, ...SEARCH_ENGINE_ADDITIONS].map((engine) => engine.name));

function withoutVariantSuffix(name: string): string {
  for (const suffix of VARIANT_SUFFIXES) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ENGINE_NAMES.has(base)) return base;
  }
  return name;
}

/**
 * Short source name for a list name: the override if any; else without a parenthesised note
 * ('Startpagina (Google)') and a vertical suffix, lower-cased, without '!', spaces as '-'.
 */
export function shortSourceName(listName: string): string {
  const override = NAME_OVERRIDES[listName];
  if (override !== undefined) return override;
  const base = withoutVariantSuffix(listName.replace(/\s*\([^)]*\)/g, '').trim());
  const overriddenBase = NAME_OVERRIDES[base];
  if (overriddenBase !== undefined) return overriddenBase;
  return base.toLowerCase().replaceAll('!', '').trim().replace(/\s+/g, '-');
}
