import { HostIndex, parseHostPattern, type HostMatch } from './hostIndex.js';
import { searchEngineRule, type SearchEngineRule } from './searchEngines.js';
import { shortSourceName } from './sourceNames.js';
import { AD_NETWORKS } from './tables/adNetworks.js';
import { AI_ASSISTANT_ADDITIONS, PORTAL_SEARCH_HOSTS, SEARCH_ENGINE_ADDITIONS, SOCIAL_ADDITIONS } from './tables/additions.js';
import { CLASSIFIEDS } from './tables/classifieds.js';
import { MATOMO_AI_ASSISTANTS } from './tables/generated/matomoAiAssistants.js';
import { MATOMO_SEARCH_ENGINES } from './tables/generated/matomoSearchEngines.js';
import { MATOMO_SOCIALS } from './tables/generated/matomoSocials.js';
import { MAPS } from './tables/maps.js';
import { MESSENGERS } from './tables/messengers.js';
import { SHOPPING_SITES } from './tables/shoppingSites.js';
import type { SiteList } from './tables/siteList.js';
import { VIDEO_SITES } from './tables/videoSites.js';
import { WEBMAIL } from './tables/webmail.js';

/**
 * Every site the classifier knows by host, from all tables. When two tables name the same host
 * (Matomo lists Telegram as social and Facebook as a search engine), the earlier table wins:
 * hand-built tables, then AI assistants, then social networks, then search engines.
 */

export type KnownSiteKind = 'ad' | 'email' | 'messenger' | 'maps' | 'classifieds' | 'video' | 'shopping' | 'ai' | 'social' | 'search';

export type KnownSite =
  | { readonly kind: 'search'; readonly name: string; readonly engine: SearchEngineRule }
  | { readonly kind: 'ad'; readonly name: string; readonly medium: 'cpc' | 'display' }
  | { readonly kind: Exclude<KnownSiteKind, 'search' | 'ad'>; readonly name: string };

const index = new HostIndex<KnownSite>();
const kindByName = new Map<string, KnownSiteKind>();

function register(pattern: string, site: KnownSite): void {
  index.add(pattern, site);
  // Ad networks carry search engines' names (google, yandex); the engine defines the name.
  if (site.kind !== 'ad' && !kindByName.has(site.name)) kindByName.set(site.name, site.kind);
}

function registerLists(kind: Exclude<KnownSiteKind, 'search' | 'ad'>, lists: readonly SiteList[]): void {
  for (const list of lists) {
    for (const host of list.hosts) register(host, { kind, name: list.name });
  }
}

for (const network of AD_NETWORKS) {
  for (const host of network.hosts) register(host, { kind: 'ad', name: network.name, medium: network.medium });
}
registerLists('email', WEBMAIL);
registerLists('messenger', MESSENGERS);
registerLists('maps', MAPS);
registerLists('classifieds', CLASSIFIEDS);
registerLists('video', VIDEO_SITES);
registerLists('shopping', SHOPPING_SITES);
for (const [kind, sites] of [
  ['ai', [...AI_ASSISTANT_ADDITIONS, ...MATOMO_AI_ASSISTANTS]],
  ['social', [...SOCIAL_ADDITIONS, ...MATOMO_SOCIALS]],
] as const) {
  registerLists(kind, sites.map((site) => ({ name: shortSourceName(site.name), hosts: site.urls })));
}

const hostKey = (pattern: string): string | undefined => parseHostPattern(pattern)?.hostKey;
const portalHosts = new Set(PORTAL_SEARCH_HOSTS.map(hostKey));
for (const engine of [...SEARCH_ENGINE_ADDITIONS, ...MATOMO_SEARCH_ENGINES]) {
  const rule = searchEngineRule(engine, false);
  const portalRule = searchEngineRule(engine, true);
  for (const url of engine.urls) {
    const isPortal = portalHosts.has(hostKey(url));
    register(url, { kind: 'search', name: rule.name, engine: isPortal ? portalRule : rule });
  }
}

/** The known site a referrer host and path belong to, if any. */
export function findKnownSite(host: string, path = '/'): HostMatch<KnownSite> | undefined {
  return index.lookup(host, path);
}

/**
 * The kind of site a host is, for grouping a host-like source. A search engine's host counts
 * only when listed as such: not a portal that merely embeds a search box, not another service
 * under the engine's domain (docs.google.com).
 */
export function kindOfHost(host: string): KnownSiteKind | undefined {
  const match = findKnownSite(host);
  if (match?.value.kind === 'search' && (match.viaParentDomain || match.value.engine.termRequired)) return undefined;
  return match?.value.kind;
}

/** The kind of site a stored short name stands for (`vk` -> social), if any. */
export function kindOfSourceName(name: string): KnownSiteKind | undefined {
  return kindByName.get(name);
}

/** The medium a visit from a known site is stored with (see README, "Naming"). */
export function mediumForSite(site: KnownSite): string {
  switch (site.kind) {
    case 'search':
      return 'organic';
    case 'ad':
      return site.medium;
    case 'social':
    case 'messenger':
      return 'social';
    case 'email':
      return 'email';
    case 'ai':
      return 'ai';
    case 'maps':
    case 'classifieds':
    case 'video':
    case 'shopping':
      return 'referral';
  }
}
