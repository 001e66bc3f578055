/**
 * The channels report on a large tenant: 1,000,000 visits (250,000 visitors, a year of traffic)
 * and 100,000 deals seeded in a fresh PostgreSQL database with generate_series, then the channels
 * report over 90 days under last non-direct and Markov, each against a plain `SELECT count(*)`
 * over the visits table in the same run (median of BENCH_REPEATS runs after one warm-up each).
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/observability/logger.js';
import { channelsReport } from '../server/reports/channelsReport.js';
import { refreshDealPaths, refreshVisitMarks } from '../server/reports/dealCredits.js';
import { commonParams } from '../server/reports/reportParams.js';
import { migrate } from '../server/storage/migrate.js';
import { openDatabase } from '../server/storage/openDatabase.js';
import { tenantSettings } from '../server/tenants/tenantSettings.js';
import type { Database } from '../server/storage/database.js';
import type { AttributionModel } from '../server/attribution/index.js';
import { prepareBackend } from '../tests/support/backends.js';

const VISITS = Number(process.env.BENCH_VISITS ?? 1_000_000);
const DEALS = Number(process.env.BENCH_REPORT_DEALS ?? 100_000);
const VISITORS = Math.max(1, Math.round(VISITS / 4));
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const TENANT = 'bench-tenant';

export async function seed(db: Database): Promise<void> {
  await db.query(`INSERT INTO tenants (id, kind, name) VALUES ($1, 'standalone', 'Bench')`, [TENANT]);
  await db.query(`INSERT INTO sites (id, tenant_id, key, domain, hosts) VALUES ('bench-site', $1, 'bench-key', 'shop.example', '{shop.example}')`, [TENANT]);
  await db.query(
    `INSERT INTO crm_stages (tenant_id, pipeline_id, stage_id, pipeline_name, name, sort, kind) VALUES
       ($1, 'p1', 'incoming', 'Sales', 'Incoming', 10, 'entry'), ($1, 'p1', 'contact', 'Sales', 'Contact', 20, 'open'),
       ($1, 'p1', 'offer', 'Sales', 'Offer', 30, 'open'), ($1, 'p1', '142', 'Sales', 'Won', 10000, 'won'), ($1, 'p1', '143', 'Sales', 'Lost', 11000, 'lost')`,
    [TENANT],
  );
  // Traffic mix: (source, medium, channel); paid rows get campaigns and terms.
  const visitsSql = `
    WITH mix(n, source, medium, channel) AS (VALUES
      (0, '(direct)', '(none)', 'Direct'), (1, 'yandex', 'cpc', 'Paid Search'), (2, 'yandex', 'organic', 'Organic Search'),
      (3, 'google', 'organic', 'Organic Search'), (4, 'vk', 'cpc', 'Paid Social'), (5, 't.me', 'referral', 'Referral'),
      (6, 'yandex', 'cpc', 'Paid Search'), (7, 'google', 'cpc', 'Paid Search'), (8, '(direct)', '(none)', 'Direct'), (9, 'mail', 'email', 'Email')),
    raw AS (
      SELECT i, floor(random() * ${VISITORS})::int AS visitor, floor(random() * 10)::int AS pick, random() * 365 AS age_days,
        floor(random() * 20)::int AS campaign, floor(random() * 60)::int AS term
      FROM generate_series(1, ${VISITS}) AS i
    )
    -- in time order, as a visits table fills up
    INSERT INTO visits (tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, referrer, source, medium, campaign, term,
      channel, device_type, pageviews)
    SELECT '${TENANT}', 'visit-' || i, 'bench-site', 'visitor-' || visitor, now() - age_days * interval '1 day', now() - age_days * interval '1 day' + interval '3 minutes',
      'https://shop.example/catalog/sofas?utm_source=' || mix.source || '&utm_medium=' || mix.medium || '&utm_campaign=sofas_' || campaign,
      CASE WHEN mix.medium = 'organic' THEN 'https://' || mix.source || '.ru/search/?text=divan' END,
      mix.source, mix.medium,
      CASE WHEN mix.medium = 'cpc' THEN 'campaign_' || campaign END,
      CASE WHEN mix.medium = 'cpc' THEN 'term_' || term END,
      mix.channel, 'desktop', 1 + (i % 7)
    FROM raw JOIN mix ON mix.n = raw.pick
    ORDER BY age_days DESC`;
  const dealsSql = `
    WITH raw AS (
      SELECT i, floor(random() * ${VISITORS})::int AS visitor, random() * 365 AS age_days, random() AS fate, floor(random() * 10)::int AS manager,
        round((1000 + random() * 99000)::numeric, 2) AS amount
      FROM generate_series(1, ${DEALS}) AS i
    )
    INSERT INTO deals (tenant_id, id, name, pipeline_id, stage_id, outcome, amount, responsible_user_id, created_at, closed_at, visitor_id, match_method,
      match_confidence, entity)
    SELECT '${TENANT}', 'deal-' || i, 'Deal ' || i, 'p1',
      CASE WHEN fate < 0.3 THEN '142' WHEN fate < 0.6 THEN '143' WHEN fate < 0.8 THEN 'offer' ELSE 'incoming' END,
      CASE WHEN fate < 0.3 THEN 'won' WHEN fate < 0.6 THEN 'lost' ELSE 'open' END,
      amount, 'user-' || manager, now() - age_days * interval '1 day',
      CASE WHEN fate < 0.6 THEN now() - age_days * interval '1 day' + (fate * 30) * interval '1 day' END,
      'visitor-' || visitor, 'visitor_id', 1, 'deal'
    FROM raw ORDER BY age_days DESC`;
  await db.transaction(async (tx) => {
    await tx.query('SET LOCAL statement_timeout = 0');
    await tx.query('SELECT setseed(0.42)');
    await tx.query(visitsSql);
    await tx.query(dealsSql);
  });
  for (const table of ['visits', 'deals', 'crm_stages']) await db.query(`VACUUM ANALYZE ${table}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median times of `subject` and `baseline`, measured alternately (one warm-up each first). */
