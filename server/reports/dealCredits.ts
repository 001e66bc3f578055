/**
 * Deals and their attributed touches, as SQL the reports build on (docs/reports.md, "How a deal is
 * attributed"). A deal's path is the visits of its visitor and of every visitor that is the same
 * person (phones and e-mails shared, transitively, as enrichment groups them) within the tenant's
 * lookback up to the deal's creation; paths are kept in a rollup (deal_touches) with each touch's
 * rule-based credits, brought up to date for the period's deals at the start of each report. The
 * credits are computed in SQL with window functions (the formulas of server/attribution; the tests
 * check the two agree). Markov's removal effects come from the engine (`markovRemovalEffects`) over
 * the tenant's paths and are passed in as a table, after which the per-touch split is SQL too.
 *
 * The CTEs:
 *   d  - the deals of the period (filters applied) with their measures
 *   t  - the touches: visits on each deal's path (from the rollup)
 *   c  - the credited touches (deal_id, channel, source, medium, campaign, term, credit)
 *
 * Computing the rollup reads a deal's visits by its visitor through visits_visitor (tenant,
 * visitor, started_at): the LATERAL subquery with OFFSET 0 keeps PostgreSQL from hashing the whole
 * visits table instead.
 */
import { mergedVisitorGroups } from '../crm/identities.js';
import { markovRemovalEffects, type AttributionModel, type ChannelPath, type MarkovCredit } from '../attribution/index.js';
import type { Database, Queryable, QueryResult } from '../storage/database.js';
import type { Level, Period } from './reportParams.js';

/**
 * Runs one report query. On PostgreSQL it runs in its own transaction with JIT off (compiling the
 * plan took longer than running it in the benchmark) and enough memory to group a period's visits
 * in memory; separate queries of one report run on separate connections at once.
 */
export async function reportQuery<Row>(db: Database, sql: string, params: unknown[]): Promise<QueryResult<Row>> {
  if (db.kind !== 'postgres') return db.query<Row>(sql, params);
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'");
    return tx.query<Row>(sql, params);
  });
}

/** Positional parameters collected while SQL is put together. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export interface DealScope {
  tenantId: string;
  period: Period;
  siteId?: string | undefined;
  pipelineId?: string | undefined;
  lookbackDays: number;
  /** A stage id: `d.is_stage` says whether each deal reached it (was in it, or got past it in its pipeline, or won). */
  reachedStageId?: string | undefined;
}

/** Separates channel names in a path signature (cannot occur in a channel name). */
export const PATH_SEPARATOR = '\u001f';
/** The channel (and source) of a deal with no visit on its path. */
export const NO_SOURCE = '(none)';
/** A campaign or term a visit does not have. */
export const NOT_SET = '(not set)';

/**
 * Whether a deal reached `scope.reachedStageId`: it entered that stage (a stage change, or it is there
 * now), or it is now in a later open stage of the same pipeline, or it was won in that pipeline.
 */
function reachedStageColumn(scope: DealScope, p: SqlParams): string {
  if (!scope.reachedStageId) return '0';
  const stage = p.add(scope.reachedStageId);
  return `(EXISTS (SELECT 1 FROM crm_stages st WHERE st.tenant_id = d.tenant_id AND st.pipeline_id = d.pipeline_id AND st.stage_id = ${stage}
        AND (d.stage_id = st.stage_id OR d.outcome = 'won' OR (cs.kind = 'open' AND cs.sort >= st.sort)))
      OR EXISTS (SELECT 1 FROM stage_changes rc WHERE rc.tenant_id = d.tenant_id AND rc.deal_id = d.id AND rc.to_stage_id = ${stage}))::int`;
}

