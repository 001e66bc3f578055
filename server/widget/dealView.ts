/**
 * Builds the deal card's whole view (widget/shared/dealView.ts) for one deal of one tenant: the
 * deal and how it was matched, its person's visits (every visitor sharing a phone or e-mail with
 * the matched one) with their pages and goals, the attribution credit of each touch on the path
 * under the tenant's model, and the deal's funnel from its stage changes. A handful of queries,
 * whatever the deal.
 *
 * Markov: the data-driven model's credit depends on every path of the tenant, which is a report's
 * work, not one card's (it would read all of the tenant's visits on each card open). For a tenant
 * whose model is `markov` the card credits touches by last non-direct and says so
 * (`attribution.fallback = 'markov_in_reports'`); the reports show the Markov credit.
 */
import { creditTouches, type AttributionModel, type Touch } from '../attribution/index.js';
import type { CrmAccount } from '../crm/crmAccounts.js';
import { mergedVisitorIds } from '../crm/identities.js';
import { isDirect } from '../crm/sourceFields.js';
import { AppError } from '../errors.js';
import type { Queryable } from '../storage/database.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import type { ContactTouch, DealView, MatchMethod, StagePassed, TouchSource, Touchpoint, VisitTouch } from '../../widget/shared/dealView.js';

const DAY_MS = 86_400_000;
/** Touches the card lists at most (newest first); older ones are counted in `timelineOmitted`. */
export const MAX_TIMELINE = 100;
/** Page addresses listed per visit (the count is always exact). */
export const MAX_PAGES_PER_VISIT = 15;

type Time = Date | string;
const iso = (value: Time) => new Date(value).toISOString();

interface DealRow {
  id: string;
  name: string | null;
  pipeline_id: string | null;
  stage_id: string | null;
  outcome: 'open' | 'won' | 'lost';
  amount: string | number | null;
  created_at: Time;
  visitor_id: string | null;
  match_method: MatchMethod | null;
  match_confidence: number | null;
  match_reason: string | null;
  matched_at: Time | null;
  updated_at: Time;
}

interface VisitRow {
  id: string;
  visitor_id: string;
  started_at: Time;
  last_activity_at: Time;
  landing_url: string;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  channel: string;
  device_type: string;
  browser: string | null;
  os: string | null;
  pageviews: number;
}

interface HitRow {
  visit_id: string;
  type: 'pageview' | 'goal';
  url: string;
  goal: string | null;
}

interface ContactRow {
  kind: 'form' | 'call' | 'email';
  id: string;
  at: Time;
  label: string | null;
  duration_seconds: number | null;
  visit_id: string | null;
  visitor_id: string | null;
}

/**
 * The person's forms (lead_requests), calls and e-mails in the same window as the visits, and the
 * lead request that created this deal whoever sent it. Each shows the source of its visit: the one
 * it names (a call or e-mail matched to a visit), else the visitor's latest visit before it.
 */
async function contactRows(db: Queryable, tenantId: string, visitors: readonly string[], dealId: string, since: Date): Promise<ContactRow[]> {
  const { rows } = await db.query<ContactRow>(
    `SELECT 'form' AS kind, id, received_at AS at, coalesce(form_name, page_url) AS label, NULL::integer AS duration_seconds, NULL AS visit_id, visitor_id
       FROM lead_requests WHERE tenant_id = $1 AND origin IN ('form', 'api') AND received_at >= $3 AND (visitor_id = ANY($2::text[]) OR crm_deal_id = $4)
     UNION ALL
     SELECT 'call', call_id, started_at, tracking_number, duration_seconds, visit_id, visitor_id
       FROM calls WHERE tenant_id = $1 AND started_at >= $3 AND (visitor_id = ANY($2::text[]) OR deal_id = $4)
     UNION ALL
     SELECT 'email', id::text, received_at, to_address, NULL, visit_id, visitor_id
       FROM emails WHERE tenant_id = $1 AND received_at >= $3 AND visitor_id = ANY($2::text[])
     ORDER BY at DESC
     LIMIT ${MAX_TIMELINE}`,
    [tenantId, visitors, since.toISOString(), dealId],
  );
  return rows;
}

function sourceOf(touch: TouchSource): TouchSource {
  return { channel: touch.channel, source: touch.source, medium: touch.medium, campaign: touch.campaign, term: touch.term };
}

