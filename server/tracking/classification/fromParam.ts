import { findKnownSite, kindOfSourceName, mediumForSite, type KnownSite } from './knownSites.js';
import { decodeQueryText } from './queryString.js';
import { cleanSourceOrMedium } from './text.js';

/**
 * The `from` parameter. Yandex.Direct users write `from=yandex-direct` (and spellings of it)
 * into ad links, and some platforms add `from=<site>`. But `from` is also an ordinary parameter
 * on many sites (`from=header`, `from=2024-01-01`), so only two forms are read:
 * - a Yandex.Direct spelling -> `yandex / cpc`;
 * - a site we know by short name or host, other than a search engine (`from=vk`, `from=dzen.ru`,
 *   `from=telegram`) -> that site with its usual medium. A search engine is left to the
 *   referrer, which alone carries the search term.
 */
const YANDEX_DIRECT_SPELLINGS = new Set(['yandex-direct', 'yandex_direct', 'yandexdirect', 'yandex.direct', 'direct.yandex.ru']);

export function sourceFromFromParam(raw: string | undefined): { source: string; medium: string } | null {
  const value = cleanSourceOrMedium(raw === undefined ? undefined : decodeQueryText(raw));
  if (value === null) return null;
  if (YANDEX_DIRECT_SPELLINGS.has(value)) return { source: 'yandex', medium: 'cpc' };
  const site = siteNamed(value);
  if (!site || site.kind === 'search' || site.kind === 'ad') return null;
  return { source: site.name, medium: mediumForSite(site) };
}

function siteNamed(value: string): KnownSite | undefined {
  const kind = kindOfSourceName(value);
  if (kind !== undefined && kind !== 'search' && kind !== 'ad') return { kind, name: value };
  return value.includes('.') ? findKnownSite(value)?.value : undefined;
}
