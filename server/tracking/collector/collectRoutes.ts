/**
 * `POST /collect`: the tracker's hits. Flat: limit, parse, validate, resolve the site, check the
 * origin, drop bots, store (group commit), answer. A 204 means the hit is committed; any 4xx means
 * nothing was stored.
 */
import { Router, type Request, type Response } from 'express';
import express from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../errors.js';
import { addToContext } from '../../observability/context.js';
import { errorMeta } from '../../observability/logger.js';
import { cleanOptionalText, cleanText } from './cleanText.js';
import { rateLimitKey } from './clientAddress.js';
import type { FeatureDeps } from '../../runtime.js';
import { GroupCommitter } from '../../storage/groupCommit.js';
import { SiteDirectory, isSiteOrigin, type Site } from '../sites/siteStore.js';
import { trackerPayloadSchema, type TrackerPayload } from './payloadSchema.js';
import { storeTrackingEvents } from './storeTrackingEvents.js';
import type { TrackingEvent } from './trackingEvent.js';
import { UserAgentCache, type UserAgentFacts } from './userAgents.js';

export const COLLECT_BODY_LIMIT = '16kb';

function rateLimited(res: Response, rejection: unknown, what: string): AppError {
  const retryAfter = rejection instanceof RateLimiterRes ? Math.max(Math.ceil(rejection.msBeforeNext / 1000), 1) : 1;
  res.setHeader('Retry-After', String(retryAfter));
  return new AppError(429, 'rate_limited', `Too many hits from this ${what}; retry in ${retryAfter} s`);
}

/** The page's origin: the `Origin` header, else the origin of the `Referer`. */
function requestOrigin(req: Request): string | undefined {
  const origin = req.get('origin');
  if (origin && origin !== 'null') return origin;
  const referer = req.get('referer');
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

function parsePayload(body: unknown): TrackerPayload {
  if (typeof body !== 'string') {
    // The text parser only reads the types below; anything else arrives unread.
    throw new AppError(415, 'unsupported_media_type', 'Send the hit as text/plain or application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AppError(400, 'invalid_json', 'The request body is not valid JSON');
  }
  const { value, error } = trackerPayloadSchema.validate(parsed);
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

export function collectRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const sites = new SiteDirectory(deps.db);
  const perIp = new RateLimiterMemory({ points: deps.config.collectIpLimitPerMinute, duration: 60 });
  const perSite = new RateLimiterMemory({ points: deps.config.collectSiteLimitPerSecond, duration: 1 });
  const userAgents = new UserAgentCache();
  const committer = new GroupCommitter<TrackingEvent>((events) => storeTrackingEvents(deps.db, events), {
    maxBatch: 1_000,
    // The embedded database has one connection: more than one transaction at a time only queues.
    maxInFlight: deps.db.kind === 'postgres' ? 4 : 1,
    onBatch: (size) => deps.metrics.collectBatchSize.observe(size),
  });
  const counted = deps.metrics.collectedHits;

  const allowOrigin = (res: Response, origin: string | undefined) => {
    if (!origin) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  };

  // Preflight, for trackers that send application/json: the real request is checked in full.
  router.options('/collect', (req, res) => {
    const origin = req.get('origin');
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    res.setHeader('Access-Control-Max-Age', '86400');
    res.setHeader('Vary', 'Origin');
    res.status(204).end();
  });

  router.post(
    '/collect',
    async (req, res, next) => {
      await perIp.consume(rateLimitKey(req.ip)).catch((rejection) => {
        counted.inc({ outcome: 'rate_limited' });
        throw rateLimited(res, rejection, 'address');
      });
      next();
    },
    express.text({ type: ['text/plain', 'application/json'], limit: COLLECT_BODY_LIMIT }),
    async (req, res) => {
      let payload: TrackerPayload;
      try {
        payload = parsePayload(req.body);
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
      allowOrigin(res, req.get('origin'));
      const userAgent = userAgents.facts(req.get('user-agent'));
      if (userAgent.bot) {
        counted.inc({ outcome: 'bot' });
        res.status(202).end();
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
      res.status(204).end();
    },
  );

  return router;
}
