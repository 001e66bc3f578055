import type { AdNetworkType } from './channelGroups.js';
import { kindOfHost } from './knownSites.js';
import type { OpenstatTag } from './openstat.js';
import { decodeQueryText, firstRawValue, type RawQuery } from './queryString.js';

/**
 * Where a Yandex Direct ad was shown: on search results, or in Yandex's ad network (RSYa), which
 * GA4's rules would call Display. Direct fills it into a link through its macros, which
 * advertisers add as parameters; the `_openstat` tag's placement says the same.
 * - `source_type={source_type}`: `search` or `context` (the ad network);
 * - `position_type={position_type}`: `premium` or `other` on search, `none` in the ad network.
 */
export function directNetworkFromLanding(query: RawQuery): AdNetworkType | null {
  const sourceType = readLower(query, 'source_type');
  if (sourceType === 'context') return 'display';
  if (sourceType === 'search') return 'search';
  const positionType = readLower(query, 'position_type');
  if (positionType === 'none') return 'display';
  if (positionType === 'premium' || positionType === 'other') return 'search';
  return null;
}

/**
 * Direct's `_openstat` placement is `yandex.ru:premium` on Yandex search (or a partner search
 * engine's host) and the partner site's host in the ad network.
 */
export function directNetworkFromOpenstat(tag: OpenstatTag): AdNetworkType | null {
  if (tag.service !== 'direct.yandex.ru' || tag.placement === null) return null;
  const placementHost = tag.placement.split(':')[0] ?? '';
  if (placementHost === '') return null;
  return kindOfHost(placementHost) === 'search' ? 'search' : 'display';
}

function readLower(query: RawQuery, name: string): string | null {
  const raw = firstRawValue(query, name);
  return raw === undefined ? null : decodeQueryText(raw).trim().toLowerCase();
}
