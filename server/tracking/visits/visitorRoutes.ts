/** `GET /api/v1/visitors/:visitorId/visits`: a visitor's visits, newest first, each with its hits. */
import { Router } from 'express';
import { AppError } from '../../errors.js';
import { requireAdmin } from '../../http/auth/requireAdmin.js';
import type { FeatureDeps } from '../../runtime.js';
import type { Database } from '../../storage/database.js';
import type { VisitRow } from './visitRow.js';
import { touchpointsOfVisits } from '../../callTracking/touchpoints.js';

const visitorIdPattern = /^[A-Za-z0-9_-]{8,64}$/;
const tenantIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** A visit's first hits are what a person reads; a visit with thousands of hits is cut here. */
export const MAX_HITS_PER_VISIT = 500;

interface HitRow {
  visit_id: string;
  tenant_id: string;
  type: string;
  url: string;
  title: string | null;
  goal: string | null;
  value: string | number | null;
  at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

export async function visitsOfVisitor(db: Database, visitorId: string, limit: number, tenantId?: string) {
  const { rows: visits } = await db.query<VisitRow<Date | string>>(
    `SELECT * FROM visits WHERE visitor_id = $1 AND ($3::text IS NULL OR tenant_id = $3)
      ORDER BY started_at DESC LIMIT $2`,
    [visitorId, limit, tenantId ?? null],
  );
  const { rows: hits } = visits.length
    ? await db.query<HitRow>(
        `SELECT h.visit_id, h.tenant_id, h.type, h.url, h.title, h.goal, h.value, h.at
           FROM hits h JOIN jsonb_to_recordset($1::jsonb) AS v(tenant_id text, id text)
             ON h.tenant_id = v.tenant_id AND h.visit_id = v.id
          ORDER BY h.at, h.id`,
        [JSON.stringify(visits.map((visit) => ({ tenant_id: visit.tenant_id, id: visit.id })))],
      )
    : { rows: [] as HitRow[] };
  const touchpoints = await touchpointsOfVisits(db, visits);
  const hitsByVisit = new Map<string, HitRow[]>();
  for (const hit of hits) {
    const key = `${hit.tenant_id}\u0000${hit.visit_id}`;
    const list = hitsByVisit.get(key) ?? [];
    if (list.length < MAX_HITS_PER_VISIT) list.push(hit);
    hitsByVisit.set(key, list);
  }
  return visits.map((visit) => ({
    id: visit.id,
    tenant_id: visit.tenant_id,
    site_id: visit.site_id,
    started_at: iso(visit.started_at),
    last_activity_at: iso(visit.last_activity_at),
    landing_url: visit.landing_url,
    referrer: visit.referrer,
    source: visit.source,
    medium: visit.medium,
    campaign: visit.campaign,
    content: visit.content,
    term: visit.term,
    channel: visit.channel,
    click_id_type: visit.click_id_type,
    click_id: visit.click_id,
    landing_params: visit.landing_params,
    ym_uid: visit.ym_uid,
    ga_cid: visit.ga_cid,
    device: { type: visit.device_type, browser: visit.browser, os: visit.os, screen: visit.screen },
    pageviews: visit.pageviews,
    goals: visit.goals,
    hits: (hitsByVisit.get(`${visit.tenant_id}\u0000${visit.id}`) ?? []).map((hit) => ({
        type: hit.type,
        url: hit.url,
        title: hit.title,
        goal: hit.goal,
        value: hit.value === null ? null : Number(hit.value),
        at: iso(hit.at),
      })),
    calls: touchpoints.get(`${visit.tenant_id}\u0000${visit.id}`)?.calls ?? [],
    emails: touchpoints.get(`${visit.tenant_id}\u0000${visit.id}`)?.emails ?? [],
  }));
}

export function visitorRoutes(deps: FeatureDeps): Router {
  const router = Router();
  router.get('/api/v1/visitors/:visitorId/visits', requireAdmin(deps.config.adminToken), async (req, res) => {
    const visitorId = req.params.visitorId as string;
    if (!visitorIdPattern.test(visitorId)) throw AppError.validation('visitorId must be 8-64 letters, digits, "_" or "-"');
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw AppError.validation('limit must be a whole number from 1 to 1000');
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    if (tenant !== undefined && !tenantIdPattern.test(tenant)) throw AppError.validation('tenant must be a tenant id');
    const visits = await visitsOfVisitor(deps.db, visitorId, limit, tenant);
    res.json({ visitor_id: visitorId, visits });
  });
  return router;
}
