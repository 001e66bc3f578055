import { normalizeHost } from './hostIndex.js';
import { findKnownSite, mediumForSite, type KnownSiteKind } from './knownSites.js';
import { parseRawQuery } from './queryString.js';
import { readSearchPage, type SearchPage } from './searchEngines.js';
import { truncate } from './text.js';
import { parseUrlSafely } from './urls.js';
import { readWhiteLabelSearch } from './whiteLabelSearch.js';

/** What a referrer says about a visit; `kind` is null for an unknown site (a plain referral). */
export interface ReferrerSource {
  readonly source: string;
  readonly medium: string;
  readonly term: string | null;
  readonly kind: KnownSiteKind | null;
}

/**
 * Classifies a referrer URL: a known site (search engine with its term, social network,
 * messenger, web mail, AI assistant, classifieds, maps...), or a referral named by its host
 * without `www.`. Null when there is no usable referrer or it is the site itself.
 */
export function classifyReferrer(referrer: string | null, isInternalHost: (host: string) => boolean): ReferrerSource | null {
  const url = parseUrlSafely(referrer);
  const host = url?.hostname.replace(/^\[|\]$/g, '') ?? '';
  if (url === null || host === '' || isInternalHost(host)) return null;

  const path = url.pathname === '' ? '/' : url.pathname;
  const page: SearchPage = {
    pathAndQuery: `${path}${url.search}`,
    query: parseRawQuery(url.search),
    fragment: parseRawQuery(url.hash),
  };
  const match = findKnownSite(host, path);
  const site = match?.value;

  if (site?.kind === 'search') {
    const search = readSearchPage(site.engine, page, match?.viaParentDomain ?? false);
    if (search) return { source: site.name, medium: 'organic', term: search.term, kind: 'search' };
  } else if (site) {
    return { source: site.name, medium: mediumForSite(site), term: null, kind: site.kind };
  } else {
    const whiteLabel = readWhiteLabelSearch(page);
    if (whiteLabel) return { source: whiteLabel.name, medium: 'organic', term: whiteLabel.term, kind: 'search' };
  }
  return { source: truncate(normalizeHost(host)), medium: 'referral', term: null, kind: null };
}
