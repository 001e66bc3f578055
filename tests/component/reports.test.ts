/**
 * The reports API and ad costs on seeded data with hand-computed answers (docs/reports.md), on both
 * backends. The tenant's data (March 2026, lookback 30 days, VAT 20% shown in costs):
 *
 *   visitor A: v1 03-01 10:00 yandex/cpc "sofas"/"divan" (Paid Search), v8 03-01 12:00 yandex/cpc
 *              (Paid Search), v2 03-03 10:00 direct; visitor E (shares a phone with A): v7 03-02
 *              11:00 t.me/referral. Deal D1 (A) created 03-03 12:00, won 1000 on 03-10 12:00, u1, c1.
 *              Path: PS, PS, Referral, Direct.
 *   visitor B: v0 01-15 email (outside the lookback), v3 03-02 09:00 google/organic, v4 03-05 09:00
 *              vk/cpc "spring" (Paid Social), v5 03-06 09:00 yandex/cpc "sofas"/"kreslo" (Paid Search).
 *              Deal D2 (B) created 03-06 10:00, lost from "offer" for "Too expensive", u2, c2. Path: Organic, Paid Social, PS.
 *   visitor C: v6 03-10 08:00 direct. Deal D3 (C) created 03-10 09:00, open in "contact", u1, c1 (a repeat).
 *   D4: no visitor (match none), created 03-12 10:00, won 500 on 03-15 10:00, u2, c3.
 *   D5: not matched yet, created 03-20, in "incoming", nobody responsible.
 *   CRM users: u1 is "Анна Петрова"; u2 was never read (no name).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { creditTouches, markovRemovalEffects, type AttributionModel, type Touch } from '../../server/attribution/index.js';
import { issueTenantSession } from '../../server/security/tenantSession.js';
import type { Database } from '../../server/storage/database.js';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, type CreatedSite } from '../support/tracking.js';

const json = async (response: Response): Promise<any> => response.json();
const MARCH = 'from=2026-03-01&to=2026-03-31';

interface SeedVisit {
  id: string;
  visitor: string;
  at: string;
  source: string;
  medium: string;
  channel: string;
  campaign?: string;
  term?: string;
}

const VISITS: SeedVisit[] = [
  { id: 'v0', visitor: 'B', at: '2026-01-15T09:00:00Z', source: 'mail', medium: 'email', channel: 'Email' },
  { id: 'v1', visitor: 'A', at: '2026-03-01T10:00:00Z', source: 'yandex', medium: 'cpc', channel: 'Paid Search', campaign: 'sofas', term: 'divan' },
  { id: 'v8', visitor: 'A', at: '2026-03-01T12:00:00Z', source: 'yandex', medium: 'cpc', channel: 'Paid Search', campaign: 'sofas', term: 'divan' },
  { id: 'v7', visitor: 'E', at: '2026-03-02T11:00:00Z', source: 't.me', medium: 'referral', channel: 'Referral' },
  { id: 'v3', visitor: 'B', at: '2026-03-02T09:00:00Z', source: 'google', medium: 'organic', channel: 'Organic Search' },
  { id: 'v2', visitor: 'A', at: '2026-03-03T10:00:00Z', source: '(direct)', medium: '(none)', channel: 'Direct' },
  { id: 'v4', visitor: 'B', at: '2026-03-05T09:00:00Z', source: 'vk', medium: 'cpc', channel: 'Paid Social', campaign: 'spring' },
  { id: 'v5', visitor: 'B', at: '2026-03-06T09:00:00Z', source: 'yandex', medium: 'cpc', channel: 'Paid Search', campaign: 'sofas', term: 'kreslo' },
  { id: 'v6', visitor: 'C', at: '2026-03-10T08:00:00Z', source: '(direct)', medium: '(none)', channel: 'Direct' },
];

/** Each deal's path as the reports must see it (lookback 30 days, A and E merged). */
const PATHS: Record<string, string[]> = { D1: ['v1', 'v8', 'v7', 'v2'], D2: ['v3', 'v4', 'v5'], D3: ['v6'], D4: [], D5: [] };
const DEALS = [
  { id: 'D1', visitor: 'A', created: '2026-03-03T12:00:00Z', outcome: 'won', amount: 1000, closed: '2026-03-10T12:00:00Z', stage: '142', user: 'u1', contacts: ['c1'], method: 'visitor_id', reason: null },
  { id: 'D2', visitor: 'B', created: '2026-03-06T10:00:00Z', outcome: 'lost', amount: 2000, closed: '2026-03-09T10:00:00Z', stage: '143', user: 'u2', contacts: ['c2'], method: 'visitor_id', reason: null },
  { id: 'D3', visitor: 'C', created: '2026-03-10T09:00:00Z', outcome: 'open', amount: 700, closed: null, stage: 'contact', user: 'u1', contacts: ['c1'], method: 'visitor_id', reason: null },
  { id: 'D4', visitor: null, created: '2026-03-12T10:00:00Z', outcome: 'won', amount: 500, closed: '2026-03-15T10:00:00Z', stage: '142', user: 'u2', contacts: ['c3'], method: 'none', reason: 'no_identity' },
  { id: 'D5', visitor: null, created: '2026-03-20T10:00:00Z', outcome: 'open', amount: null, closed: null, stage: 'incoming', user: null, contacts: [], method: null, reason: null },
] as const;
const STAGE_CHANGES = [
  ['D1', 'incoming', 'contact', '2026-03-04T12:00:00Z'],
  ['D1', 'contact', '142', '2026-03-10T12:00:00Z'],
  ['D2', 'incoming', 'contact', '2026-03-07T10:00:00Z'],
  ['D2', 'contact', 'offer', '2026-03-08T10:00:00Z'],
  ['D2', 'offer', '143', '2026-03-09T10:00:00Z'],
  ['D3', 'incoming', 'contact', '2026-03-11T09:00:00Z'],
  ['D4', 'incoming', '142', '2026-03-15T10:00:00Z'],
] as const;

