import { channelGroupOf, isPaidMedium, type AdNetworkType } from './channelGroups.js';
import { findClickId, type ClickId } from './clickIds.js';
import { sourceFromFromParam } from './fromParam.js';
import { openstatSource, parseOpenstat, type OpenstatTag } from './openstat.js';
import { firstRawValue, parseRawQuery, type RawQuery } from './queryString.js';
import { classifyReferrer, type ReferrerSource } from './referrers.js';
import { internalHostMatcher } from './siteHosts.js';
import { truncate } from './text.js';
import type { ClassifyInput, TrafficSource } from './types.js';
import { parseUrlSafely, rawQueryOf } from './urls.js';
import { readUtmTags, type UtmTags } from './utm.js';
import { directNetworkFromLanding, directNetworkFromOpenstat } from './yandexDirect.js';

interface Origin {
  readonly source: string;
  readonly medium: string;
  /** The search term, when the referrer named the source. */
  readonly term: string | null;
}

const DIRECT: Origin = { source: '(direct)', medium: '(none)', term: null };

function originOfClickId(clickId: ClickId): Origin {
  return { source: clickId.rule.source, medium: clickId.rule.medium, term: null };
}

/**
 * The first rule that names a source decides source and medium: utm tags, a click id, the
 * `_openstat` tag, the `from` parameter, the referrer, else direct. fbclid only decides when the
 * referrer is not itself a social network or messenger (Instagram links carry fbclid too).
 */
function originOf(utm: UtmTags, clickId: ClickId | null, openstat: OpenstatTag | null, query: RawQuery, referrer: ReferrerSource | null): Origin {
  if (utm.source !== null || utm.medium !== null) {
    return { source: utm.source ?? '(not set)', medium: utm.medium ?? '(not set)', term: null };
  }
  if (clickId && !clickId.rule.onOrganicLinksToo) return originOfClickId(clickId);
  if (openstat) return { source: openstatSource(openstat), medium: 'cpc', term: null };
  const fromParam = sourceFromFromParam(firstRawValue(query, 'from'));
  if (fromParam) return { ...fromParam, term: null };
  if (clickId && referrer?.kind !== 'social' && referrer?.kind !== 'messenger') return originOfClickId(clickId);
  return referrer ?? DIRECT;
}

function adNetworkOf(medium: string, query: RawQuery, openstat: OpenstatTag | null): AdNetworkType | null {
  if (!isPaidMedium(medium)) return null;
  return directNetworkFromLanding(query) ?? (openstat ? directNetworkFromOpenstat(openstat) : null);
}

function classify(input: ClassifyInput): TrafficSource {
  const url = typeof input.url === 'string' ? input.url : null;
  const referrerUrl = typeof input.referrer === 'string' ? input.referrer : null;
  const siteHosts = Array.isArray(input.siteHosts) ? input.siteHosts : [];

  const query = parseRawQuery(rawQueryOf(url));
  const utm = readUtmTags(query);
  const clickId = findClickId(query);
  const openstat = parseOpenstat(firstRawValue(query, '_openstat'));
  const isInternalHost = internalHostMatcher(siteHosts, parseUrlSafely(url)?.hostname ?? null);
  const referrer = classifyReferrer(referrerUrl, isInternalHost);

  const origin = originOf(utm, clickId, openstat, query, referrer);
  const source = truncate(origin.source);
  const medium = truncate(origin.medium);
  const campaign = utm.campaign ?? (openstat?.campaign ? truncate(openstat.campaign) : null);
  const content = utm.content ?? (openstat?.ad ? truncate(openstat.ad) : null);
  const term = utm.term ?? (origin.term === null ? null : truncate(origin.term));
  const adNetwork = adNetworkOf(medium, query, openstat);

  return {
    source,
    medium,
    campaign,
    content,
    term,
    channel: channelGroupOf({ source, medium, campaign, adNetwork }),
    clickIdType: clickId?.rule.param ?? null,
    clickId: clickId?.value ?? null,
  };
}

/**
 * Classifies a visit by its landing URL and referrer (see README.md for the rules). Pure and
 * total: malformed URLs, broken encodings and missing fields give a direct or unassigned visit,
 * never an exception, because the collector must store every visit it accepted.
 */
export function classifyVisit(input: ClassifyInput): TrafficSource {
  try {
    return classify(input ?? { url: null, referrer: null, siteHosts: [] });
  } catch {
    return { ...DIRECT, campaign: null, content: null, channel: 'Direct', clickIdType: null, clickId: null };
  }
}
