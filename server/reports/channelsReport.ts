/**
 * Report 1 (and 2, drawn as a chart): per channel, source, campaign or term, the visits and
 * visitors counted directly, leads, deals, won deals and revenue credited by the attribution model,
 * the ad costs joined by source / medium / campaign, and the ratios between them.
 */
import { channelGroupOf } from '../tracking/classification/index.js';
import type { Database } from '../storage/database.js';
import type { TenantSettings } from '../tenants/tenantSettings.js';
import type { ChannelKey, ChannelRow, ChannelsAnswer } from './answers.js';
import { costFactor, roundMoney } from './costStore.js';
import { creditedDeals, creditedDealsSql, dealPathsStale, NO_SOURCE, NOT_SET, refreshDealPaths, refreshVisitMarks, reportQuery, SqlParams } from './dealCredits.js';
import type { ChannelGroupBy, CommonParams } from './reportParams.js';

export interface ChannelsParams extends CommonParams {
  group: ChannelGroupBy;
  drill: { channel?: string | undefined; source?: string | undefined; campaign?: string | undefined };
  /** The stage whose reaching deals are credited too (`reached_stage`). */
  stageId?: string | undefined;
}

const KEY_COLUMNS: Record<ChannelGroupBy, Array<'channel' | 'source' | 'campaign' | 'term'>> = {
  channel: ['channel'],
  source: ['channel', 'source'],
  campaign: ['channel', 'source', 'campaign'],
  term: ['channel', 'source', 'campaign', 'term'],
};

