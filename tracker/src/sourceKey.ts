import { cut } from './payload.js';

/**
 * The landing's source key (PROTOCOL.md, "Visits"): what a page load says about where the visitor
 * came from. A non-empty key that differs from the current visit's starts a new visit.
 */

/** Reads one query parameter, null when absent; `URLSearchParams` fits. */
export interface QueryParams {
  get(name: string): string | null;
}

/** Click ids, then `_openstat` and `from`, in the order the protocol lists them. */
export const CAMPAIGN_PARAMS = [
  'gclid', 'gbraid', 'wbraid', 'yclid', 'ymclid', 'fbclid', 'msclkid', 'ttclid', 'rb_clickid', 'vkclid',
  '_openstat', 'from',
];

/** Keeps the `_lfs` cookie small whatever the campaign names are; both sides of a comparison are cut alike. */
export const MAX_SOURCE_KEY_LENGTH = 200;

/**
 * - `utm:source|medium|campaign` when utm_source or utm_medium is present (the server's rule for
 *   "utm tags name the source");
 * - else `param:NAME=CAMPAIGN` for the first click id, `_openstat` or `from` present: the campaign
 *   is `_openstat`'s raw value, else utm_campaign when the link carries one, else empty (a click
 *   id itself changes with every click and names no campaign). `from` only counts when the visitor
 *   did not come from the site itself: sites put `?from=header` on their own links;
 * - else `ref:HOST` for a referrer from another site (`externalReferrerHost`, '' when none);
 * - else '' (direct or internal).
 */
export function sourceKey(query: QueryParams, externalReferrerHost: string, fromOwnSite = false): string {
  const read = (name: string): string => query.get(name) || '';
  const utmSource = read('utm_source');
  const utmMedium = read('utm_medium');
  let key = '';
  if (utmSource || utmMedium) {
    key = 'utm:' + utmSource + '|' + utmMedium + '|' + read('utm_campaign');
  } else {
    for (const name of CAMPAIGN_PARAMS) {
      const value = read(name);
      if (value && !(name === 'from' && fromOwnSite)) {
        key = 'param:' + name + '=' + (name === '_openstat' ? value : read('utm_campaign'));
        break;
      }
    }
    if (!key && externalReferrerHost) key = 'ref:' + externalReferrerHost;
  }
  // Cut whole characters only: the key is URI-encoded into a cookie, and a lone surrogate would throw there.
  return cut(key, MAX_SOURCE_KEY_LENGTH);
}