/** `d`: the deals created in the period, not deleted, with their funnel flags and revenue. */
export function dealsCte(scope: DealScope, p: SqlParams): string {
  const tenant = p.add(scope.tenantId);
  const filters = [`d.tenant_id = ${tenant}`, 'NOT d.deleted', `d.created_at >= ${p.add(scope.period.start.toISOString())}`, `d.created_at < ${p.add(scope.period.end.toISOString())}`];
  if (scope.pipelineId) filters.push(`d.pipeline_id = ${p.add(scope.pipelineId)}`);
  if (scope.siteId) filters.push(`EXISTS (SELECT 1 FROM visits sv WHERE sv.tenant_id = d.tenant_id AND sv.visitor_id = d.visitor_id AND sv.site_id = ${p.add(scope.siteId)})`);
  return `d AS (
    SELECT d.id, d.visitor_id, d.created_at, d.closed_at, d.outcome, d.pipeline_id, d.stage_id, d.entity, d.responsible_user_id,
      d.contact_ids, d.match_method, d.match_reason,
      -- why a lost deal was lost: the CRM's reason, else the reason its failure stage stands for (Bitrix24)
      CASE WHEN d.outcome = 'lost' THEN COALESCE(d.lost_reason, cs.lost_reason) END AS lost_reason,
      CASE WHEN d.outcome = 'won' THEN COALESCE(d.amount, 0) ELSE 0 END::float8 AS revenue,
      (d.outcome = 'won')::int AS is_won,
      (d.entity = 'deal' AND (d.outcome = 'won' OR COALESCE(cs.kind IN ('open', 'won'), false) OR EXISTS (
        SELECT 1 FROM stage_changes sc JOIN crm_stages ss ON ss.tenant_id = sc.tenant_id AND ss.pipeline_id = sc.pipeline_id AND ss.stage_id = sc.to_stage_id
        WHERE sc.tenant_id = d.tenant_id AND sc.deal_id = d.id AND ss.kind IN ('open', 'won'))))::int AS is_deal,
      ${reachedStageColumn(scope, p)} AS is_stage
    FROM deals d
    LEFT JOIN crm_stages cs ON cs.tenant_id = d.tenant_id AND cs.pipeline_id = d.pipeline_id AND cs.stage_id = d.stage_id
    WHERE ${filters.join(' AND ')}
  )`;
}

/**
 * Runs `work` in a transaction holding a per-tenant advisory lock (PostgreSQL), without the
 * statement timeout: the first build of a rollup on a large tenant may take a while, and two
 * reports at once must not build it twice.
 */
async function rollupTransaction<T>(db: Database, lockName: string, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') {
      await tx.query("SET LOCAL statement_timeout = 0; SET LOCAL jit = off; SET LOCAL work_mem = '64MB'");
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    }
    return work(tx);
  });
}

export interface PathSettings {
  lookbackDays: number;
  halfLifeDays: number;
}

/**
 * Brings the deal-path rollup up to date for the deals created in `period`: a deal never computed,
 * whose visitor, creation time or enrichment changed since, or computed under another lookback or
 * half-life, gets its touches and their credit under each rule-based model (re)computed from visits
 * (its visitor and every visitor that is the same person, as enrichment groups them:
 * `mergedVisitorGroups`). Returns how many deals were recomputed.
 */
/** The period's deals whose rollup is missing or out of date ($1 tenant, $2-$3 period, $4 lookback, $5 half-life). */
const staleDealsSql = `SELECT d.id FROM deals d LEFT JOIN deal_paths p ON p.tenant_id = d.tenant_id AND p.deal_id = d.id
     WHERE d.tenant_id = $1 AND NOT d.deleted AND d.created_at >= $2 AND d.created_at < $3
       AND (p.deal_id IS NULL OR p.visitor_id IS DISTINCT FROM d.visitor_id OR p.deal_created_at <> d.created_at
         OR p.enriched_at IS DISTINCT FROM d.enriched_at OR p.lookback_days <> $4 OR p.half_life_days <> $5)`;