async function seedTenant(db: Database, tenantId: string, siteId: string): Promise<void> {
  for (const [stage, name, sort, kind] of [
    ['incoming', 'Incoming', 10, 'entry'],
    ['contact', 'Contact', 20, 'open'],
    ['offer', 'Offer', 30, 'open'],
    ['142', 'Won', 10000, 'won'],
    ['143', 'Lost', 11000, 'lost'],
  ] as const) {
    await db.query(`INSERT INTO crm_stages (tenant_id, pipeline_id, stage_id, pipeline_name, name, sort, kind) VALUES ($1, 'p1', $2, 'Sales', $3, $4, $5)`, [tenantId, stage, name, sort, kind]);
  }
  for (const visit of VISITS) {
    await db.query(
      `INSERT INTO visits (tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, source, medium, campaign, term, channel, device_type)
       VALUES ($1, $2, $3, $4, $5, $5, 'https://shop.example/', $6, $7, $8, $9, $10, 'desktop')`,
      [tenantId, visit.id, siteId, visit.visitor, visit.at, visit.source, visit.medium, visit.campaign ?? null, visit.term ?? null, visit.channel],
    );
  }
  for (const visitor of ['A', 'E']) {
    await db.query(`INSERT INTO visitor_identities (tenant_id, kind, value_hash, visitor_id, origin, seen_at) VALUES ($1, 'phone', 'hash-of-a-phone', $2, 'form', '2026-03-02T12:00:00Z')`, [tenantId, visitor]);
  }
  for (const deal of DEALS) {
    await db.query(
      `INSERT INTO deals (tenant_id, id, pipeline_id, stage_id, outcome, amount, responsible_user_id, created_at, closed_at, contact_ids, visitor_id, match_method, match_reason, entity)
       VALUES ($1, $2, 'p1', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'deal')`,
      [tenantId, deal.id, deal.stage, deal.outcome, deal.amount, deal.user, deal.created, deal.closed, deal.contacts, deal.visitor, deal.method, deal.reason],
    );
  }
  for (const [deal, from, to, at] of STAGE_CHANGES) {
    await db.query(`INSERT INTO stage_changes (tenant_id, deal_id, pipeline_id, from_stage_id, to_stage_id, at, origin) VALUES ($1, $2, 'p1', $3, $4, $5, 'webhook')`, [tenantId, deal, from, to, at]);
  }
  await db.query(`UPDATE deals SET lost_reason = 'Too expensive' WHERE tenant_id = $1 AND id = 'D2'`, [tenantId]);
  await db.query(`INSERT INTO crm_users (tenant_id, user_id, name) VALUES ($1, 'u1', 'Анна Петрова')`, [tenantId]);
}

/** What the engine credits each channel with, over the seeded paths (the reports compute it in SQL). */
function engineCredits(model: AttributionModel): Map<string, { leads: number; won: number; revenue: number }> {
  const visitById = new Map(VISITS.map((visit) => [visit.id, visit]));
  const touchesOf = (dealId: string): Touch[] =>
    PATHS[dealId]!.map((id) => {
      const visit = visitById.get(id)!;
      return { channel: visit.channel, at: new Date(visit.at), direct: visit.source === '(direct)' };
    });
  const markov =
    model === 'markov'
      ? markovRemovalEffects(
          DEALS.filter((deal) => PATHS[deal.id]!.length > 0).map((deal) => ({
            channels: touchesOf(deal.id).map((touch) => touch.channel),
            conversions: deal.outcome === 'won' ? 1 : 0,
            value: deal.outcome === 'won' ? deal.amount! : 0,
            nulls: deal.outcome === 'won' ? 0 : 1,
          })),
        )
      : undefined;
  const out = new Map<string, { leads: number; won: number; revenue: number }>();
  for (const deal of DEALS) {
    const touches = touchesOf(deal.id);
    const credits = touches.length === 0 ? [1] : creditTouches(touches, model, { halfLifeDays: 7, conversionAt: new Date(deal.created), ...(markov ? { markov } : {}) });
    const channels = touches.length === 0 ? ['(none)'] : touches.map((touch) => touch.channel);
    channels.forEach((channel, index) => {
      const entry = out.get(channel) ?? { leads: 0, won: 0, revenue: 0 };
      entry.leads += credits[index]!;
      if (deal.outcome === 'won') {
        entry.won += credits[index]!;
        entry.revenue += credits[index]! * deal.amount!;
      }
      out.set(channel, entry);
    });
  }
  return out;
}

