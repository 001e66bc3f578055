/**
 * `POST /collect`: the tracker's hits. Flat: limit, parse, validate, resolve the site, check the
 * origin, drop bots, store (group commit), answer. A 204 means the hit is committed; any 4xx means
 * nothing was stored. Served on node:http before Express (http/fastRoutes.ts): it is the one route
 * every page view of every tracked site calls.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../errors.js';
import type { FastRoute } from '../../http/fastRoutes.js';
import { readTextBody } from '../../http/textBody.js';
import { addToContext } from '../../observability/context.js';
import { errorMeta } from '../../observability/logger.js';
import { cleanOptionalText, cleanText } from './cleanText.js';
import { rateLimitKey } from './clientAddress.js';
import type { FeatureDeps } from '../../runtime.js';
import { GroupCommitter } from '../../storage/groupCommit.js';
import { SiteDirectory, isSiteOrigin, type Site } from '../sites/siteStore.js';
import { validatePayload, type TrackerPayload } from './payloadSchema.js';
import { storeTrackingEvents } from './storeTrackingEvents.js';
import type { TrackingEvent } from './trackingEvent.js';
import { UserAgentCache, type UserAgentFacts } from './userAgents.js';
import { VisitSwap, type SwapAnswer } from '../../callTracking/visitSwap.js';

export const COLLECT_BODY_LIMIT_BYTES = 16 * 1024;
const COLLECT_BODY_TYPES = ['text/plain', 'application/json'];

/** Hits in one transaction at most. */
export const COLLECT_COMMIT_MAX_BATCH = 1_000;
/**
 * Transactions of hits at once on PostgreSQL: two, so one can be waiting on the disk while the next
 * runs, and batches stay large (a statement costs PostgreSQL about 150 us on top of its hits).
 * Measured with `npm run bench -- collect`, alternating: PostgreSQL 45-52 us per hit at 1 or 2,
 * 57-62 us at 4; and 1 leaves the cores idle between commits.
 */
export const COLLECT_COMMITS_IN_FLIGHT = 2;

function rateLimited(res: ServerResponse, rejection: unknown, what: string): AppError {
  const retryAfter = rejection instanceof RateLimiterRes ? Math.max(Math.ceil(rejection.msBeforeNext / 1000), 1) : 1;
  res.setHeader('Retry-After', String(retryAfter));
  return new AppError(429, 'rate_limited', `Too many hits from this ${what}; retry in ${retryAfter} s`);
}

/** The page's origin: the `Origin` header, else the origin of the `Referer`. */
function requestOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin && origin !== 'null') return origin;
  const referer = req.headers.referer;
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

function parsePayload(body: string | undefined): TrackerPayload {
  if (body === undefined) {
    // Only the types above are read; anything else arrives unread.
    throw new AppError(415, 'unsupported_media_type', 'Send the hit as text/plain or application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AppError(400, 'invalid_json', 'The request body is not valid JSON');
  }
  const { value, error } = validatePayload(parsed);
  if (error) throw new AppError(400, 'validation_failed', error.details.map((detail) => detail.message).join('; '));
  return value;
}

function toEvent(payload: TrackerPayload, site: Site, userAgent: UserAgentFacts): TrackingEvent {
  return {
    tenantId: site.tenantId,
    siteId: site.id,
    siteHosts: site.hosts,
    visitorId: payload.visitor,
    visitId: payload.visit,
    type: payload.type,
    url: cleanText(payload.url),
    title: cleanOptionalText(payload.title),
    goal: cleanOptionalText(payload.goal),
    value: payload.value ?? null,
    landing: cleanText(payload.landing),
    referrer: cleanOptionalText(payload.referrer),
    ymUid: payload.ym_uid ?? null,
    gaCid: payload.ga_cid ?? null,
    screen: payload.screen ?? null,
    device: userAgent.device,
    at: new Date(),
  };
}

/** Preflight, for trackers that send application/json: the real request is checked in full. */
function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Methods', 'POST');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
  res.setHeader('Access-Control-Max-Age', '86400');
  res.setHeader('Vary', 'Origin');
  res.statusCode = 204;
  res.end();
}