/** Rounds attributed counts (fractions of a deal) to 6 places, so sums of thirds read as whole numbers. */
export function roundCount(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export function ratio(numerator: number | null, denominator: number | null): number | null {
  if (numerator === null || denominator === null || !(denominator > 0)) return null;
  return Math.round((numerator / denominator) * 1e6) / 1e6;
}

/** A channel's running totals: the answer row's counts, before costs and ratios are known. */
interface Measures extends Pick<ChannelRow, 'visits' | 'visitors' | 'leads' | 'deals' | 'won' | 'revenue'> {
  key: Record<string, string>;
  reachedStage: number;
  cost: number;
}

function finish(measures: Measures, columns: readonly string[], costKnown: boolean): ChannelRow {
  const key: ChannelKey = { channel: null };
  for (const column of columns) {
    const value = measures.key[column] ?? null;
    (key as unknown as Record<string, string | null>)[column] = value === NOT_SET ? null : value;
  }
  const leads = roundCount(measures.leads);
  const deals = roundCount(measures.deals);
  const won = roundCount(measures.won);
  const revenue = roundMoney(measures.revenue);
  const cost = costKnown ? roundMoney(measures.cost) : null;
  return {
    key,
    visits: measures.visits,
    visitors: measures.visitors,
    leads,
    deals,
    won,
    revenue,
    cost,
    cpl: ratio(cost, leads),
    cost_per_sale: ratio(cost, won),
    romi: cost === null ? null : ratio(revenue - cost, cost),
    average_deal: ratio(revenue, won),
    conversion: { visit_to_lead: ratio(leads, measures.visits), lead_to_deal: ratio(deals, leads), deal_to_won: ratio(won, deals) },
  };
}

export async function channelsReport(db: Database, tenantId: string, settings: TenantSettings, params: ChannelsParams): Promise<ChannelsAnswer> {
  const columns = KEY_COLUMNS[params.group];
  const scope = { tenantId, period: params.period, siteId: params.siteId, pipelineId: params.pipelineId, lookbackDays: params.lookbackDays, reachedStageId: params.stageId };
  const drillEntries = Object.entries(params.drill).filter((entry): entry is [string, string] => entry[1] !== undefined);

  // Attributed measures. Under a rule-based model the query runs while the rollup is checked, and
  // again after refreshing it only when a deal of the period changed; Markov needs fresh paths first.
  const byMarks = params.group === 'channel' && !params.siteId && drillEntries.length === 0;
  const marksReady = byMarks ? refreshVisitMarks(db, tenantId) : Promise.resolve(0);
  const runAttributed = ({ ctes, params: p }: { ctes: string; params: SqlParams }) => {
    const keyExpr: Record<string, string> = {
      channel: `COALESCE(c.channel, '${NO_SOURCE}')`,
      source: `COALESCE(c.source, '${NO_SOURCE}')`,
      campaign: `COALESCE(c.campaign, '${NOT_SET}')`,
      term: `COALESCE(c.term, '${NOT_SET}')`,
    };
    const where = drillEntries.map(([column, value]) => `${keyExpr[column]} = ${p.add(value)}`);
    return reportQuery<Record<string, string> & { leads: number; deals: number; won: number; revenue: number; reached_stage: number }>(
      db,
      `WITH ${ctes}
       SELECT ${columns.map((column) => `${keyExpr[column]} AS ${column}`).join(', ')},
         sum(COALESCE(c.credit, 1))::float8 AS leads, sum(COALESCE(c.credit, 1) * d.is_deal)::float8 AS deals,
         sum(COALESCE(c.credit, 1) * d.is_won)::float8 AS won, sum(COALESCE(c.credit, 1) * d.revenue)::float8 AS revenue,
         sum(COALESCE(c.credit, 1) * d.is_stage)::float8 AS reached_stage
       FROM d LEFT JOIN c ON c.deal_id = d.id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       GROUP BY ${columns.map((_, index) => index + 1).join(', ')}`,
      p.values,
    );
  };
  const pathSettings = { lookbackDays: params.lookbackDays, halfLifeDays: params.halfLifeDays };
  const attributedQuery = (async () => {
    if (params.model === 'markov') return runAttributed(await creditedDeals(db, scope, params.model, { halfLifeDays: params.halfLifeDays, level: params.level }));
    const [stale, attempt] = await Promise.all([dealPathsStale(db, tenantId, params.period, pathSettings), runAttributed(creditedDealsSql(scope, params.model, pathSettings))]);
    if (!stale) return attempt;
    await refreshDealPaths(db, tenantId, params.period, pathSettings);
    return runAttributed(creditedDealsSql(scope, params.model, pathSettings));
  })();
  // Awaited below with the others; until then a failure must not count as unhandled.
  attributedQuery.catch(() => undefined);

  // Visits and visitors, counted directly.
  const v = new SqlParams();
  const visitFilters = [`tenant_id = ${v.add(tenantId)}`, `started_at >= ${v.add(params.period.start.toISOString())}`, `started_at < ${v.add(params.period.end.toISOString())}`];
  if (params.siteId) visitFilters.push(`site_id = ${v.add(params.siteId)}`);
  const visitKey: Record<string, string> = { channel: 'channel', source: 'source', campaign: `COALESCE(campaign, '${NOT_SET}')`, term: `COALESCE(term, '${NOT_SET}')` };
  for (const [column, value] of drillEntries) visitFilters.push(`${visitKey[column]} = ${v.add(value)}`);
  const visitWhere = visitFilters.join(' AND ');
  // Visits and distinct visitors per key and in total. By channel over all sites (the usual view),
  // from visit_marks: a visitor counts once, at the first of its visits in the period, the one whose
  // previous visit (in the channel, or at all for the total) is older than the period. Otherwise by
  // grouping the period's visits per key and visitor.
  let visitsQuery: Promise<{ rows: Array<Record<string, unknown> & { visits: number; visitors: number }> }>;
  let visitTotalsQuery: Promise<{ rows: Array<{ visits: number; visitors: number }> }>;
  if (byMarks) {
    await marksReady;
    const m = new SqlParams();
    const start = m.add(params.period.start.toISOString());
    const marked = reportQuery<{ channel: string; visits: number; visitors: number; first_visits: number }>(
      db,
      `SELECT channel, count(*)::int AS visits,
         count(*) FILTER (WHERE prev_channel_at IS NULL OR prev_channel_at < ${start})::int AS visitors,
         count(*) FILTER (WHERE prev_any_at IS NULL OR prev_any_at < ${start})::int AS first_visits
       FROM visit_marks WHERE tenant_id = ${m.add(tenantId)} AND started_at >= ${start} AND started_at < ${m.add(params.period.end.toISOString())}
       GROUP BY channel`,
      m.values,
    );
    visitsQuery = marked;
    visitTotalsQuery = marked.then(({ rows }) => ({
      rows: [{ visits: rows.reduce((sum, row) => sum + Number(row.visits), 0), visitors: rows.reduce((sum, row) => sum + Number(row.first_visits), 0) }],
    }));
  } else {
    const keyList = columns.map((column) => `${visitKey[column]} AS ${column}`).join(', ');
    const keyNames = columns.join(', ');
    visitsQuery = reportQuery<Record<string, string> & { visits: number; visitors: number }>(
      db,
      `SELECT ${keyNames}, sum(n)::int AS visits, count(*)::int AS visitors FROM (
         SELECT ${keyList}, visitor_id, count(*) AS n FROM visits WHERE ${visitWhere} GROUP BY ${columns.map((_, index) => index + 1).join(', ')}, visitor_id
       ) per GROUP BY ${keyNames}`,
      v.values,
    );
    visitTotalsQuery = reportQuery<{ visits: number; visitors: number }>(
      db,
      `SELECT COALESCE(sum(n), 0)::int AS visits, count(*)::int AS visitors FROM (SELECT visitor_id, count(*) AS n FROM visits WHERE ${visitWhere} GROUP BY visitor_id) people`,
      v.values,
    );
  }
  // They run at once, each on its own connection on PostgreSQL.
  const [attributed, visits, visitTotals, costs] = await Promise.all([attributedQuery, visitsQuery, visitTotalsQuery, costsByChannel(db, tenantId, settings, params)]);

  const rows = new Map<string, Measures>();
  const rowOf = (source: Record<string, unknown>): Measures => {
    const key: Record<string, string> = {};
    for (const column of columns) key[column] = String(source[column]);
    const id = JSON.stringify(columns.map((column) => key[column]));
    let found = rows.get(id);
    if (!found) {
      found = { key, visits: 0, visitors: 0, leads: 0, deals: 0, won: 0, revenue: 0, reachedStage: 0, cost: 0 };
      rows.set(id, found);
    }
    return found;
  };
  for (const row of attributed.rows) {
    const target = rowOf(row);
    target.leads += Number(row.leads);
    target.deals += Number(row.deals);
    target.won += Number(row.won);
    target.revenue += Number(row.revenue);
    target.reachedStage += Number(row.reached_stage);
  }
  for (const row of visits.rows) {
    const target = rowOf(row);
    target.visits += Number(row.visits);
    target.visitors += Number(row.visitors);
  }

  // Ad costs, joined by source / medium / campaign (not per term: a term row has no cost).
  const costKnown = params.group !== 'term';
  let totalCost = 0;
  for (const cost of costs) {
    if (params.drill.channel !== undefined && cost.channel !== params.drill.channel) continue;
    if (params.drill.source !== undefined && cost.source !== params.drill.source) continue;
    if (params.drill.campaign !== undefined && cost.campaign !== params.drill.campaign) continue;
    totalCost += cost.cost;
    if (costKnown) rowOf(cost).cost += cost.cost;
  }

  const withStage = (row: ChannelRow, measures: Measures): ChannelRow => (params.stageId ? { ...row, reached_stage: roundCount(measures.reachedStage) } : row);
  const finished = [...rows.values()].map((measures) => withStage(finish(measures, columns, costKnown), measures));
  finished.sort((a, b) => b.revenue - a.revenue || b.won - a.won || b.leads - a.leads || b.visits - a.visits || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
  const totals: Measures = { key: {}, visits: Number(visitTotals.rows[0]?.visits ?? 0), visitors: Number(visitTotals.rows[0]?.visitors ?? 0), leads: 0, deals: 0, won: 0, revenue: 0, reachedStage: 0, cost: totalCost };
  for (const row of rows.values()) {
    totals.leads += row.leads;
    totals.deals += row.deals;
    totals.won += row.won;
    totals.revenue += row.revenue;
    totals.reachedStage += row.reachedStage;
  }
  return {
    period: { from: params.period.from, to: params.period.to },
    model: params.model,
    level: params.level,
    group: params.group,
    currency: settings.currency,
    rows: finished,
    totals: withStage(finish(totals, [], true), totals),
  };
}

/**
 * The period's costs with the channel each belongs to: the channel most visits with the same
 * source and medium got in the period, else the channel the classification rules give the pair.
 */
export async function costsByChannel(
  db: Database,
  tenantId: string,
  settings: TenantSettings,
  params: Pick<CommonParams, 'period'>,
): Promise<Array<{ channel: string; source: string; campaign: string; cost: number }>> {
  const { rows } = await reportQuery<{ source: string; medium: string; campaign: string; cost_net: string }>(db,
    `SELECT source, medium, campaign, sum(cost_net)::text AS cost_net FROM ad_costs
     WHERE tenant_id = $1 AND day >= $2::date AND day <= $3::date GROUP BY 1, 2, 3`,
    [tenantId, params.period.from, params.period.to],
  );
  if (rows.length === 0) return [];
  const pairs = [...new Set(rows.map((row) => JSON.stringify([row.source, row.medium])))].map((pair) => JSON.parse(pair) as [string, string]);
  const { rows: channels } = await reportQuery<{ source: string; medium: string; channel: string }>(db,
    `SELECT DISTINCT ON (source, medium) source, medium, channel FROM (
       SELECT v.source, v.medium, v.channel, count(*) AS n FROM visits v
       JOIN unnest($2::text[], $3::text[]) AS pair(source, medium) ON pair.source = v.source AND pair.medium = v.medium
       WHERE v.tenant_id = $1 AND v.started_at >= $4 AND v.started_at < $5
       GROUP BY 1, 2, 3
     ) counted ORDER BY source, medium, n DESC, channel`,
    [tenantId, pairs.map((pair) => pair[0]), pairs.map((pair) => pair[1]), params.period.start.toISOString(), params.period.end.toISOString()],
  );
  const channelOf = new Map(channels.map((row) => [JSON.stringify([row.source, row.medium]), row.channel]));
  const factor = costFactor(settings);
  return rows.map((row) => ({
    channel: channelOf.get(JSON.stringify([row.source, row.medium])) ?? channelGroupOf({ source: row.source, medium: row.medium, campaign: row.campaign || null, adNetwork: null }),
    source: row.source,
    campaign: row.campaign === '' ? NOT_SET : row.campaign,
    cost: Number(row.cost_net) * factor,
  }));
}