function rowOf(answer: any, channel: string): any {
  const row = answer.rows.find((candidate: any) => candidate.key.channel === channel);
  assert.ok(row, `no row for ${channel} in ${JSON.stringify(answer.rows.map((r: any) => r.key))}`);
  return row;
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-4, `${what}: ${actual} is not ${expected}`);
}

for (const backendName of testBackends()) {
  describe(`reports on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let site: CreatedSite;
    let other: CreatedSite;
    const get = (path: string, tenant = site.tenant_id) => fetch(`${app.url}${path}${path.includes('?') ? '&' : '?'}tenant_id=${tenant}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const postCosts = (body: string, query = '', headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` }) =>
      fetch(`${app.url}/api/v1/costs?tenant_id=${site.tenant_id}${query}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body });

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env);
      site = await createTestSite(app.url, { domain: 'shop.example' });
      other = await createTestSite(app.url, { domain: 'other.example' });
      const settings = await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/settings`, {
        method: 'PATCH',
        headers: adminHeaders,
        body: JSON.stringify({ lookbackDays: 30, vatPercent: 20, costsIncludeVat: true, attributionModel: 'last_non_direct' }),
      });
      assert.equal(settings.status, 200);
      const db = app.runtime.deps.db;
      await seedTenant(db, site.tenant_id, site.id);
      // The other tenant: one visit and one won deal of its own.
      await db.query(
        `INSERT INTO visits (tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, source, medium, channel, device_type)
         VALUES ($1, 'ov1', $2, 'OA', '2026-03-05T10:00:00Z', '2026-03-05T10:00:00Z', 'https://other.example/', 'bing', 'organic', 'Organic Search', 'desktop')`,
        [other.tenant_id, other.id],
      );
      await db.query(
        `INSERT INTO deals (tenant_id, id, outcome, amount, created_at, visitor_id, match_method) VALUES ($1, 'OD1', 'won', 9999, '2026-03-05T11:00:00Z', 'OA', 'visitor_id')`,
        [other.tenant_id],
      );
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    test('when the channels report is asked under last non-direct, then each deal is credited to its last non-direct touch', async () => {
      const response = await get(`/api/v1/reports/channels?${MARCH}`);
      assert.equal(response.status, 200);
      const answer = await json(response);
      assert.deepEqual(answer.period, { from: '2026-03-01', to: '2026-03-31' });
      assert.equal(answer.model, 'last_non_direct');
      assert.equal(answer.level, 'won');
      assert.equal(answer.group, 'channel');
      assert.equal(answer.currency, 'RUB');
      const referral = rowOf(answer, 'Referral');
      assert.deepEqual(
        { visits: referral.visits, visitors: referral.visitors, leads: referral.leads, deals: referral.deals, won: referral.won, revenue: referral.revenue, average_deal: referral.average_deal },
        { visits: 1, visitors: 1, leads: 1, deals: 1, won: 1, revenue: 1000, average_deal: 1000 },
      );
      const paidSearch = rowOf(answer, 'Paid Search');
      assert.deepEqual([paidSearch.visits, paidSearch.visitors, paidSearch.leads, paidSearch.deals, paidSearch.won, paidSearch.revenue], [3, 2, 1, 1, 0, 0]);
      assert.deepEqual(paidSearch.conversion, { visit_to_lead: 0.333333, lead_to_deal: 1, deal_to_won: 0 });
      const direct = rowOf(answer, 'Direct');
      assert.deepEqual([direct.visits, direct.visitors, direct.leads, direct.deals, direct.won], [2, 2, 1, 1, 0]);
      const none = rowOf(answer, '(none)');
      assert.deepEqual([none.visits, none.leads, none.deals, none.won, none.revenue], [0, 2, 1, 1, 500]);
      assert.equal(rowOf(answer, 'Organic Search').leads, 0);
      assert.equal(answer.rows[0].key.channel, 'Referral', 'sorted by revenue');
      assert.deepEqual(
        [answer.totals.visits, answer.totals.visitors, answer.totals.leads, answer.totals.deals, answer.totals.won, answer.totals.revenue],
        [8, 4, 5, 4, 2, 1500],
      );
      assert.equal(answer.totals.conversion.deal_to_won, 0.5);
    });

    test('when a stage is chosen, then the deals that reached it are credited per channel too (entered it, got past it, or won)', async () => {
      // Offer (sort 30): D1 won (Referral), D2 went through it before it was lost (Paid Search), D4 won
      // (no source); D3 is still at Contact (sort 20) and D5 at Incoming.
      const answer = await json(await get(`/api/v1/reports/channels?${MARCH}&stage_id=offer`));
      assert.deepEqual(
        ['Referral', 'Paid Search', 'Direct', '(none)'].map((channel) => rowOf(answer, channel).reached_stage),
        [1, 1, 0, 1],
      );
      assert.equal(answer.totals.reached_stage, 3);
      const contact = await json(await get(`/api/v1/reports/channels?${MARCH}&stage_id=contact`));
      assert.equal(contact.totals.reached_stage, 4);
      const plain = await json(await get(`/api/v1/reports/channels?${MARCH}`));
      assert.equal('reached_stage' in plain.totals, false, 'no stage asked, no column');

      const csv = await (await get(`/api/v1/reports/channels?${MARCH}&stage_id=offer&format=csv`)).text();
      const [header, ...lines] = csv.trim().split('\n');
      assert.match(header ?? '', /,deals,reached_stage,won,/);
      assert.equal(lines.length, answer.rows.length);

      const markov = await get(`/api/v1/reports/channels?${MARCH}&stage_id=offer&level=stage&model=markov`);
      assert.equal(markov.status, 200);
      assert.equal((await json(markov)).level, 'stage');
      const missing = await get(`/api/v1/reports/channels?${MARCH}&level=stage`);
      assert.equal(missing.status, 422);
      assert.match((await json(missing)).error.message, /stage_id/);
    });

    test('when the channels report is asked under first touch and linear, then credit moves as the models say', async () => {
      const first = await json(await get(`/api/v1/reports/channels?${MARCH}&model=first`));
      assert.equal(first.model, 'first');
      assert.deepEqual([rowOf(first, 'Paid Search').leads, rowOf(first, 'Paid Search').won, rowOf(first, 'Paid Search').revenue], [1, 1, 1000]);
      assert.deepEqual([rowOf(first, 'Organic Search').leads, rowOf(first, 'Organic Search').won], [1, 0]);
      assert.equal(rowOf(first, 'Direct').leads, 1);
      assert.equal(first.rows.find((row: any) => row.key.channel === 'Referral')?.leads ?? 0, 0);

      const linear = await json(await get(`/api/v1/reports/channels?${MARCH}&model=linear`));
      const ps = rowOf(linear, 'Paid Search');
      assert.deepEqual([ps.leads, ps.won, ps.revenue], [0.833333, 0.5, 500]);
      assert.deepEqual([rowOf(linear, 'Direct').leads, rowOf(linear, 'Direct').revenue], [1.25, 250]);
      assert.deepEqual([rowOf(linear, 'Referral').leads, rowOf(linear, 'Referral').revenue], [0.25, 250]);
      assert.deepEqual([rowOf(linear, 'Organic Search').leads, rowOf(linear, 'Paid Social').leads], [0.333333, 0.333333]);
      assert.equal(linear.totals.leads, 5);
      assert.equal(linear.totals.revenue, 1500);
    });

    test('when any model is asked, then the SQL credits equal the attribution engine on the same paths', async () => {
      for (const model of ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov'] as const) {
        const answer = await json(await get(`/api/v1/reports/channels?${MARCH}&model=${model}`));
        const expected = engineCredits(model);
        for (const [channel, credit] of expected) {
          const row = answer.rows.find((candidate: any) => candidate.key.channel === channel);
          near(row?.leads ?? 0, credit.leads, `${model} ${channel} leads`);
          near(row?.won ?? 0, credit.won, `${model} ${channel} won`);
          assert.ok(Math.abs((row?.revenue ?? 0) - credit.revenue) < 0.01, `${model} ${channel} revenue ${row?.revenue} vs ${credit.revenue}`);
        }
        near(answer.totals.leads, 5, `${model} total leads`);
      }
    });

    test('when drilling down, then rows are keyed by channel, source, campaign and term under the filters', async () => {
      const sources = await json(await get(`/api/v1/reports/channels?${MARCH}&model=linear&group=source&channel=Paid%20Search`));
      assert.deepEqual(sources.rows.map((row: any) => row.key), [{ channel: 'Paid Search', source: 'yandex' }]);
      const terms = await json(await get(`/api/v1/reports/channels?${MARCH}&model=linear&group=term&channel=Paid%20Search&source=yandex&campaign=sofas`));
      const byTerm = Object.fromEntries(terms.rows.map((row: any) => [row.key.term, row]));
      assert.deepEqual(Object.keys(byTerm).sort(), ['divan', 'kreslo']);
      assert.deepEqual([byTerm.divan.visits, byTerm.divan.leads, byTerm.divan.revenue, byTerm.divan.cost], [2, 0.5, 500, null]);
      assert.deepEqual([byTerm.kreslo.visits, byTerm.kreslo.leads], [1, 0.333333]);
      assert.deepEqual(terms.rows[0].key, { channel: 'Paid Search', source: 'yandex', campaign: 'sofas', term: 'divan' });
    });

    test('when costs are imported, then bad lines are reported by number, VAT is applied, costs join their channel, and ROMI follows', async () => {
      const csv = [
        'date,source,medium,campaign,cost,currency',
        '2026-03-01,yandex,cpc,sofas,1200,RUB',
        '2026-03-02,yandex,cpc,sofas,1200,RUB',
        '2026-03-02,vk,cpc,spring,600,RUB',
        'bad-date,yandex,cpc,sofas,10,RUB',
        '2026-03-03,yandex,cpc,sofas,abc,RUB',
        '2026-03-03,google,cpc,x,5,USD',
        '2026-03-04,yandex,cpc',
      ].join('\n');
      const response = await postCosts(csv);
      assert.equal(response.status, 200);
      const result = await json(response);
      assert.equal(result.imported, 3);
      assert.deepEqual(result.skipped.map((line: any) => line.line), [5, 6, 7, 8]);
      assert.match(result.skipped[0].reason, /date/);
      assert.match(result.skipped[1].reason, /cost/);
      assert.match(result.skipped[2].reason, /USD/);
      assert.match(result.skipped[3].reason, /columns/);

      const answer = await json(await get(`/api/v1/reports/channels?${MARCH}`));
      const paidSearch = rowOf(answer, 'Paid Search');
      assert.equal(paidSearch.cost, 2880, '2,400 without VAT, shown with 20% VAT');
      assert.equal(paidSearch.cpl, 2880);
      assert.equal(paidSearch.cost_per_sale, null);
      assert.equal(paidSearch.romi, -1);
      assert.equal(rowOf(answer, 'Paid Social').cost, 720);
      assert.equal(rowOf(answer, 'Referral').romi, null, 'no cost: no ROMI');
      assert.equal(answer.totals.cost, 3600);
      assert.equal(answer.totals.romi, ratio(1500 - 3600, 3600));

      const first = await json(await get(`/api/v1/reports/channels?${MARCH}&model=first`));
      assert.equal(rowOf(first, 'Paid Search').romi, ratio(1000 - 2880, 2880));
      assert.equal(rowOf(first, 'Paid Search').cost_per_sale, 2880);

      // Re-import of one day replaces it.
      const again = await json(await postCosts('date,source,medium,campaign,cost,currency\n2026-03-01,yandex,cpc,sofas,600,RUB\n'));
      assert.deepEqual(again, { imported: 1, skipped: [] });
      assert.equal(rowOf(await json(await get(`/api/v1/reports/channels?${MARCH}`)), 'Paid Search').cost, 2160);
      const listed = await json(await get(`/api/v1/costs?from=2026-03-01&to=2026-03-01`));
      assert.deepEqual(listed.rows, [{ date: '2026-03-01', source: 'yandex', medium: 'cpc', campaign: 'sofas', cost: 720, currency: 'RUB' }]);
    });

    test('when a Yandex Direct report or a VK Ads export is uploaded with a tenant API key, then their columns are mapped', async () => {
      const created = await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/api-keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ label: 'costs' }) });
      const { key } = await json(created);
      const asKey = { authorization: `Bearer ${key}` };
      const direct = ['Costs (2026-04-01 - 2026-04-02)', 'Date\tCampaignName\tClicks\tCost', '2026-04-01\tsofas\t10\t100.50', '2026-04-01\tsofas\t3\t20', '2026-04-02\tchairs\t1\t5', 'Total rows: 3'].join('\n');
      const directResult = await json(await postCosts(direct, '&mapping=yandex_direct&vat=included', asKey));
      assert.deepEqual(directResult, { imported: 3, skipped: [] });
      const vk = ['Дата;Кампания;Показы;Потрачено', '01.04.2026;spring;1000;1 234,50', '31.04.2026;spring;1;1'].join('\n');
      const vkResult = await json(await postCosts(vk, '&mapping=vk_ads', asKey));
      assert.equal(vkResult.imported, 1);
      assert.deepEqual(vkResult.skipped.map((line: any) => line.line), [3]);
      const listed = await json(await fetch(`${app.url}/api/v1/costs?from=2026-04-01&to=2026-04-30`, { headers: asKey }));
      assert.deepEqual(listed.rows, [
        { date: '2026-04-01', source: 'vk', medium: 'cpc', campaign: 'spring', cost: 1481.4, currency: 'RUB' },
        { date: '2026-04-01', source: 'yandex', medium: 'cpc', campaign: 'sofas', cost: 120.5, currency: 'RUB' },
        { date: '2026-04-02', source: 'yandex', medium: 'cpc', campaign: 'chairs', cost: 5, currency: 'RUB' },
      ]);
      const unmapped = await postCosts('something,else\n1,2\n', '&mapping=generic');
      assert.equal(unmapped.status, 422);
      assert.match((await json(unmapped)).error.message, /header/);
    });

    test('when the funnel is asked, then stages count deals that reached them, median stays, and losses by stage', async () => {
      const answer = await json(await get(`/api/v1/reports/funnel?${MARCH}`));
      assert.equal(answer.pipeline_id, 'p1');
      assert.equal(answer.currency, 'RUB');
      assert.deepEqual([answer.visits, answer.leads, answer.won], [8, 5, 2]);
      assert.deepEqual(
        answer.stages.map((stage: any) => [stage.stage_id, stage.entered, stage.conversion_from_previous, stage.median_seconds_in_stage]),
        [
          ['incoming', 5, 1, 86400],
          ['contact', 4, 0.8, 302400],
          ['offer', 3, 0.75, 86400],
          ['142', 2, 0.666667, null],
        ],
      );
      assert.deepEqual(answer.stages[2].lost, [{ reason: 'Too expensive', count: 1 }]);
      assert.deepEqual(answer.stages[0].lost, []);
      assert.deepEqual(answer.stages[1].lost, []);
      const referral = answer.by_channel.find((row: any) => row.channel === 'Referral');
      assert.deepEqual(referral, { channel: 'Referral', visits: 1, leads: 1, stages: ['incoming', 'contact', 'offer', '142'].map((stage_id) => ({ stage_id, entered: 1 })), won: 1 });
      const paidSearch = await json(await get(`/api/v1/reports/funnel?${MARCH}&channel=Paid%20Search`));
      assert.deepEqual([paidSearch.visits, paidSearch.leads, paidSearch.won], [3, 1, 0]);
      assert.deepEqual(paidSearch.stages.map((stage: any) => stage.entered), [1, 1, 1, 0]);
      assert.deepEqual(paidSearch.stages[2].lost, [{ reason: 'Too expensive', count: 1 }]);
      // D2 credits only Paid Search under last non-direct: Organic Search lost nothing.
      const organic = await json(await get(`/api/v1/reports/funnel?${MARCH}&channel=Organic%20Search`));
      assert.deepEqual(organic.stages[2].lost, []);
    });

    test(`when a lost deal has no reason of its own, then its failure stage's reason is used, and "unknown" only when there is none`, async () => {
      const db = app.runtime.deps.db;
      try {
        // Bitrix24-style: no reason on the deal, its failure stage stands for one.
        await db.query(`UPDATE deals SET lost_reason = NULL WHERE tenant_id = $1 AND id = 'D2'`, [site.tenant_id]);
        await db.query(`UPDATE crm_stages SET lost_reason = 'Chose a competitor' WHERE tenant_id = $1 AND stage_id = '143'`, [site.tenant_id]);
        const byStage = await json(await get(`/api/v1/reports/funnel?${MARCH}`));
        assert.deepEqual(byStage.stages[2].lost, [{ reason: 'Chose a competitor', count: 1 }]);
        await db.query(`UPDATE crm_stages SET lost_reason = NULL WHERE tenant_id = $1 AND stage_id = '143'`, [site.tenant_id]);
        const none = await json(await get(`/api/v1/reports/funnel?${MARCH}`));
        assert.deepEqual(none.stages[2].lost, [{ reason: 'unknown', count: 1 }]);
      } finally {
        await db.query(`UPDATE crm_stages SET lost_reason = NULL WHERE tenant_id = $1 AND stage_id = '143'`, [site.tenant_id]);
        await db.query(`UPDATE deals SET lost_reason = 'Too expensive' WHERE tenant_id = $1 AND id = 'D2'`, [site.tenant_id]);
      }
    });

    test('when managers are asked, then each responsible user has deals, conversion, revenue and median days to win', async () => {
      const answer = await json(await get(`/api/v1/reports/managers?${MARCH}`));
      assert.equal(answer.currency, 'RUB');
      assert.deepEqual(answer.rows, [
        { user_id: 'u1', user_name: 'Анна Петрова', deals: 2, won: 1, conversion: 0.5, revenue: 1000, median_days_to_win: 7 },
        { user_id: 'u2', user_name: null, deals: 2, won: 1, conversion: 0.5, revenue: 500, median_days_to_win: 3 },
        { user_id: null, user_name: null, deals: 1, won: 0, conversion: 0, revenue: 0, median_days_to_win: null },
      ]);
    });

    test('when paths are asked, then won paths are listed with repeats collapsed', async () => {
      const answer = await json(await get(`/api/v1/reports/paths?${MARCH}`));
      assert.deepEqual(answer.rows, [{ path: ['Paid Search', 'Referral', 'Direct'], deals: 1, won: 1, revenue: 1000 }]);
    });

    test('when LTV is asked, then contacts are grouped by the first touch of their first deal with repeat deals', async () => {
      const answer = await json(await get(`/api/v1/reports/ltv?${MARCH}`));
      assert.deepEqual(answer.rows, [
        { first_touch_source: 'yandex', contacts: 1, deals: 2, repeat_deals: 1, revenue: 1000, revenue_per_contact: 1000, by_month: [{ month: '2026-03', deals: 2, revenue: 1000 }] },
        { first_touch_source: '(none)', contacts: 1, deals: 1, repeat_deals: 0, revenue: 500, revenue_per_contact: 500, by_month: [{ month: '2026-03', deals: 1, revenue: 500 }] },
        { first_touch_source: 'google', contacts: 1, deals: 1, repeat_deals: 0, revenue: 0, revenue_per_contact: 0, by_month: [{ month: '2026-03', deals: 1, revenue: 0 }] },
      ]);
    });

    test('when leads without a source are asked, then share, daily trend and reasons are given', async () => {
      const answer = await json(await get(`/api/v1/reports/unmatched?${MARCH}`));
      assert.deepEqual([answer.total, answer.unmatched, answer.share, answer.currency], [5, 2, 0.4, 'RUB']);
      assert.equal(answer.trend.length, 31);
      assert.deepEqual(answer.trend.find((day: any) => day.date === '2026-03-12'), { date: '2026-03-12', total: 1, unmatched: 1 });
      assert.deepEqual(answer.trend.find((day: any) => day.date === '2026-03-03'), { date: '2026-03-03', total: 1, unmatched: 0 });
      assert.deepEqual(answer.reasons, [
        { reason: 'no_identity', count: 1 },
        { reason: 'not matched yet', count: 1 },
      ]);
    });

    test('when visits and leads over time are asked, then each day has its visits and credited leads', async () => {
      const answer = await json(await get(`/api/v1/reports/timeseries?${MARCH}`));
      assert.equal(answer.interval, 'day');
      const point = (date: string, key: string) => answer.series.find((entry: any) => entry.date === date && entry.key === key);
      assert.deepEqual(point('2026-03-01', 'Paid Search'), { date: '2026-03-01', key: 'Paid Search', visits: 2, leads: 0 });
      assert.deepEqual(point('2026-03-03', 'Referral'), { date: '2026-03-03', key: 'Referral', visits: 0, leads: 1 });
      const weekly = await json(await get(`/api/v1/reports/timeseries?${MARCH}&interval=week&group=source`));
      const yandexWeek = weekly.series.find((entry: any) => entry.date === '2026-02-23' && entry.key === 'yandex');
      assert.deepEqual(yandexWeek, { date: '2026-02-23', key: 'yandex', visits: 2, leads: 0 }, 'March 1st 2026 is a Sunday: its week starts on Monday 23 February');
    });

    test('when CSV is asked, then a download with a header and one line per row comes back', async () => {
      const response = await get(`/api/v1/reports/channels?${MARCH}&format=csv&model=last_non_direct`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(response.headers.get('content-disposition'), 'attachment; filename="channels-2026-03-01-2026-03-31.csv"');
      const lines = (await response.text()).trim().split('\n');
      assert.equal(lines[0], 'channel,visits,visitors,leads,deals,won,revenue,cost,cpl,cost_per_sale,romi,average_deal,visit_to_lead,lead_to_deal,deal_to_won');
      assert.equal(lines[1], 'Referral,1,1,1,1,1,1000,0,0,0,,1000,1,1,1');
      assert.equal(lines.length, 1 + 6);
      const paths = await get(`/api/v1/reports/paths?${MARCH}&format=csv`);
      assert.equal(await paths.text(), 'path,deals,won,revenue\nPaid Search > Referral > Direct,1,1,1000\n');
    });

    test('when there is no token, then 401; a session of another tenant sees only that tenant; an unknown tenant is 404', async () => {
      const bare = await fetch(`${app.url}/api/v1/reports/channels?${MARCH}`);
      assert.equal(bare.status, 401);
      assert.equal((await json(bare)).error.code, 'unauthorized');
      assert.equal((await fetch(`${app.url}/api/v1/costs`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'x' })).status, 401);
      const session = await issueTenantSession(app.runtime.deps.cipher, { tenantId: other.tenant_id, origin: 'amocrm' });
      const asOther = await json(await fetch(`${app.url}/api/v1/reports/channels?${MARCH}`, { headers: { authorization: `Bearer ${session}` } }));
      assert.deepEqual(
        asOther.rows.map((row: any) => [row.key.channel, row.visits, row.leads, row.revenue]),
        [['Organic Search', 1, 1, 9999]],
      );
      assert.equal(asOther.totals.cost, 0);
      const managers = await json(await fetch(`${app.url}/api/v1/reports/managers?${MARCH}`, { headers: { authorization: `Bearer ${session}` } }));
      assert.deepEqual(managers.rows.map((row: any) => row.revenue), [9999]);
      assert.equal((await get(`/api/v1/reports/channels?${MARCH}`, 'nobody')).status, 404);
    });

    test('when a parameter is bad, then 422 names it', async () => {
      for (const [query, parameter] of [
        ['from=2026-13-01', 'from'],
        ['from=2026-03-10&to=2026-03-01', 'from'],
        ['model=magic', 'model'],
        ['group=city', 'group'],
        ['level=sales', 'level'],
        ['format=xml', 'format'],
        ['colour=red', 'colour'],
      ] as const) {
        const response = await get(`/api/v1/reports/channels?${query}`);
        assert.equal(response.status, 422, query);
        const { error } = await json(response);
        assert.equal(error.code, 'validation_failed');
        assert.match(error.message, new RegExp(parameter), query);
      }
      const limit = await get('/api/v1/reports/paths?limit=0');
      assert.equal(limit.status, 422);
      assert.match((await json(limit)).error.message, /limit/);
      const interval = await get('/api/v1/reports/timeseries?interval=month');
      assert.match((await json(interval)).error.message, /interval/);
      const mapping = await postCosts('date,source,medium,campaign,cost,currency\n', '&mapping=google_ads');
      assert.equal(mapping.status, 422);
      assert.match((await json(mapping)).error.message, /mapping/);
    });

    test('when deals, visits or settings change after a report, then the next report sees the change (rollups kept up to date)', async () => {
      const db = app.runtime.deps.db;
      const lnd = async (extra = '') => json(await get(`/api/v1/reports/channels?${MARCH}&model=last_non_direct${extra}`));
      const before = await lnd();
      assert.deepEqual([rowOf(before, 'Direct').leads, rowOf(before, '(none)').leads], [1, 2]);

      // D5 gets matched to visitor C: its path is C's direct visit.
      await db.query(`UPDATE deals SET visitor_id = 'C', match_method = 'visitor_id', enriched_at = now() WHERE tenant_id = $1 AND id = 'D5'`, [site.tenant_id]);
      const matched = await lnd();
      assert.deepEqual([rowOf(matched, 'Direct').leads, rowOf(matched, '(none)').leads], [2, 1]);

      // New visits: a new visitor, then a second Paid Social visit of B in the period (B is counted once).
      const addVisit = (id: string, visitor: string, at: string, siteId = site.id, source = 'vk', medium = 'cpc', channel = 'Paid Social') =>
        db.query(
          `INSERT INTO visits (tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, source, medium, channel, device_type)
           VALUES ($1, $2, $3, $4, $5, $5, 'https://shop.example/', $6, $7, $8, 'desktop')`,
          [site.tenant_id, id, siteId, visitor, at, source, medium, channel],
        );
      await addVisit('v9', 'F', '2026-03-25T10:00:00Z');
      let answer = await lnd();
      assert.deepEqual([rowOf(answer, 'Paid Social').visits, rowOf(answer, 'Paid Social').visitors, answer.totals.visits, answer.totals.visitors], [2, 2, 9, 5]);
      await addVisit('v10', 'B', '2026-03-25T10:30:00Z');
      answer = await lnd();
      assert.deepEqual([rowOf(answer, 'Paid Social').visits, rowOf(answer, 'Paid Social').visitors, answer.totals.visits, answer.totals.visitors], [3, 2, 10, 5]);
      const bySource = await json(await get(`/api/v1/reports/channels?${MARCH}&group=source&channel=Paid%20Social`));
      assert.deepEqual(bySource.rows.map((row: any) => [row.key.source, row.visits, row.visitors]), [['vk', 3, 2]], 'the grouping path agrees with the marks');
      assert.deepEqual([bySource.totals.visits, bySource.totals.visitors], [3, 2]);

      // A one-day lookback leaves D1 only its direct visit, and D5 (C's visit is ten days older) none.
      const patch = (body: object) => fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/settings`, { method: 'PATCH', headers: adminHeaders, body: JSON.stringify(body) });
      assert.equal((await patch({ lookbackDays: 1 })).status, 200);
      const short = await lnd();
      assert.deepEqual([rowOf(short, 'Direct').leads, rowOf(short, '(none)').leads], [2, 2]);
      assert.equal(short.rows.find((row: any) => row.key.channel === 'Referral')?.leads ?? 0, 0);
      assert.equal((await patch({ lookbackDays: 30 })).status, 200);
      assert.equal(rowOf(await lnd(), 'Referral').leads, 1);

      // A second site of the tenant: only its visits, and only deals whose visitor visited it.
      const second = await createTestSite(app.url, { domain: 'second.example', tenant_id: site.tenant_id });
      await addVisit('v11', 'G', '2026-03-26T10:00:00Z', second.id, 'bing', 'organic', 'Organic Search');
      await db.query(
        `INSERT INTO deals (tenant_id, id, pipeline_id, stage_id, outcome, amount, created_at, visitor_id, match_method) VALUES ($1, 'D6', 'p1', '142', 'won', 300, '2026-03-26T11:00:00Z', 'G', 'visitor_id')`,
        [site.tenant_id],
      );
      const onSecond = await lnd(`&site_id=${second.id}`);
      assert.deepEqual(
        onSecond.rows.filter((row: any) => row.visits > 0 || row.leads > 0).map((row: any) => [row.key.channel, row.visits, row.visitors, row.leads, row.revenue]),
        [['Organic Search', 1, 1, 1, 300]],
      );
      assert.deepEqual(
        onSecond.rows.filter((row: any) => row.cost > 0).map((row: any) => row.key.channel).sort(),
        ['Paid Search', 'Paid Social'],
        'costs are per campaign, not per site: they stay',
      );
      assert.deepEqual([onSecond.totals.visits, onSecond.totals.leads], [1, 1]);
      assert.deepEqual([rowOf(await lnd(), 'Organic Search').leads, (await lnd()).totals.leads], [1, 6], 'without the filter, D6 counts with the rest');
    });
  });
}

function ratio(numerator: number, denominator: number): number {
  return Math.round((numerator / denominator) * 1e6) / 1e6;
}
