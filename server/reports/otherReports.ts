/**
 * Reports 3-8: visits and leads over time, the long funnel, managers, paths before a sale, LTV by
 * first-touch source, and leads without a source (docs/reports.md says how each is computed).
 */
import type { Database } from '../storage/database.js';
import type { TenantSettings } from '../tenants/tenantSettings.js';
import type { FunnelAnswer, LtvAnswer, ManagersAnswer, PathsAnswer, TimeseriesAnswer, UnmatchedAnswer } from './answers.js';
import { ratio, roundCount } from './channelsReport.js';
import { roundMoney } from './costStore.js';
import { creditedDeals, dealsCte, NO_SOURCE, PATH_SEPARATOR, refreshDealPaths, reportQuery, SqlParams, touchesCtes, type DealScope } from './dealCredits.js';
import type { CommonParams } from './reportParams.js';

function scopeOf(tenantId: string, params: CommonParams): DealScope {
  return { tenantId, period: params.period, siteId: params.siteId, pipelineId: params.pipelineId, lookbackDays: params.lookbackDays };
}

function periodJson(params: CommonParams) {
  return { from: params.period.from, to: params.period.to };
}

function visitFilter(tenantId: string, params: CommonParams, p: SqlParams, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const filters = [`${a}tenant_id = ${p.add(tenantId)}`, `${a}started_at >= ${p.add(params.period.start.toISOString())}`, `${a}started_at < ${p.add(params.period.end.toISOString())}`];
  if (params.siteId) filters.push(`${a}site_id = ${p.add(params.siteId)}`);
  return filters.join(' AND ');
}

// ---- 3. Visits and leads over time ----------------------------------------------------------

export async function timeseriesReport(
  db: Database,
  tenantId: string,
  settings: TenantSettings,
  params: CommonParams & { interval: 'day' | 'week'; group: 'channel' | 'source' },
): Promise<TimeseriesAnswer> {
  const bucket = (column: string) => `to_char(date_trunc('${params.interval}', ${column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`;
  const column = params.group;
  const v = new SqlParams();
  const visits = await reportQuery<{ date: string; key: string; visits: number }>(db,
    `SELECT ${bucket('started_at')} AS date, ${column} AS key, count(*)::int AS visits FROM visits WHERE ${visitFilter(tenantId, params, v)} GROUP BY 1, 2`,
    v.values,
  );
  const { ctes, params: p } = await creditedDeals(db, scopeOf(tenantId, params), params.model, { halfLifeDays: params.halfLifeDays, level: params.level });
  const leads = await reportQuery<{ date: string; key: string; leads: number }>(db,
    `WITH ${ctes} SELECT ${bucket('d.created_at')} AS date, COALESCE(c.${column}, '${NO_SOURCE}') AS key, sum(COALESCE(c.credit, 1))::float8 AS leads
     FROM d LEFT JOIN c ON c.deal_id = d.id GROUP BY 1, 2`,
    p.values,
  );
  const points = new Map<string, { date: string; key: string; visits: number; leads: number }>();
  const pointOf = (date: string, key: string) => {
    const id = JSON.stringify([date, key]);
    let found = points.get(id);
    if (!found) {
      found = { date, key, visits: 0, leads: 0 };
      points.set(id, found);
    }
    return found;
  };
  for (const row of visits.rows) pointOf(row.date, row.key).visits += Number(row.visits);
  for (const row of leads.rows) pointOf(row.date, row.key).leads += Number(row.leads);
  const series = [...points.values()].map((point) => ({ ...point, leads: roundCount(point.leads) }));
  series.sort((a, b) => a.date.localeCompare(b.date) || a.key.localeCompare(b.key));
  return { period: periodJson(params), interval: params.interval, currency: settings.currency, series };
}

// ---- 4. The long funnel -----------------------------------------------------------------------

/**
 * A lost deal's reason: the CRM's own (amoCRM: the lead's loss reason), else the failure stage it
 * was lost in when the CRM models reasons as stages (Bitrix24); this when the CRM gave none.
 */