export function collectRoute(deps: FeatureDeps): FastRoute {
  const sites = new SiteDirectory(deps.db);
  const perIp = new RateLimiterMemory({ points: deps.config.collectIpLimitPerMinute, duration: 60 });
  const perSite = new RateLimiterMemory({ points: deps.config.collectSiteLimitPerSecond, duration: 1 });
  const userAgents = new UserAgentCache();
  const committer = new GroupCommitter<TrackingEvent>((events) => storeTrackingEvents(deps.db, events), {
    maxBatch: COLLECT_COMMIT_MAX_BATCH,
    // The embedded database has one connection: more than one transaction at a time only queues.
    maxInFlight: deps.db.kind === 'postgres' ? COLLECT_COMMITS_IN_FLIGHT : 1,
    onBatch: (size) => deps.metrics.collectBatchSize.observe(size),
  });
  const counted = deps.metrics.collectedHits;
  const swap = new VisitSwap({
    db: deps.db,
    logger: deps.logger,
    metrics: deps.metrics,
    policy: { graceMs: deps.config.numberLeaseGraceMs, cooldownMs: deps.config.numberCooldownMs },
  });

  /** The hit is stored whatever happens here: a failure only leaves the page showing its own phone and e-mail. */
  const swapAnswer = (payload: TrackerPayload, site: Site): Promise<SwapAnswer | undefined> =>
    swap.answer({ tenantId: site.tenantId, siteId: site.id, visitId: payload.visit, visitorId: payload.visitor }).catch((error: unknown) => {
      deps.logger.error('collect: choosing the phone number and e-mail of a visit failed', errorMeta(error));
      return undefined;
    });

  const collect = async (req: IncomingMessage, res: ServerResponse, clientIp: string | undefined) => {
    await perIp.consume(rateLimitKey(clientIp)).catch((rejection) => {
      counted.inc({ outcome: 'rate_limited' });
      throw rateLimited(res, rejection, 'address');
    });
    let payload: TrackerPayload;
    try {
      payload = parsePayload(await readTextBody(req, { types: COLLECT_BODY_TYPES, limit: COLLECT_BODY_LIMIT_BYTES }));
    } catch (error) {
      counted.inc({ outcome: 'rejected' });
      throw error;
    }
    const site = await sites.byKey(payload.site).catch((error: unknown) => {
      counted.inc({ outcome: 'failed' });
      deps.logger.error('collect: looking up the site failed', errorMeta(error));
      throw AppError.unavailable('The hit could not be stored; try again later');
    });
    if (!site) {
      counted.inc({ outcome: 'rejected' });
      throw new AppError(404, 'unknown_site', `No site with key ${JSON.stringify(payload.site)}: check data-site in the tag`);
    }
    const origin = requestOrigin(req);
    if (!origin || !isSiteOrigin(site, origin)) {
      counted.inc({ outcome: 'rejected' });
      throw new AppError(403, 'origin_not_allowed', "Hits for this site are accepted from the site's own pages only");
    }
    addToContext({ tenant: site.tenantId });
    if (req.headers.origin) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Vary', 'Origin');
    }
    const userAgent = userAgents.facts(req.headers['user-agent']);
    if (userAgent.bot) {
      counted.inc({ outcome: 'bot' });
      res.statusCode = 202;
      res.end();
      return;
    }
    await perSite.consume(site.id).catch((rejection) => {
      counted.inc({ outcome: 'rate_limited' });
      throw rateLimited(res, rejection, 'site');
    });
    try {
      await committer.submit(toEvent(payload, site, userAgent));
    } catch (error) {
      counted.inc({ outcome: 'failed' });
      deps.logger.error('collect: storing hits failed', errorMeta(error));
      throw AppError.unavailable('The hit could not be stored; try again later');
    }
    counted.inc({ outcome: 'stored' });
    const answer = payload.swap ? await swapAnswer(payload, site) : undefined;
    if (answer) {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(JSON.stringify(answer));
      return;
    }
    res.statusCode = 204;
    res.end();
  };

  return {
    path: '/collect',
    methods: ['POST', 'OPTIONS'],
    handle: async (req, res, request) => {
      if (req.method === 'OPTIONS') answerPreflight(req, res);
      else await collect(req, res, request.clientIp());
    },
  };
}