async function timedPair(subject: () => Promise<unknown>, baseline: () => Promise<unknown>): Promise<{ subjectMs: number; baselineMs: number }> {
  await subject();
  await baseline();
  const subjectTimes: number[] = [];
  const baselineTimes: number[] = [];
  for (let i = 0; i < REPEATS; i += 1) {
    let started = performance.now();
    await baseline();
    baselineTimes.push(performance.now() - started);
    started = performance.now();
    await subject();
    subjectTimes.push(performance.now() - started);
  }
  return { subjectMs: median(subjectTimes), baselineMs: median(baselineTimes) };
}

export async function benchReports(): Promise<void> {
  const backend = await prepareBackend('postgres+redis');
  const config = loadConfig(backend.env);
  const logger = createLogger({ level: 'warn', nodeEnv: 'production', stream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  const db = await openDatabase(config, logger);
  try {
    await migrate(db);
    const seedStarted = performance.now();
    await seed(db);
    process.stdout.write(`seeded ${VISITS.toLocaleString('en')} visits, ${VISITORS.toLocaleString('en')} visitors, ${DEALS.toLocaleString('en')} deals in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`);
    const settings = await tenantSettings(db, TENANT);
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
    const report = (model: AttributionModel) => () =>
      channelsReport(db, TENANT, settings, { ...commonParams({ from, to, model }, settings), group: 'channel', drill: {} });

    const rollupStarted = performance.now();
    const recomputed = await refreshDealPaths(db, TENANT, commonParams({ from, to }, settings).period, { lookbackDays: settings.lookbackDays, halfLifeDays: settings.timeDecayHalfLifeDays });
    process.stdout.write(`deal-path rollup for the period's ${recomputed.toLocaleString('en')} deals computed in ${((performance.now() - rollupStarted) / 1000).toFixed(1)} s (once; later reports recompute only deals that changed)\n`);
    const marksStarted = performance.now();
    const marked = await refreshVisitMarks(db, TENANT);
    process.stdout.write(`visit marks for ${marked.toLocaleString('en')} visits computed in ${((performance.now() - marksStarted) / 1000).toFixed(1)} s (once; later reports mark only new visits)\n`);
    // What autovacuum does after a bulk insert, so index-only scans need not visit the table.
    for (const table of ['deal_touches', 'deal_paths', 'visit_marks']) await db.query(`VACUUM ANALYZE ${table}`);
    const answer = await report('last_non_direct')();
    process.stdout.write(`channels report ${from}..${to}: ${answer.rows.length} rows, ${answer.totals.visits} visits, ${answer.totals.leads} leads, ${answer.totals.won} won\n`);
    const ratios: Record<string, number> = {};
    for (const model of ['last_non_direct', 'markov'] as const) {
      const { subjectMs: reportMs, baselineMs: countMs } = await timedPair(report(model), () => db.query('SELECT count(*) FROM visits'));
      ratios[model] = reportMs / countMs;
      process.stdout.write(`${model}: report ${reportMs.toFixed(1)} ms, SELECT count(*) FROM visits ${countMs.toFixed(1)} ms, ratio ${ratios[model]!.toFixed(2)}\n`);
    }
    process.stdout.write(`markov_ratio=${ratios.markov!.toFixed(2)}\n`);
    process.stdout.write(`ratio=${ratios.last_non_direct!.toFixed(2)}\n`);
  } finally {
    await db.close();
    await backend.cleanup();
  }
}