export async function refreshDealPaths(db: Database, tenantId: string, period: Period, settings: PathSettings): Promise<number> {
  const staleSql = staleDealsSql;
  const staleParams = [tenantId, period.start.toISOString(), period.end.toISOString(), settings.lookbackDays, settings.halfLifeDays];
  const first = await db.query<{ id: string }>(staleSql, staleParams);
  if (first.rows.length === 0) return 0;
  return rollupTransaction(db, `deal_paths:${tenantId}`, async (tx) => {
    const stale = await tx.query<{ id: string }>(staleSql, staleParams);
    const ids = stale.rows.map((row) => row.id);
    for (let offset = 0; offset < ids.length; offset += 20_000) {
      const chunk = ids.slice(offset, offset + 20_000);
      await tx.query('DELETE FROM deal_touches WHERE tenant_id = $1 AND deal_id = ANY($2::text[])', [tenantId, chunk]);
      // Each deal with every visitor that is the same person as its own (enrichment's grouping).
      const { rows: owners } = await tx.query<{ id: string; visitor_id: string }>(
        'SELECT id, visitor_id FROM deals WHERE tenant_id = $1 AND id = ANY($2::text[]) AND visitor_id IS NOT NULL',
        [tenantId, chunk],
      );
      const groups = await mergedVisitorGroups(tx, tenantId, [...new Set(owners.map((row) => row.visitor_id))]);
      const pairs = owners.flatMap((row) => (groups.get(row.visitor_id) ?? [row.visitor_id]).map((visitorId) => [row.id, visitorId] as const));
      await tx.query(
        `WITH d AS (SELECT id, visitor_id, created_at FROM deals WHERE tenant_id = $1 AND id = ANY($2::text[])),
         dv AS (SELECT DISTINCT pair.deal_id, pair.visitor_id FROM unnest($5::text[], $6::text[]) AS pair(deal_id, visitor_id)),
         raw AS (
           SELECT dv.deal_id, d.created_at AS conv_at, v.* FROM dv JOIN d ON d.id = dv.deal_id
           CROSS JOIN LATERAL (
             SELECT v.id, v.visitor_id, v.site_id, v.started_at, v.channel, v.source, v.medium, v.campaign, v.term FROM visits v
             WHERE v.tenant_id = $1 AND v.visitor_id = dv.visitor_id
               AND v.started_at >= d.created_at - make_interval(days => $3::int) AND v.started_at <= d.created_at
             OFFSET 0
           ) v
         ),
         n AS (
           SELECT raw.*, (source = '(direct)' AND medium IN ('(none)', '(not set)')) AS direct,
             row_number() OVER (PARTITION BY deal_id ORDER BY started_at, id) AS rn, count(*) OVER (PARTITION BY deal_id) AS cnt,
             extract(epoch FROM conv_at - started_at)::float8 AS age
           FROM raw
         ),
         m AS (
           SELECT n.*, max(rn) FILTER (WHERE NOT direct) OVER (PARTITION BY deal_id) AS lnd_rn, min(age) OVER (PARTITION BY deal_id) AS min_age FROM n
         ),
         w AS (SELECT m.*, power(2::float8, -(age - min_age) / ($4::float8 * 86400)) AS decay FROM m)
         INSERT INTO deal_touches (tenant_id, deal_id, deal_created_at, visit_id, visitor_id, site_id, started_at, channel, source, medium, campaign, term, direct,
           credit_first, credit_last, credit_last_non_direct, credit_linear, credit_time_decay, credit_position_based)
         SELECT $1, deal_id, conv_at, id, visitor_id, site_id, started_at, channel, source, medium, COALESCE(campaign, '${NOT_SET}'), COALESCE(term, '${NOT_SET}'), direct,
           (rn = 1)::int::float8, (rn = cnt)::int::float8, (rn = COALESCE(lnd_rn, cnt))::int::float8, 1::float8 / cnt,
           decay / sum(decay) OVER (PARTITION BY deal_id),
           CASE WHEN cnt <= 2 THEN 1::float8 / cnt WHEN rn = 1 OR rn = cnt THEN 0.4::float8 ELSE 0.2::float8 / (cnt - 2) END
         FROM w
         ON CONFLICT (tenant_id, deal_id, visit_id) DO NOTHING`,
        [tenantId, chunk, settings.lookbackDays, settings.halfLifeDays, pairs.map((pair) => pair[0]), pairs.map((pair) => pair[1])],
      );
      await tx.query(
        `INSERT INTO deal_paths (tenant_id, deal_id, visitor_id, deal_created_at, enriched_at, lookback_days, half_life_days, computed_at)
         SELECT tenant_id, id, visitor_id, created_at, enriched_at, $3, $4, now() FROM deals WHERE tenant_id = $1 AND id = ANY($2::text[])
         ON CONFLICT (tenant_id, deal_id) DO UPDATE SET visitor_id = EXCLUDED.visitor_id, deal_created_at = EXCLUDED.deal_created_at,
           enriched_at = EXCLUDED.enriched_at, lookback_days = EXCLUDED.lookback_days, half_life_days = EXCLUDED.half_life_days, computed_at = EXCLUDED.computed_at`,
        [tenantId, chunk, settings.lookbackDays, settings.halfLifeDays],
      );
    }
    return ids.length;
  });
}

/** Visits that may have arrived out of order are re-marked this far back. */
const REMARK_MARGIN = "interval '1 hour'";