/** The card's view of deal `dealId` of the account's tenant; 404 when the tenant has no such deal. */
export async function buildDealView(db: Queryable, account: CrmAccount, dealId: string, localeOverride?: 'ru' | 'en'): Promise<DealView> {
  const tenantId = account.tenantId;
  const dealRows = await db.query<DealRow>(
    `SELECT id, name, pipeline_id, stage_id, outcome, amount, created_at, visitor_id, match_method, match_confidence, match_reason, matched_at, updated_at
     FROM deals WHERE tenant_id = $1 AND id = $2 AND NOT deleted`,
    [tenantId, dealId],
  );
  const deal = dealRows.rows[0];
  if (!deal) throw AppError.notFound(`LongFunnel has no deal ${dealId} for this account (yet): it appears once the CRM has told us about it`);
  const settings = await tenantSettings(db, tenantId);
  const createdAt = new Date(deal.created_at);
  const lookbackStart = createdAt.getTime() - settings.lookbackDays * DAY_MS;

  // Visits: the person's, from the lookback window's start on (the visits after the lead too).
  const visitors = deal.visitor_id ? await mergedVisitorIds(db, tenantId, deal.visitor_id) : [];
  const visitRows = visitors.length
    ? (
        await db.query<VisitRow>(
          `SELECT id, visitor_id, started_at, last_activity_at, landing_url, source, medium, campaign, term, channel, device_type, browser, os, pageviews
           FROM visits WHERE tenant_id = $1 AND visitor_id = ANY($2::text[]) AND started_at >= $3
           ORDER BY started_at DESC, id DESC`,
          [tenantId, visitors, new Date(lookbackStart).toISOString()],
        )
      ).rows
    : [];
  const shown = visitRows.slice(0, MAX_TIMELINE);
  const hits = shown.length
    ? (
        await db.query<HitRow>(
          `SELECT visit_id, type, url, goal FROM hits WHERE tenant_id = $1 AND visit_id = ANY($2::text[]) ORDER BY at, id`,
          [tenantId, shown.map((visit) => visit.id)],
        )
      ).rows
    : [];
  const pagesOf = new Map<string, string[]>();
  const goalsOf = new Map<string, string[]>();
  for (const hit of hits) {
    if (hit.type === 'pageview') {
      const pages = pagesOf.get(hit.visit_id) ?? [];
      if (pages.length < MAX_PAGES_PER_VISIT) pages.push(hit.url);
      pagesOf.set(hit.visit_id, pages);
    } else if (hit.goal) {
      const goals = goalsOf.get(hit.visit_id) ?? [];
      goals.push(hit.goal);
      goalsOf.set(hit.visit_id, goals);
    }
  }

  // CRMs keep creation times to the second: a visit in the deal's own second came before it (as enrichment counts).
  const leadAt = createdAt.getTime() + 999;
  const timeline: VisitTouch[] = shown.map((row) => {
    const at = new Date(row.started_at);
    const ended = new Date(row.last_activity_at);
    return {
      kind: 'visit',
      id: row.id,
      at: at.toISOString(),
      endedAt: ended.toISOString(),
      durationSeconds: Math.max(0, Math.round((ended.getTime() - at.getTime()) / 1000)),
      channel: row.channel,
      source: row.source,
      medium: row.medium,
      campaign: row.campaign,
      term: row.term,
      landingUrl: row.landing_url,
      pageviews: row.pageviews,
      pages: pagesOf.get(row.id) ?? [],
      goals: goalsOf.get(row.id) ?? [],
      device: row.device_type,
      browser: row.browser,
      os: row.os,
      afterLead: at.getTime() > leadAt,
      credit: null,
    };
  });

  // The path: touches before the lead within the lookback window (every one of them, even past the shown ones).
  const pathRows = visitRows.filter((row) => new Date(row.started_at).getTime() <= leadAt).reverse();
  const model = settings.attributionModel as AttributionModel;
  const applied: AttributionModel = model === 'markov' ? 'last_non_direct' : model;
  const touches: Touch[] = pathRows.map((row) => ({ channel: row.channel, at: new Date(row.started_at), direct: isDirect(row) }));
  const credits = creditTouches(touches, applied, { halfLifeDays: settings.timeDecayHalfLifeDays, conversionAt: createdAt });
  const creditById = new Map(pathRows.map((row, index) => [row.id, credits[index] ?? 0]));
  for (const touch of timeline) if (creditById.has(touch.id)) touch.credit = creditById.get(touch.id) ?? 0;

  const firstRow = pathRows[0];
  let lastNonDirectRow: VisitRow | undefined;
  for (const row of pathRows) if (!isDirect(row)) lastNonDirectRow = row;
  lastNonDirectRow ??= pathRows[pathRows.length - 1];
  let creditedIndex = -1;
  credits.forEach((credit, index) => {
    if (creditedIndex < 0 || credit >= (credits[creditedIndex] ?? 0)) creditedIndex = index;
  });
  const creditedRow = pathRows[creditedIndex];

  const funnel = await dealFunnel(db, tenantId, deal, createdAt);

  // Forms, calls and e-mails, each with the source of its visit.
  const visitById = new Map(visitRows.map((row) => [row.id, row]));
  const extraVisits = new Map<string, VisitRow>();
  const contacts = await contactRows(db, tenantId, visitors, deal.id, new Date(lookbackStart));
  const named = [...new Set(contacts.map((row) => row.visit_id).filter((id): id is string => id !== null && !visitById.has(id)))];
  if (named.length) {
    const found = await db.query<VisitRow>(
      `SELECT id, visitor_id, started_at, last_activity_at, landing_url, source, medium, campaign, term, channel, device_type, browser, os, pageviews
       FROM visits WHERE tenant_id = $1 AND id = ANY($2::text[])`,
      [tenantId, named],
    );
    for (const row of found.rows) extraVisits.set(row.id, row);
  }
  const contactTouches: ContactTouch[] = contacts.map((row) => {
    const at = new Date(row.at);
    const visit =
      (row.visit_id ? (visitById.get(row.visit_id) ?? extraVisits.get(row.visit_id)) : undefined) ??
      visitRows.find((candidate) => (row.visitor_id === null || candidate.visitor_id === row.visitor_id) && new Date(candidate.started_at).getTime() <= at.getTime());
    return {
      kind: row.kind,
      id: row.id,
      at: at.toISOString(),
      label: row.label,
      durationSeconds: row.duration_seconds,
      channel: visit?.channel ?? 'Unassigned',
      source: visit?.source ?? '(not set)',
      medium: visit?.medium ?? '(not set)',
      campaign: visit?.campaign ?? null,
      term: visit?.term ?? null,
      afterLead: at.getTime() > leadAt,
      credit: null,
    };
  });
  const touchpoints: Touchpoint[] = [...timeline, ...contactTouches].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.kind === 'visit' ? 1 : -1));
  return {
    deal: {
      id: deal.id,
      name: deal.name,
      amount: deal.amount === null ? null : Number(deal.amount),
      currency: settings.currency,
      createdAt: createdAt.toISOString(),
      outcome: deal.outcome,
    },
    locale: localeOverride ?? settings.locale,
    integration: { crm: account.crm, status: account.status, reason: account.statusReason },
    match: {
      method: deal.match_method ?? 'none',
      confidence: deal.match_confidence ?? 0,
      reason: deal.match_method === null ? 'not_matched_yet' : deal.match_reason,
      matchedAt: deal.matched_at === null ? null : iso(deal.matched_at),
    },
    attribution: { model, applied, fallback: model === 'markov' ? 'markov_in_reports' : null, lookbackDays: settings.lookbackDays },
    summary: {
      firstTouch: firstRow ? sourceOf(firstRow) : null,
      lastNonDirect: lastNonDirectRow ? sourceOf(lastNonDirectRow) : null,
      credited: creditedRow ? { ...sourceOf(creditedRow), credit: credits[creditedIndex] ?? 0 } : null,
      touchesBeforeLead: pathRows.length,
      touchesAfterLead: visitRows.filter((row) => new Date(row.started_at).getTime() > leadAt).length,
    },
    timeline: touchpoints,
    timelineOmitted: visitRows.length - shown.length,
    touchpointKinds: ['visit', 'form', 'call', 'email'],
    funnel,
  };
}

