/**
 * Visits (sessions), decided by the tracker (PROTOCOL.md, "Visits"). Pure: the caller reads and
 * writes the `_lfs` cookie and `localStorage['_lf_land']`.
 */

export const VISIT_TIMEOUT_MS = 30 * 60 * 1000;

/** The current visit, kept in the `_lfs` cookie as `visitId.lastActivityMs.sourceKey`. */
export interface VisitState {
  readonly id: string;
  readonly lastActivity: number;
  readonly sourceKey: string;
}

/** Where the current visit landed, kept in `localStorage['_lf_land']` and sent with every hit. */
export interface VisitLanding {
  readonly visit: string;
  readonly landing: string;
  /** The landing page's referrer when it was another site, else ''. */
  readonly referrer: string;
}

/** What the tracker knows about a hit when it decides its visit. */
export interface Hit {
  readonly now: number;
  readonly url: string;
  /** The page load's source key; '' for history navigations and goals. */
  readonly sourceKey: string;
  /** The page load's referrer when it is another site; '' otherwise. */
  readonly referrer: string;
}

export interface VisitDecision {
  readonly state: VisitState;
  readonly landing: VisitLanding;
}

/** The protocol's three rules; a direct or internal arrival (key '') never ends a visit early. */
export function isNewVisit(current: VisitState | null, sourceKey: string, now: number): current is null {
  return !current || now - current.lastActivity >= VISIT_TIMEOUT_MS || (sourceKey !== '' && sourceKey !== current.sourceKey);
}

/**
 * The visit a hit belongs to and what to store after it. When the stored landing is not the
 * current visit's (storage blocked, or the visit began on another subdomain, whose localStorage
 * this origin cannot read), the hit's own URL stands in as the landing.
 */
export function decideVisit(current: VisitState | null, stored: VisitLanding | null, hit: Hit, newId: () => string): VisitDecision {
  if (isNewVisit(current, hit.sourceKey, hit.now)) {
    const id = newId();
    return {
      state: { id, lastActivity: hit.now, sourceKey: hit.sourceKey },
      landing: { visit: id, landing: hit.url, referrer: hit.referrer },
    };
  }
  const { id, sourceKey } = current;
  return {
    state: { id, lastActivity: hit.now, sourceKey },
    landing: stored && stored.visit === id ? stored : { visit: id, landing: hit.url, referrer: hit.referrer },
  };
}

/** The source key is URI-encoded: a cookie value cannot hold `;`, `,`, spaces or non-ASCII. */
export function formatVisitState(state: VisitState): string {
  return state.id + '.' + state.lastActivity + '.' + encodeURIComponent(state.sourceKey);
}

/** null when absent or malformed (then a new visit starts). */
export function parseVisitState(cookie: string): VisitState | null {
  const match = /^([\w-]{8,64})\.(\d{1,15})\.(.*)$/.exec(cookie);
  try {
    return match && { id: match[1]!, lastActivity: +match[2]!, sourceKey: decodeURIComponent(match[3]!) };
  } catch {
    return null;
  }
}

/** null when absent or not ours (another script's value under our key). */
export function parseLanding(json: string): VisitLanding | null {
  try {
    const value = JSON.parse(json) as VisitLanding;
    if (typeof value.landing === 'string') return { visit: value.visit, landing: value.landing, referrer: String(value.referrer || '') };
  } catch {
    // not JSON
  }
  return null;
}
