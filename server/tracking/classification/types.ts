import type { ChannelGroup } from './channelGroups.js';

export interface ClassifyInput {
  /** The landing URL with its query string. */
  readonly url: string | null;
  /** `document.referrer` of the landing page. */
  readonly referrer: string | null;
  /** The site's own hosts; their subdomains are the site too. Referrers from them are internal. */
  readonly siteHosts: readonly string[];
}

/** Where a visit came from. Every string is trimmed and at most 255 characters. */
export interface TrafficSource {
  /** Lower-case: `yandex`, `vk`, `habr.com`, `(direct)`. */
  readonly source: string;
  /** Lower-case: `cpc`, `organic`, `social`, `email`, `ai`, `referral`, `(none)`. */
  readonly medium: string;
  readonly campaign: string | null;
  readonly content: string | null;
  /** The utm_term, else the search term a search engine passed in its referrer. */
  readonly term: string | null;
  readonly channel: ChannelGroup;
  /** The click-id parameter found on the landing URL (`gclid`, `yclid`...), even when utm tags named the source. */
  readonly clickIdType: string | null;
  readonly clickId: string | null;
}