/**
 * Brings `visit_marks` up to date: every visit gets the start of the same visitor's previous visit
 * (any, and in the same channel). Visits newer than the last marking (less an hour, for visits
 * stored out of order) are marked, their visitors' earlier visits read for it. The first call
 * marks every visit of the tenant. Returns how many visits were marked.
 */
export async function refreshVisitMarks(db: Database, tenantId: string): Promise<number> {
  const state = await db.query<{ marked_until: Date }>('SELECT marked_until FROM visit_marks_state WHERE tenant_id = $1', [tenantId]);
  const markedUntil = state.rows[0]?.marked_until;
  if (markedUntil) {
    const unmarked = await db.query(
      `SELECT 1 FROM visits v WHERE v.tenant_id = $1 AND v.started_at > $2::timestamptz - ${REMARK_MARGIN}
         AND NOT EXISTS (SELECT 1 FROM visit_marks m WHERE m.tenant_id = v.tenant_id AND m.visit_id = v.id) LIMIT 1`,
      [tenantId, new Date(markedUntil).toISOString()],
    );
    if (unmarked.rows.length === 0) return 0;
  }
  return rollupTransaction(db, `visit_marks:${tenantId}`, async (tx) => {
    const again = await tx.query<{ marked_until: Date }>('SELECT marked_until FROM visit_marks_state WHERE tenant_id = $1', [tenantId]);
    const since = again.rows[0]?.marked_until ? new Date(again.rows[0].marked_until).toISOString() : null;
    const { rows: latest } = await tx.query<{ latest: Date | null }>('SELECT max(started_at) AS latest FROM visits WHERE tenant_id = $1', [tenantId]);
    if (!latest[0]?.latest) return 0;
    const recent = since ? `AND started_at > $2::timestamptz - ${REMARK_MARGIN}` : '';
    const { rowCount } = await tx.query(
      `WITH who AS (SELECT DISTINCT visitor_id FROM visits WHERE tenant_id = $1 ${recent}),
       lagged AS (
         SELECT v.id, v.visitor_id, v.started_at, v.channel,
           lag(v.started_at) OVER (PARTITION BY v.visitor_id ORDER BY v.started_at, v.id) AS prev_any_at,
           lag(v.started_at) OVER (PARTITION BY v.visitor_id, v.channel ORDER BY v.started_at, v.id) AS prev_channel_at
         FROM visits v WHERE v.tenant_id = $1 AND v.visitor_id IN (SELECT visitor_id FROM who)
       )
       INSERT INTO visit_marks (tenant_id, visit_id, visitor_id, started_at, channel, prev_any_at, prev_channel_at)
       SELECT $1, id, visitor_id, started_at, channel, prev_any_at, prev_channel_at FROM lagged WHERE true ${recent}
       ON CONFLICT (tenant_id, visit_id) DO UPDATE SET started_at = EXCLUDED.started_at, channel = EXCLUDED.channel,
         prev_any_at = EXCLUDED.prev_any_at, prev_channel_at = EXCLUDED.prev_channel_at`,
      since ? [tenantId, since] : [tenantId],
    );
    await tx.query(
      `INSERT INTO visit_marks_state (tenant_id, marked_until) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET marked_until = GREATEST(visit_marks_state.marked_until, EXCLUDED.marked_until)`,
      [tenantId, new Date(latest[0].latest).toISOString()],
    );
    return rowCount;
  });
}

/** `t`: each deal's touches within the tenant's lookback, with their rule-based credits, from the rollup (needs `d`; call `refreshDealPaths` first). */
export function touchesCtes(scope: DealScope, p: SqlParams): string {
  const site = scope.siteId ? ` AND dt.site_id = ${p.add(scope.siteId)}` : '';
  return `t AS (
    SELECT dt.deal_id, dt.visit_id, dt.visitor_id, dt.started_at, dt.deal_created_at AS conv_at, dt.channel, dt.source, dt.medium, dt.campaign, dt.term, dt.direct,
      dt.credit_first, dt.credit_last, dt.credit_last_non_direct, dt.credit_linear, dt.credit_time_decay, dt.credit_position_based
    FROM deal_touches dt JOIN d ON d.id = dt.deal_id
    WHERE dt.tenant_id = ${p.add(scope.tenantId)} AND dt.deal_created_at >= ${p.add(scope.period.start.toISOString())}
      AND dt.deal_created_at < ${p.add(scope.period.end.toISOString())}${site}
  )`;
}