export const UNKNOWN_LOST_REASON = 'unknown';

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The pipeline with the most deals (ties: the lowest stage sort, then id); undefined without stages. */
async function mainPipeline(db: Database, tenantId: string): Promise<string | undefined> {
  const { rows } = await reportQuery<{ pipeline_id: string }>(db,
    `SELECT s.pipeline_id FROM crm_stages s WHERE s.tenant_id = $1 GROUP BY s.pipeline_id
     ORDER BY (SELECT count(*) FROM deals d WHERE d.tenant_id = $1 AND d.pipeline_id = s.pipeline_id AND NOT d.deleted) DESC, min(s.sort), s.pipeline_id LIMIT 1`,
    [tenantId],
  );
  return rows[0]?.pipeline_id;
}

export async function funnelReport(db: Database, tenantId: string, settings: TenantSettings, params: CommonParams & { channel?: string | undefined }): Promise<FunnelAnswer> {
  const pipelineId = params.pipelineId ?? (await mainPipeline(db, tenantId));
  const { rows: stageRows } = await reportQuery<{ stage_id: string; name: string; sort: number; kind: string }>(db,
    `SELECT stage_id, name, sort, kind FROM crm_stages WHERE tenant_id = $1 AND pipeline_id = $2 AND kind <> 'lost' ORDER BY kind = 'won', sort, stage_id`,
    [tenantId, pipelineId ?? ''],
  );
  const rank = new Map(stageRows.map((stage, index) => [stage.stage_id, index]));
  const scope: DealScope = { ...scopeOf(tenantId, params), pipelineId };

  const { ctes, params: p } = await creditedDeals(db, scope, params.model, { halfLifeDays: params.halfLifeDays, level: params.level });
  const credits = await reportQuery<{ deal_id: string; channel: string; credit: number }>(db,
    `WITH ${ctes} SELECT d.id AS deal_id, COALESCE(c.channel, '${NO_SOURCE}') AS channel, sum(COALESCE(c.credit, 1))::float8 AS credit
     FROM d LEFT JOIN c ON c.deal_id = d.id GROUP BY 1, 2`,
    p.values,
  );
  const q = new SqlParams();
  const deals = await reportQuery<{ id: string; stage_id: string | null; outcome: string; created_at: Date; lost_reason: string | null }>(db,
    `WITH ${dealsCte(scope, q)} SELECT id, stage_id, outcome, created_at, lost_reason FROM d`,
    q.values,
  );
  const r = new SqlParams();
  const changes = await reportQuery<{ deal_id: string; from_stage_id: string | null; to_stage_id: string; at: Date }>(db,
    `WITH ${dealsCte(scope, r)} SELECT sc.deal_id, sc.from_stage_id, sc.to_stage_id, sc.at FROM stage_changes sc JOIN d ON d.id = sc.deal_id
     WHERE sc.tenant_id = ${r.add(tenantId)} ORDER BY sc.deal_id, sc.at, sc.to_stage_id`,
    r.values,
  );
  const changesOf = new Map<string, typeof changes.rows>();
  for (const change of changes.rows) {
    const list = changesOf.get(change.deal_id) ?? [];
    list.push(change);
    changesOf.set(change.deal_id, list);
  }

  // Per deal: the furthest stage reached, the stage it was lost from, and completed stays.
  const reached = new Map<string, number>();
  const lostFrom = new Map<string, number>();
  const stays: number[][] = stageRows.map(() => []);
  for (const deal of deals.rows) {
    const list = changesOf.get(deal.id) ?? [];
    const timeline: Array<{ stage: string; at: number }> = [];
    const initial = list[0]?.from_stage_id ?? (list.length === 0 ? deal.stage_id : null);
    if (initial) timeline.push({ stage: initial, at: new Date(deal.created_at).getTime() });
    for (const change of list) timeline.push({ stage: change.to_stage_id, at: new Date(change.at).getTime() });
    if (deal.stage_id) timeline.push({ stage: deal.stage_id, at: Number.POSITIVE_INFINITY });
    let furthest = 0;
    let lastOpen = 0;
    for (let i = 0; i < timeline.length; i += 1) {
      const index = rank.get(timeline[i]!.stage);
      if (index === undefined) continue;
      furthest = Math.max(furthest, index);
      lastOpen = index;
      const next = timeline.slice(i + 1).find((entry) => entry.stage !== timeline[i]!.stage);
      if (next && Number.isFinite(next.at) && timeline[i]!.at <= next.at) stays[index]!.push((next.at - timeline[i]!.at) / 1000);
    }
    if (deal.outcome === 'won') furthest = Math.max(furthest, stageRows.length - 1);
    reached.set(deal.id, furthest);
    if (deal.outcome === 'lost') lostFrom.set(deal.id, lastOpen);
  }

  const creditsOf = new Map<string, Array<{ channel: string; credit: number }>>();
  for (const row of credits.rows) {
    if (params.channel !== undefined && row.channel !== params.channel) continue;
    const list = creditsOf.get(row.deal_id) ?? [];
    list.push({ channel: row.channel, credit: Number(row.credit) });
    creditsOf.set(row.deal_id, list);
  }
  const weight = (dealId: string) => (params.channel === undefined ? 1 : (creditsOf.get(dealId) ?? []).reduce((sum, entry) => sum + entry.credit, 0));

  const entered = stageRows.map(() => 0);
  const lost = stageRows.map(() => new Map<string, number>());
  let leads = 0;
  let won = 0;
  const outcomeOf = new Map(deals.rows.map((deal) => [deal.id, deal.outcome]));
  for (const deal of deals.rows) {
    const w = weight(deal.id);
    leads += w;
    if (deal.outcome === 'won') won += w;
    const furthest = reached.get(deal.id) ?? 0;
    for (let i = 0; i <= furthest && i < entered.length; i += 1) entered[i]! += w;
    const from = lostFrom.get(deal.id);
    if (from !== undefined && from < lost.length && w > 0) {
      const reason = deal.lost_reason ?? UNKNOWN_LOST_REASON;
      lost[from]!.set(reason, (lost[from]!.get(reason) ?? 0) + w);
    }
  }

  const v = new SqlParams();
  const visitRows = await reportQuery<{ channel: string; visits: number }>(db,
    `SELECT channel, count(*)::int AS visits FROM visits WHERE ${visitFilter(tenantId, params, v)} GROUP BY channel`,
    v.values,
  );
  const visitsOf = new Map(visitRows.rows.map((row) => [row.channel, Number(row.visits)]));
  const visits = params.channel === undefined ? [...visitsOf.values()].reduce((a, b) => a + b, 0) : (visitsOf.get(params.channel) ?? 0);

  const channels = new Map<string, { visits: number; leads: number; entered: number[]; won: number }>();
  const channelOf = (name: string) => {
    let found = channels.get(name);
    if (!found) {
      found = { visits: visitsOf.get(name) ?? 0, leads: 0, entered: stageRows.map(() => 0), won: 0 };
      channels.set(name, found);
    }
    return found;
  };
  for (const [dealId, list] of creditsOf) {
    const furthest = reached.get(dealId) ?? 0;
    for (const { channel, credit } of list) {
      const target = channelOf(channel);
      target.leads += credit;
      if (outcomeOf.get(dealId) === 'won') target.won += credit;
      for (let i = 0; i <= furthest && i < stageRows.length; i += 1) target.entered[i]! += credit;
    }
  }
  for (const name of visitsOf.keys()) if (params.channel === undefined || name === params.channel) channelOf(name);

  return {
    period: periodJson(params),
    currency: settings.currency,
    pipeline_id: pipelineId ?? null,
    stages: stageRows.map((stage, index) => ({
      stage_id: stage.stage_id,
      name: stage.name,
      sort: Number(stage.sort),
      entered: roundCount(entered[index]!),
      conversion_from_previous: ratio(entered[index]!, index === 0 ? leads : entered[index - 1]!),
      median_seconds_in_stage: median(stays[index]!),
      lost: [...lost[index]!.entries()]
        .map(([reason, count]) => ({ reason, count: roundCount(count) }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    })),
    visits,
    leads: roundCount(leads),
    won: roundCount(won),
    by_channel: [...channels.entries()]
      .map(([channel, measures]) => ({
        channel,
        visits: measures.visits,
        leads: roundCount(measures.leads),
        stages: stageRows.map((stage, index) => ({ stage_id: stage.stage_id, entered: roundCount(measures.entered[index]!) })),
        won: roundCount(measures.won),
      }))
      .sort((a, b) => b.won - a.won || b.leads - a.leads || b.visits - a.visits || a.channel.localeCompare(b.channel)),
  };
}

// ---- 5. Managers ------------------------------------------------------------------------------

/** `user_name` is the CRM user's name as last read (set-up and each reconciliation); null when unknown (the dashboard shows the id). */
export async function managersReport(db: Database, tenantId: string, settings: TenantSettings, params: CommonParams): Promise<ManagersAnswer> {
  const p = new SqlParams();
  const { rows } = await reportQuery<{ user_id: string | null; deals: number; won: number; revenue: number; median_days: number | null }>(db,
    `WITH ${dealsCte(scopeOf(tenantId, params), p)}
     SELECT responsible_user_id AS user_id, count(*)::int AS deals, sum(is_won)::int AS won, sum(revenue)::float8 AS revenue,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at) / 86400)
         FILTER (WHERE is_won = 1 AND closed_at IS NOT NULL))::float8 AS median_days
     FROM d GROUP BY 1`,
    p.values,
  );
  const names = await reportQuery<{ user_id: string; name: string }>(db, 'SELECT user_id, name FROM crm_users WHERE tenant_id = $1', [tenantId]);
  const nameOf = new Map(names.rows.map((row) => [row.user_id, row.name]));
  const out = rows.map((row) => ({
    user_id: row.user_id,
    user_name: row.user_id === null ? null : (nameOf.get(row.user_id) ?? null),
    deals: Number(row.deals),
    won: Number(row.won),
    conversion: ratio(Number(row.won), Number(row.deals)),
    revenue: roundMoney(Number(row.revenue)),
    median_days_to_win: row.median_days === null ? null : Math.round(Number(row.median_days) * 100) / 100,
  }));
  out.sort((a, b) => b.revenue - a.revenue || b.won - a.won || b.deals - a.deals || String(a.user_id).localeCompare(String(b.user_id)));
  return { period: periodJson(params), currency: settings.currency, rows: out };
}

// ---- 6. Paths before a sale -------------------------------------------------------------------

export async function pathsReport(db: Database, tenantId: string, settings: TenantSettings, params: CommonParams & { limit: number }): Promise<PathsAnswer> {
  const scope = scopeOf(tenantId, params);
  await refreshDealPaths(db, tenantId, params.period, { lookbackDays: params.lookbackDays, halfLifeDays: params.halfLifeDays });
  const p = new SqlParams();
  const ctes = `${dealsCte(scope, p)}, ${touchesCtes(scope, p)}`;
  const { rows } = await reportQuery<{ sig: string; deals: number; won: number; revenue: number }>(db,
    `WITH ${ctes},
     lagged AS (SELECT deal_id, channel, started_at, visit_id, lag(channel) OVER (PARTITION BY deal_id ORDER BY started_at, visit_id) AS previous FROM t),
     paths AS (SELECT deal_id, string_agg(channel, '${PATH_SEPARATOR}' ORDER BY started_at, visit_id) AS sig FROM lagged WHERE previous IS DISTINCT FROM channel GROUP BY deal_id)
     SELECT paths.sig, count(*)::int AS deals, sum(d.is_won)::int AS won, sum(d.revenue)::float8 AS revenue
     FROM paths JOIN d ON d.id = paths.deal_id GROUP BY paths.sig HAVING sum(d.is_won) > 0
     ORDER BY won DESC, revenue DESC, deals DESC, paths.sig LIMIT ${p.add(params.limit)}`,
    p.values,
  );
  return {
    period: periodJson(params),
    currency: settings.currency,
    rows: rows.map((row) => ({ path: row.sig.split(PATH_SEPARATOR), deals: Number(row.deals), won: Number(row.won), revenue: roundMoney(Number(row.revenue)) })),
  };
}

// ---- 7. LTV by first-touch source -------------------------------------------------------------

/**
 * Customers are CRM contacts (a deal's first contact). The cohort: contacts whose first deal was
 * created in the period; all their deals up to now count. The source is the first touch of the
 * path of that first deal.
 */
export async function ltvReport(db: Database, tenantId: string, settings: TenantSettings, params: CommonParams): Promise<LtvAnswer> {
  const scope = scopeOf(tenantId, params);
  const { ctes, params: p } = await creditedDeals(db, scope, 'first', { halfLifeDays: params.halfLifeDays, level: params.level });
  const tenant = p.add(tenantId);
  const pipeline = params.pipelineId ? ` AND pipeline_id = ${p.add(params.pipelineId)}` : '';
  const { rows } = await reportQuery<{ source: string; month: string; contacts: number; deals: number; revenue: number }>(db,
    `WITH ${ctes},
     cd AS (
       SELECT id, contact_ids[1] AS contact, created_at, CASE WHEN outcome = 'won' THEN COALESCE(amount, 0) ELSE 0 END::float8 AS revenue
       FROM deals WHERE tenant_id = ${tenant} AND NOT deleted AND cardinality(contact_ids) > 0${pipeline}
     ),
     firsts AS (SELECT DISTINCT ON (contact) contact, id AS first_deal FROM cd ORDER BY contact, created_at, id),
     cohort AS (SELECT f.contact, COALESCE(c.source, '${NO_SOURCE}') AS source FROM firsts f JOIN d ON d.id = f.first_deal LEFT JOIN c ON c.deal_id = f.first_deal)
     SELECT cohort.source, to_char(cd.created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(DISTINCT cohort.contact)::int AS contacts,
       count(*)::int AS deals, sum(cd.revenue)::float8 AS revenue
     FROM cohort JOIN cd ON cd.contact = cohort.contact
     GROUP BY GROUPING SETS ((cohort.source), (cohort.source, to_char(cd.created_at AT TIME ZONE 'UTC', 'YYYY-MM')))`,
    p.values,
  );
  const bySource = new Map<string, LtvAnswer['rows'][number]>();
  for (const row of rows.filter((r) => r.month === null)) {
    const contacts = Number(row.contacts);
    const revenue = roundMoney(Number(row.revenue));
    bySource.set(row.source, {
      first_touch_source: row.source,
      contacts,
      deals: Number(row.deals),
      repeat_deals: Number(row.deals) - contacts,
      revenue,
      revenue_per_contact: ratio(revenue, contacts) === null ? null : roundMoney(revenue / contacts),
      by_month: [],
    });
  }
  for (const row of rows.filter((r) => r.month !== null)) {
    bySource.get(row.source)?.by_month.push({ month: row.month, deals: Number(row.deals), revenue: roundMoney(Number(row.revenue)) });
  }
  const out = [...bySource.values()];
  for (const row of out) row.by_month.sort((a, b) => a.month.localeCompare(b.month));
  out.sort((a, b) => b.revenue - a.revenue || b.contacts - a.contacts || a.first_touch_source.localeCompare(b.first_touch_source));
  return { period: periodJson(params), currency: settings.currency, rows: out };
}

// ---- 8. Leads without a source ----------------------------------------------------------------

/** A deal has no source when it was matched to no visitor, its visitor has no visits on its path, or it was not matched yet. */
const UNMATCHED = `(d.match_method IS NULL OR d.match_method = 'none' OR d.match_reason IS NOT NULL)`;
const REASON = `COALESCE(d.match_reason, CASE WHEN d.match_method IS NULL THEN 'not matched yet' ELSE 'unknown' END)`;

export async function unmatchedReport(db: Database, tenantId: string, settings: TenantSettings, params: CommonParams): Promise<UnmatchedAnswer> {
  const p = new SqlParams();
  const ctes = dealsCte(scopeOf(tenantId, params), p);
  const from = p.add(params.period.from);
  const to = p.add(params.period.to);
  const q = new SqlParams();
  const reasonCtes = dealsCte(scopeOf(tenantId, params), q);
  const [trend, reasons] = await Promise.all([
    reportQuery<{ date: string; total: number; unmatched: number }>(
      db,
      `WITH ${ctes}, days AS (SELECT generate_series(${from}::date, ${to}::date, interval '1 day')::date AS day)
       SELECT to_char(days.day, 'YYYY-MM-DD') AS date, count(d.id)::int AS total, count(d.id) FILTER (WHERE ${UNMATCHED})::int AS unmatched
       FROM days LEFT JOIN d ON (d.created_at AT TIME ZONE 'UTC')::date = days.day GROUP BY days.day ORDER BY days.day`,
      p.values,
    ),
    reportQuery<{ reason: string; count: number }>(
      db,
      `WITH ${reasonCtes} SELECT ${REASON} AS reason, count(*)::int AS count FROM d WHERE ${UNMATCHED} GROUP BY 1 ORDER BY 2 DESC, 1`,
      q.values,
    ),
  ]);
  const total = trend.rows.reduce((sum, row) => sum + Number(row.total), 0);
  const unmatched = trend.rows.reduce((sum, row) => sum + Number(row.unmatched), 0);
  return {
    period: periodJson(params),
    currency: settings.currency,
    total,
    unmatched,
    share: ratio(unmatched, total),
    trend: trend.rows.map((row) => ({ date: row.date, total: Number(row.total), unmatched: Number(row.unmatched) })),
    reasons: reasons.rows.map((row) => ({ reason: row.reason, count: Number(row.count) })),
  };
}
