/**
 * Writes a batch of tracker hits in one statement (so one transaction and one round trip): visitors,
 * visits and hits, whatever the batch size. Hits of one visit are folded together first (a statement
 * may not update one row twice), and rows are written in key order so concurrent batches never
 * deadlock.
 */
import type { Database } from '../../storage/database.js';
import { classifyVisit, sourceColumns } from '../classification/index.js';
import { landingParams } from './landingParams.js';
import type { VisitRow } from '../visits/visitRow.js';
import type { TrackingEvent } from './trackingEvent.js';

type VisitSource = Pick<VisitRow, 'source' | 'medium' | 'campaign' | 'content' | 'term' | 'channel' | 'click_id_type' | 'click_id' | 'landing_params'>;

/**
 * A visit's source columns, a pure function of its landing, referrer and site hosts, cached: every
 * hit of a visit carries the same landing and referrer, and only the visit's first hit stores them,
 * so without the cache each page view would classify its visit again for nothing. Bounded like the
 * user-agent cache: cleared when full.
 */
const visitSources = new Map<string, VisitSource>();
const MAX_CACHED_SOURCES = 10_000;

function visitSourceOf(event: TrackingEvent): VisitSource {
  const key = `${event.siteHosts.join(' ')}\u0000${event.landing}\u0000${event.referrer ?? ''}`;
  let cached = visitSources.get(key);
  if (!cached) {
    const source = classifyVisit({ url: event.landing, referrer: event.referrer, siteHosts: event.siteHosts });
    cached = { ...sourceColumns(source), click_id: source.clickId, landing_params: landingParams(event.landing) };
    if (visitSources.size >= MAX_CACHED_SOURCES) visitSources.clear();
    visitSources.set(key, cached);
  }
  return cached;
}

function visitRow(event: TrackingEvent, at: string): VisitRow {
  return {
    tenant_id: event.tenantId,
    id: event.visitId,
    site_id: event.siteId,
    visitor_id: event.visitorId,
    started_at: at,
    last_activity_at: at,
    landing_url: event.landing,
    referrer: event.referrer,
    ...visitSourceOf(event),
    ym_uid: event.ymUid,
    ga_cid: event.gaCid,
    device_type: event.device.type,
    browser: event.device.browser,
    os: event.device.os,
    screen: event.screen,
    pageviews: 0,
    goals: 0,
  };
}

const byKey = <T extends { tenant_id: string; id: string }>(a: T, b: T) =>
  a.tenant_id < b.tenant_id ? -1 : a.tenant_id > b.tenant_id ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

export async function storeTrackingEvents(db: Database, events: TrackingEvent[]): Promise<void> {
  const visits = new Map<string, VisitRow>();
  const visitors = new Map<string, { tenant_id: string; id: string; first_seen_at: string; last_seen_at: string }>();
  for (const event of events) {
    const at = event.at.toISOString();
    const visitKey = `${event.tenantId}\u0000${event.visitId}`;
    const visit = visits.get(visitKey) ?? visitRow(event, at);
    visits.set(visitKey, visit);
    if (event.type === 'pageview') visit.pageviews++;
    else visit.goals++;
    if (at < visit.started_at) visit.started_at = at;
    if (at > visit.last_activity_at) visit.last_activity_at = at;
    visit.ym_uid ??= event.ymUid;
    visit.ga_cid ??= event.gaCid;

    const visitorKey = `${event.tenantId}\u0000${event.visitorId}`;
    const visitor = visitors.get(visitorKey) ?? { tenant_id: event.tenantId, id: event.visitorId, first_seen_at: at, last_seen_at: at };
    if (at < visitor.first_seen_at) visitor.first_seen_at = at;
    if (at > visitor.last_seen_at) visitor.last_seen_at = at;
    visitors.set(visitorKey, visitor);
  }
  const hits = events.map((event) => ({
    tenant_id: event.tenantId,
    visit_id: event.visitId,
    visitor_id: event.visitorId,
    type: event.type,
    url: event.url,
    title: event.title,
    goal: event.goal,
    value: event.value,
    at: event.at.toISOString(),
  }));

  // One statement, so one round trip and its own transaction: the visits upsert returns the visits
  // it wrote, and hits join those, so a hit naming someone else's visit id (the upsert's WHERE
  // refuses it) is dropped. Every batch runs the same statement, so tables are locked in one order.
  await db.query(
    `WITH visitor_rows AS (
       INSERT INTO visitors (tenant_id, id, first_seen_at, last_seen_at)
       SELECT tenant_id, id, first_seen_at, last_seen_at
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id text, id text, first_seen_at timestamptz, last_seen_at timestamptz)
       ON CONFLICT (tenant_id, id) DO UPDATE
         SET first_seen_at = LEAST(visitors.first_seen_at, EXCLUDED.first_seen_at),
             last_seen_at = GREATEST(visitors.last_seen_at, EXCLUDED.last_seen_at)
     ),
     visit_rows AS (
       INSERT INTO visits (tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, referrer,
                           source, medium, campaign, content, term, channel, click_id_type, click_id, landing_params,
                           ym_uid, ga_cid, device_type, browser, os, screen, pageviews, goals)
       SELECT tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, referrer,
              source, medium, campaign, content, term, channel, click_id_type, click_id, landing_params,
              ym_uid, ga_cid, device_type, browser, os, screen, pageviews, goals
         FROM jsonb_to_recordset($2::jsonb) AS r(
              tenant_id text, id text, site_id text, visitor_id text, started_at timestamptz, last_activity_at timestamptz,
              landing_url text, referrer text, source text, medium text, campaign text, content text, term text,
              channel text, click_id_type text, click_id text, landing_params jsonb, ym_uid text, ga_cid text,
              device_type text, browser text, os text, screen text, pageviews integer, goals integer)
       -- A visit keeps the source of its first hit; later hits only extend it and add to its counts.
       ON CONFLICT (tenant_id, id) DO UPDATE
         SET started_at = LEAST(visits.started_at, EXCLUDED.started_at),
             last_activity_at = GREATEST(visits.last_activity_at, EXCLUDED.last_activity_at),
             pageviews = visits.pageviews + EXCLUDED.pageviews,
             goals = visits.goals + EXCLUDED.goals,
             ym_uid = COALESCE(visits.ym_uid, EXCLUDED.ym_uid),
             ga_cid = COALESCE(visits.ga_cid, EXCLUDED.ga_cid)
         WHERE visits.visitor_id = EXCLUDED.visitor_id
       RETURNING tenant_id, id, visitor_id
     )
     INSERT INTO hits (tenant_id, visit_id, type, url, title, goal, value, at)
     SELECT r.tenant_id, r.visit_id, r.type, r.url, r.title, r.goal, r.value, r.at
       FROM jsonb_to_recordset($3::jsonb) AS r(tenant_id text, visit_id text, visitor_id text, type text, url text,
            title text, goal text, value numeric, at timestamptz)
       JOIN visit_rows v ON v.tenant_id = r.tenant_id AND v.id = r.visit_id AND v.visitor_id = r.visitor_id`,
    [JSON.stringify([...visitors.values()].sort(byKey)), JSON.stringify([...visits.values()].sort(byKey)), JSON.stringify(hits)],
    { prepareAs: 'collect_store_tracking_events' },
  );
}