const TOUCH_COLUMNS = 'deal_id, channel, source, medium, campaign, term';

/**
 * `c`: each touch's credit under `model` (needs `t`). The rule-based credits are those stored in the
 * rollup, except with a site filter: the path is then the site's touches only, and its credits are
 * computed here with the same formulas. Markov needs its removal effects.
 */
export function creditCte(model: AttributionModel, p: SqlParams, options: { halfLifeDays: number; markov?: MarkovCredit; siteFiltered?: boolean }): string {
  if (model !== 'markov' && !options.siteFiltered) {
    return `c AS (SELECT ${TOUCH_COLUMNS}, credit_${model} AS credit FROM t WHERE credit_${model} > 0)`;
  }
  switch (model) {
    case 'first':
      return `c AS (SELECT DISTINCT ON (deal_id) ${TOUCH_COLUMNS}, 1::float8 AS credit FROM t ORDER BY deal_id, started_at, visit_id)`;
    case 'last':
      return `c AS (SELECT DISTINCT ON (deal_id) ${TOUCH_COLUMNS}, 1::float8 AS credit FROM t ORDER BY deal_id, started_at DESC, visit_id DESC)`;
    case 'last_non_direct':
      return `c AS (SELECT DISTINCT ON (deal_id) ${TOUCH_COLUMNS}, 1::float8 AS credit FROM t ORDER BY deal_id, direct, started_at DESC, visit_id DESC)`;
    case 'linear':
      return `c AS (SELECT ${TOUCH_COLUMNS}, 1::float8 / count(*) OVER (PARTITION BY deal_id) AS credit FROM t)`;
    case 'position_based':
      return `cn AS (
        SELECT ${TOUCH_COLUMNS}, row_number() OVER (PARTITION BY deal_id ORDER BY started_at, visit_id) AS rn, count(*) OVER (PARTITION BY deal_id) AS cnt FROM t
      ),
      c AS (
        SELECT ${TOUCH_COLUMNS}, CASE WHEN cnt <= 2 THEN 1::float8 / cnt WHEN rn = 1 OR rn = cnt THEN 0.4::float8 ELSE 0.2::float8 / (cnt - 2) END AS credit FROM cn
      )`;
    case 'time_decay': {
      const halfLifeSeconds = p.add(options.halfLifeDays * 86_400);
      return `ca AS (SELECT ${TOUCH_COLUMNS}, extract(epoch FROM conv_at - started_at)::float8 AS age FROM t),
      cw AS (SELECT ${TOUCH_COLUMNS}, power(2::float8, -(age - min(age) OVER (PARTITION BY deal_id)) / ${halfLifeSeconds}::float8) AS w FROM ca),
      c AS (SELECT ${TOUCH_COLUMNS}, w / sum(w) OVER (PARTITION BY deal_id) AS credit FROM cw)`;
    }
    case 'markov': {
      const markov = options.markov;
      if (!markov) throw new TypeError('the markov model needs its removal effects');
      const names = [...markov.removalEffect.keys()];
      const channels = p.add(names);
      const effects = p.add(names.map((name) => markov.removalEffect.get(name) ?? 0));
      return `re AS (SELECT unnest(${channels}::text[]) AS re_channel, unnest(${effects}::float8[]) AS effect),
      cm AS (
        SELECT ${TOUCH_COLUMNS}, COALESCE(re.effect, 0) AS effect, count(*) OVER (PARTITION BY deal_id) AS cnt,
          count(*) OVER (PARTITION BY deal_id, channel) AS cc
        FROM t LEFT JOIN re ON re.re_channel = t.channel
      ),
      cx AS (SELECT cm.*, sum(effect / cc) OVER (PARTITION BY deal_id) AS total FROM cm),
      c AS (SELECT ${TOUCH_COLUMNS}, CASE WHEN total > 0 THEN effect / total / cc ELSE 1::float8 / cnt END AS credit FROM cx)`;
    }
    default:
      throw new TypeError(`unknown model ${String(model)}`);
  }
}

/** The column of `d` that says whether a deal converted at `level`. */
export function levelColumn(level: Level): string {
  return level === 'leads' ? '1' : level === 'deals' ? 'd.is_deal' : level === 'stage' ? 'd.is_stage' : 'd.is_won';
}

/**
 * Markov removal effects over the tenant's paths in the scope: each deal's path, converting when
 * the deal reached `level` (else a null path), plus one null path per visitor with visits in the
 * period who is on no deal's path.
 */
