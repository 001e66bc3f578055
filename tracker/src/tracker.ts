/**
 * The tracker of this page: builds hits, holds them until consent, decides their visit, stores
 * the ids first-party and sends them. One tracker per page, so its state is module state.
 */
import { googleAnalyticsClientId, yandexMetricaUid } from './clientIds.js';
import { cookieDomainFor, hostOf, isInternalHost } from './hosts.js';
import { ID_BYTES, idFromBytes, isId } from './ids.js';
import { goalName, goalValue, MAX_TITLE_LENGTH, MAX_URL_LENGTH, optionalText, PROTOCOL_VERSION, type PageHit, type Payload } from './payload.js';
import { sourceKey } from './sourceKey.js';
import { readCookie, readStorage, writeCookie, writeStorage } from './storage.js';
import type { TagOptions } from './tag.js';
import { showSwap } from './swap.js';
import type { SwapAnswer } from './swapText.js';
import { transmit, transmitForAnswer } from './transport.js';
import { decideVisit, formatVisitState, parseLanding, parseVisitState } from './visit.js';

const VISITOR_COOKIE = '_lfid';
const VISIT_COOKIE = '_lfs';
const LANDING_KEY = '_lf_land';
/** The visit's phone and e-mail: the collector's answer with the visit id, JSON. */
const SWAP_KEY = '_lf_swap';

/** What a page load says about the visit; history navigations and goals say nothing. */
interface Arrival {
  readonly sourceKey: string;
  readonly referrer: string;
}

const NO_ARRIVAL: Arrival = { sourceKey: '', referrer: '' };

let tag: TagOptions;
let cookieDomain: string;
/** undefined: waiting for `longfunnel('consent', ...)`. */
let consent: boolean | undefined;
let held: [PageHit, Arrival][] = [];
let trackedPage: string;
/** The visitor id of the last hit sent ('' before the first, e.g. while waiting for consent). */
export let visitorId = '';

/** Reads what the page load says about the visit and sends its page view (or holds it for consent). */
export function startTracking(options: TagOptions): void {
  tag = options;
  consent = tag.consentRequired ? undefined : true;
  cookieDomain = cookieDomainFor(tag.cookieDomain, location.hostname);
  const referrer = document.referrer;
  const referrerHost = hostOf(referrer);
  const external = referrerHost !== '' && !isInternalHost(referrerHost, location.hostname, cookieDomain);
  trackedPage = currentPage();
  track('pageview', {
    sourceKey: sourceKey(new URLSearchParams(location.search), external ? referrerHost : '', referrerHost !== '' && !external),
    referrer: external ? referrer.slice(0, MAX_URL_LENGTH) : '',
  });
}

/** After a history navigation: a page view when the path or query changed. */
export function trackNavigation(): void {
  if (currentPage() === trackedPage) return;
  trackedPage = currentPage();
  track('pageview', NO_ARRIVAL);
  showSwap();
}

/** One `longfunnel(...)` call: `('goal', name, {value})` or `('consent', true | false)`. */
export function runCommand(args: ArrayLike<unknown>): void {
  if (args[0] === 'goal') {
    const goal = goalName(args[1]);
    const options = args[2] as { value?: unknown } | undefined;
    if (goal) track('goal', NO_ARRIVAL, goal, goalValue(options && options.value));
  } else if (args[0] === 'consent' && typeof args[1] === 'boolean') {
    consent = args[1];
    const waiting = held;
    held = [];
    if (consent) for (const [payload, arrival] of waiting) send(payload, arrival);
  }
}

function track(type: Payload['type'], arrival: Arrival, goal?: string, value?: number): void {
  const hit: PageHit = {
    type,
    url: location.href.slice(0, MAX_URL_LENGTH),
    title: optionalText(document.title, MAX_TITLE_LENGTH),
    goal,
    value,
    ts: Date.now(),
  };
  if (consent) send(hit, arrival);
  else if (consent === undefined) held.push([hit, arrival]);
}

/** Ids are created here, so a hit held for consent gets the ids of the moment consent came. */
function send(hit: PageHit, arrival: Arrival): void {
  const storedVisitor = readCookie(VISITOR_COOKIE);
  const visitor = isId(storedVisitor) ? storedVisitor : newId();
  const previous = parseVisitState(readCookie(VISIT_COOKIE));
  const { state, landing } = decideVisit(
    previous,
    parseLanding(readStorage(LANDING_KEY)),
    { now: Date.now(), url: hit.url, sourceKey: arrival.sourceKey, referrer: arrival.referrer },
    newId,
  );
  visitorId = visitor;
  writeCookie(VISITOR_COOKIE, visitor, cookieDomain);
  writeCookie(VISIT_COOKIE, formatVisitState(state), cookieDomain);
  writeStorage(LANDING_KEY, JSON.stringify(landing));
  const payload: Payload = Object.assign(
    {
      v: PROTOCOL_VERSION,
      site: tag.site,
      visitor,
      visit: state.id,
      landing: landing.landing.slice(0, MAX_URL_LENGTH),
      referrer: landing.referrer || undefined,
      ym_uid: yandexMetricaUid(readCookie('_ym_uid')),
      ga_cid: googleAnalyticsClientId(readCookie('_ga')),
      screen: screen.width + 'x' + screen.height,
    } as const,
    hit,
  );
  if (tag.swap) {
    // The visit's answer holds while its number is leased: until it has been quiet for `ttl`. Asking
    // again after 90% of it leaves room for this clock and the server's to disagree.
    let stored: (SwapAnswer & { visit: string }) | undefined;
    try {
      stored = JSON.parse(readStorage(SWAP_KEY));
    } catch {
      // none yet
    }
    if (stored && stored.visit === state.id && previous && hit.ts - previous.lastActivity < stored.ttl * 900) showSwap(stored);
    else {
      return transmitForAnswer(tag.collectUrl, JSON.stringify(Object.assign({ swap: 1 }, payload)), (answer: SwapAnswer) => {
        writeStorage(SWAP_KEY, JSON.stringify(Object.assign({ visit: state.id }, answer)));
        showSwap(answer);
      });
    }
  }
  transmit(tag.collectUrl, JSON.stringify(payload));
}

/** A hash-only change is not a page view. */
function currentPage(): string {
  return location.pathname + location.search;
}

function newId(): string {
  return idFromBytes(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
}