async function dealFunnel(db: Queryable, tenantId: string, deal: DealRow, createdAt: Date): Promise<DealView['funnel']> {
  const stages = await db.query<{ pipeline_id: string; stage_id: string; pipeline_name: string; name: string; kind: 'entry' | 'open' | 'won' | 'lost' }>(
    'SELECT pipeline_id, stage_id, pipeline_name, name, kind FROM crm_stages WHERE tenant_id = $1',
    [tenantId],
  );
  const stageKey = (pipelineId: string | null, stageId: string | null) => `${pipelineId ?? ''}\u0000${stageId ?? ''}`;
  const byKey = new Map(stages.rows.map((row) => [stageKey(row.pipeline_id, row.stage_id), row]));
  const changes = await db.query<{ pipeline_id: string; from_stage_id: string | null; to_stage_id: string; at: Time }>(
    'SELECT pipeline_id, from_stage_id, to_stage_id, at FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2 ORDER BY at, to_stage_id',
    [tenantId, deal.id],
  );
  const passed: StagePassed[] = changes.rows.map((row) => ({
    stageId: row.to_stage_id,
    fromStageId: row.from_stage_id,
    name: byKey.get(stageKey(row.pipeline_id, row.to_stage_id))?.name ?? row.to_stage_id,
    at: iso(row.at),
  }));
  // The newest fact wins: a stage change the deal's own row has not caught up with yet (it is re-read with the next enrichment).
  const latest = changes.rows[changes.rows.length - 1];
  const moved = latest && new Date(latest.at).getTime() > new Date(deal.updated_at).getTime();
  const pipelineId = moved ? latest.pipeline_id : deal.pipeline_id;
  const stageId = moved ? latest.to_stage_id : deal.stage_id;
  const current = byKey.get(stageKey(pipelineId, stageId));
  let since = createdAt.toISOString();
  for (const change of passed) if (change.stageId === stageId) since = change.at;
  return {
    pipelineName: current?.pipeline_name ?? null,
    current: { stageId, name: current?.name ?? stageId, kind: current?.kind ?? null, since },
    passed,
  };
}