export async function markovForScope(db: Database, scope: DealScope, level: Level): Promise<MarkovCredit> {
  const p = new SqlParams();
  const deals = dealsCte(scope, p);
  const touches = touchesCtes(scope, p);
  const tenant = p.add(scope.tenantId);
  const site = scope.siteId ? ` AND v.site_id = ${p.add(scope.siteId)}` : '';
  const sql = `WITH ${deals}, ${touches},
    dp AS (SELECT deal_id, string_agg(channel, '${PATH_SEPARATOR}' ORDER BY started_at, visit_id) AS sig FROM t GROUP BY deal_id),
    linked AS (SELECT DISTINCT visitor_id FROM t),
    vp AS (
      SELECT string_agg(v.channel, '${PATH_SEPARATOR}' ORDER BY v.started_at, v.id) AS sig FROM visits v
      WHERE v.tenant_id = ${tenant} AND v.started_at >= ${p.add(scope.period.start.toISOString())} AND v.started_at < ${p.add(scope.period.end.toISOString())}${site}
        AND NOT EXISTS (SELECT 1 FROM linked l WHERE l.visitor_id = v.visitor_id)
      GROUP BY v.visitor_id
    ),
    paths AS (
      SELECT dp.sig, ${levelColumn(level)}::float8 AS conversions, (${levelColumn(level)} * d.revenue)::float8 AS value, (1 - ${levelColumn(level)})::float8 AS nulls
      FROM dp JOIN d ON d.id = dp.deal_id
      UNION ALL
      SELECT sig, 0, 0, 1 FROM vp
    )
    SELECT sig, sum(conversions)::float8 AS conversions, sum(value)::float8 AS value, sum(nulls)::float8 AS nulls FROM paths GROUP BY sig`;
  const { rows } = await reportQuery<{ sig: string; conversions: number; value: number; nulls: number }>(db, sql, p.values);
  const paths: ChannelPath[] = rows.map((row) => ({
    channels: row.sig.split(PATH_SEPARATOR),
    conversions: Number(row.conversions),
    value: Number(row.value),
    nulls: Number(row.nulls),
  }));
  return markovRemovalEffects(paths);
}

/** The full `WITH d, t, c` prefix for `model` (computing Markov's effects first when needed). */
export async function creditedDeals(
  db: Database,
  scope: DealScope,
  model: AttributionModel,
  options: { halfLifeDays: number; level: Level },
): Promise<{ ctes: string; params: SqlParams }> {
  await refreshDealPaths(db, scope.tenantId, scope.period, { lookbackDays: scope.lookbackDays, halfLifeDays: options.halfLifeDays });
  const markov = model === 'markov' ? await markovForScope(db, scope, options.level) : undefined;
  return creditedDealsSql(scope, model, { halfLifeDays: options.halfLifeDays, ...(markov ? { markov } : {}) });
}

/** The `WITH d, t, c` prefix over the rollup as it is (no refresh; Markov's effects given). */
export function creditedDealsSql(scope: DealScope, model: AttributionModel, options: { halfLifeDays: number; markov?: MarkovCredit }): { ctes: string; params: SqlParams } {
  const p = new SqlParams();
  const credit = creditCte(model, p, { halfLifeDays: options.halfLifeDays, siteFiltered: Boolean(scope.siteId), ...(options.markov ? { markov: options.markov } : {}) });
  const ctes = [dealsCte(scope, p), touchesCtes(scope, p), credit].join(',\n');
  return { ctes, params: p };
}

/**
 * Whether any deal of the period needs its path (re)computed: a report under a rule-based model
 * runs its query while this is checked, and runs it again after `refreshDealPaths` only if so.
 */
export async function dealPathsStale(db: Database, tenantId: string, period: Period, settings: PathSettings): Promise<boolean> {
  // Counted rather than LIMIT 1: with a limit PostgreSQL picks a nested loop that, when nothing is
  // stale, walks every deal of the period one index probe at a time.
  const { rows } = await reportQuery<{ stale: number }>(db, `SELECT count(*)::int AS stale FROM (${staleDealsSql}) s`, [
    tenantId,
    period.start.toISOString(),
    period.end.toISOString(),
    settings.lookbackDays,
    settings.halfLifeDays,
  ]);
  return Number(rows[0]?.stale ?? 0) > 0;
}
