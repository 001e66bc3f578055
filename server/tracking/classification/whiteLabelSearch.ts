import { decodeQueryText, firstRawValue } from './queryString.js';
import type { SearchPage } from './searchEngines.js';

/**
 * Result pages that a search engine serves under someone else's host, recognised by the
 * engine's own URL signature rather than by host:
 * - InfoSpace's metasearch (Dogpile, Excite, ISP portals): `/pemonitorhosted/ws/results/Web/<term>/`;
 * - Google's Programmable Search (custom search) on a publisher's site: a `cx` engine id such as
 *   `partner-pub-123:abc` or `0123:abc`, with the term in `q`.
 */
const INFOSPACE_RESULTS_PATH = /^\/pemonitorhosted\/ws\/results\/[^/]+\/([^/?]+)/;
const GOOGLE_SEARCH_ENGINE_ID = /^(partner-pub-\d+|\d+):[\w-]+$/;

export function readWhiteLabelSearch(page: SearchPage): { name: string; term: string | null } | null {
  const infoSpaceTerm = INFOSPACE_RESULTS_PATH.exec(page.pathAndQuery)?.[1];
  if (infoSpaceTerm !== undefined) return { name: 'infospace', term: decodeQueryText(infoSpaceTerm).trim() || null };

  const engineId = firstRawValue(page.query, 'cx');
  const rawTerm = firstRawValue(page.query, 'q');
  if (engineId !== undefined && rawTerm !== undefined && GOOGLE_SEARCH_ENGINE_ID.test(decodeQueryText(engineId))) {
    return { name: 'google', term: decodeQueryText(rawTerm).trim() || null };
  }
  return null;
}
