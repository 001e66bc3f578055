/**
 * A deal's path: the visits of its visitor — and of every visitor who is the same person through a
 * shared phone or e-mail, transitively (`mergedVisitorGroups`) — within the lookback window up to
 * the deal's creation, oldest first. A few queries for a whole batch of deals, whatever its size.
 */
import type { Queryable } from '../../storage/database.js';
import type { CrmDeal } from '../crmAdapter.js';
import { mergedVisitorGroups } from '../identities.js';
import type { DealMatch, TouchVisit } from '../sourceFields.js';

interface VisitRow {
  visitor_id: string;
  started_at: Date | string;
  source: string;
  medium: string;
  campaign: string | null;
  content: string | null;
  term: string | null;
  channel: string;
  referrer: string | null;
  click_id_type: string | null;
  click_id: string | null;
  landing_params: Record<string, string> | null;
  ym_uid: string | null;
  ga_cid: string | null;
}

const DAY_MS = 86_400_000;

export async function visitsForDeals(
  db: Queryable,
  tenantId: string,
  deals: ReadonlyArray<Pick<CrmDeal, 'id' | 'createdAt'>>,
  matches: ReadonlyMap<string, DealMatch>,
  lookbackDays: number,
): Promise<Map<string, TouchVisit[]>> {
  const matched = deals.filter((deal) => matches.get(deal.id)?.visitorId);
  const paths = new Map<string, TouchVisit[]>();
  if (matched.length === 0) return paths;
  const visitorIds = [...new Set(matched.map((deal) => matches.get(deal.id)?.visitorId as string))];

  const people = new Map([...(await mergedVisitorGroups(db, tenantId, visitorIds))].map(([id, group]) => [id, new Set(group)]));

  const earliest = Math.min(...matched.map((deal) => deal.createdAt.getTime())) - lookbackDays * DAY_MS;
  const everyone = [...new Set([...people.values()].flatMap((set) => [...set]))];
  const result = await db.query<VisitRow>(
    `SELECT visitor_id, started_at, source, medium, campaign, content, term, channel, referrer, click_id_type, click_id,
       landing_params, ym_uid, ga_cid
     FROM visits WHERE tenant_id = $1 AND visitor_id = ANY($2::text[]) AND started_at >= $3
     ORDER BY started_at`,
    [tenantId, everyone, new Date(earliest).toISOString()],
  );
  const byVisitor = new Map<string, TouchVisit[]>();
  for (const row of result.rows) {
    const visit: TouchVisit = {
      startedAt: new Date(row.started_at),
      source: row.source,
      medium: row.medium,
      campaign: row.campaign,
      content: row.content,
      term: row.term,
      channel: row.channel,
      referrer: row.referrer,
      clickIdType: row.click_id_type,
      clickId: row.click_id,
      landingParams: row.landing_params ?? {},
      ymUid: row.ym_uid,
      gaCid: row.ga_cid,
    };
    const list = byVisitor.get(row.visitor_id) ?? [];
    list.push(visit);
    byVisitor.set(row.visitor_id, list);
  }

  for (const deal of matched) {
    const person = people.get(matches.get(deal.id)?.visitorId as string) ?? new Set<string>();
    const from = deal.createdAt.getTime() - lookbackDays * DAY_MS;
    // CRMs keep creation times to the second: a visit in the deal's own second came before it.
    const to = deal.createdAt.getTime() + 999;
    const path = [...person]
      .flatMap((visitorId) => byVisitor.get(visitorId) ?? [])
      .filter((visit) => visit.startedAt.getTime() >= from && visit.startedAt.getTime() <= to)
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    paths.set(deal.id, path);
  }
  return paths;
}
