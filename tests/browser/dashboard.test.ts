/**
 * The dashboard in Debian's Chromium against the real product and its real reports API: three
 * visitors' visits and deals with stage changes are seeded, ad costs are uploaded through the
 * page's own form, and the channels table is read as a user sees it, under two attribution models.
 *
 * The seeded history (days before now):
 *   visitor A: Organic Search (google) -10, Paid Search (yandex cpc) -5, Direct -2; deal A created -1, won, 100,000
 *   visitor B: Paid Search (yandex cpc) -8; deal B created -7, won, 50,000
 *   visitor C: Organic Search (google) -6; deal C created -5, still open in "Negotiation"
 *   costs: yandex / cpc, 30,000 (uploaded in the page)
 *
 * Hand-computed, crediting sales:
 *   last non-direct: A -> Paid Search (Direct is skipped), B -> Paid Search, C -> Organic Search
 *     Paid Search: leads 2, deals 2, sales 2, revenue 150,000; ROMI (150,000 - 30,000) / 30,000 = 400%
 *     Organic Search: leads 1, deals 1, sales 0, revenue 0
 *   first click: A -> Organic Search, B -> Paid Search, C -> Organic Search
 *     Paid Search: leads 1, deals 1, sales 1, revenue 50,000; ROMI (50,000 - 30,000) / 30,000 = 66.7%
 *     Organic Search: leads 2, deals 2, sales 1, revenue 100,000
 *   visits are counted directly under every model: Paid Search 2, Organic Search 2, Direct 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { launchBrowser } from '../support/browser.js';
import { issueTenantSession } from '../../server/security/tenantSession.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, createTestSite, type CreatedSite } from '../support/tracking.js';
import { repoRoot } from '../support/repoRoot.js';

const DAY_MS = 86_400_000;

/** Visits, deals and their stage history as the tracker and the CRM sync would have stored them. */
async function seed(app: TestRuntime, site: CreatedSite, now: number): Promise<void> {
  const db = app.runtime.deps.db;
  const tenant = site.tenant_id;
  const at = (days: number) => new Date(now - days * DAY_MS).toISOString();
  await db.query(
    `INSERT INTO crm_accounts (tenant_id, crm, account_id, domain, hook_key, status) VALUES ($1, 'amocrm', '5001', 'sofas.amocrm.ru', 'hook-dashboard-browser', 'active')`,
    [tenant],
  );
  await db.query(
    `INSERT INTO crm_stages (tenant_id, pipeline_id, stage_id, pipeline_name, name, sort, kind) VALUES
       ($1, '10', '1', 'Sales', 'New lead', 10, 'entry'),
       ($1, '10', '2', 'Sales', 'Negotiation', 20, 'open'),
       ($1, '10', '142', 'Sales', 'Won', 10000, 'won'),
       ($1, '10', '143', 'Sales', 'Lost', 11000, 'lost')`,
    [tenant],
  );
  const visits: Array<[id: string, visitor: string, days: number, source: string, medium: string, campaign: string | null, channel: string, url: string]> = [
    ['va1', 'vis-a', 10, 'google', 'organic', null, 'Organic Search', 'https://shop.example/'],
    ['va2', 'vis-a', 5, 'yandex', 'cpc', 'sofas', 'Paid Search', 'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofas'],
    ['va3', 'vis-a', 2, '(direct)', '(none)', null, 'Direct', 'https://shop.example/cart'],
    ['vb1', 'vis-b', 8, 'yandex', 'cpc', 'sofas', 'Paid Search', 'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofas'],
    ['vc1', 'vis-c', 6, 'google', 'organic', null, 'Organic Search', 'https://shop.example/sofas'],
  ];
  for (const visitor of ['vis-a', 'vis-b', 'vis-c']) {
    await db.query('INSERT INTO visitors (tenant_id, id, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $3)', [tenant, visitor, at(10)]);
  }
  for (const [id, visitor, days, source, medium, campaign, channel, url] of visits) {
    await db.query(
      `INSERT INTO visits (tenant_id, id, site_id, visitor_id, started_at, last_activity_at, landing_url, source, medium, campaign, channel, device_type, pageviews)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, 'desktop', 3)`,
      [tenant, id, site.id, visitor, at(days), url, source, medium, campaign, channel],
    );
  }
  const deals: Array<[id: string, visitor: string, created: number, stage: string, outcome: string, amount: number, closed: number | null, user: string, contact: string]> = [
    ['1001', 'vis-a', 1, '142', 'won', 100_000, 0.5, '501', '7001'],
    ['1002', 'vis-b', 7, '142', 'won', 50_000, 3, '502', '7002'],
    ['1003', 'vis-c', 5, '2', 'open', 30_000, null, '501', '7003'],
  ];
  for (const [id, visitor, created, stage, outcome, amount, closed, user, contact] of deals) {
    await db.query(
      `INSERT INTO deals (tenant_id, id, name, pipeline_id, stage_id, outcome, amount, responsible_user_id, created_at, closed_at, visitor_id, match_method, match_confidence, matched_at, contact_ids)
       VALUES ($1, $2, $3, '10', $4, $5, $6, $7, $8, $9, $10, 'visitor_id', 1, $8, ARRAY[$11])`,
      [tenant, id, `Deal ${id}`, stage, outcome, amount, user, at(created), closed === null ? null : at(closed), visitor, contact],
    );
    const moves = outcome === 'won' ? (id === '1001' ? ['1', '2', '142'] : ['1', '142']) : ['1', '2'];
    let from: string | null = null;
    for (const [index, to] of moves.entries()) {
      await db.query(
        `INSERT INTO stage_changes (tenant_id, deal_id, pipeline_id, from_stage_id, to_stage_id, at, origin) VALUES ($1, $2, '10', $3, $4, $5, 'webhook')`,
        [tenant, id, from, to, new Date(Date.parse(at(created)) + index * 3_600_000).toISOString()],
      );
      from = to;
    }
  }
}

type ChannelTable = Map<string, string[]>;

/** Intl puts no-break spaces between a currency and its number; compare with plain ones. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/[\u00a0\u202f]/g, ' ');

/** The channels table as shown: row label -> the cells after it. */
async function channelTable(page: Page): Promise<ChannelTable> {
  const rows = await page.$$eval('#lf-channels-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
  return new Map(rows.map((cells) => [cells[0]!, cells.slice(1).map(plain)]));
}

/** Column positions after the label (see ChannelsSection.draw). */
const COL = { visits: 0, visitors: 1, leads: 2, deals: 3, sales: 4, revenue: 5, cost: 6, romi: 9 } as const;

async function waitForChannels(page: Page, check: (table: ChannelTable) => boolean, what: string): Promise<ChannelTable> {
  let last: ChannelTable = new Map();
  for (let attempt = 0; attempt < 100; attempt++) {
    const ready = await page.$('#lf-channels .lf-body[data-state=ready]');
    if (ready) {
      last = await channelTable(page);
      if (check(last)) return last;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`the channels table never showed ${what}; last seen: ${JSON.stringify([...last])}`);
}

/**
 * A page that behaves like amoCRM's advanced_settings page: it frames the dashboard and, once the
 * frame says it is listening, posts it the session the CRM side obtained. `/crm?app=...&tenant=...&session=...`.
 */
async function startCrmHost(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://crm.invalid');
    if (url.pathname !== '/crm') {
      response.writeHead(404).end();
      return;
    }
    const app = url.searchParams.get('app')!;
    const frameUrl = `${app}/dashboard?tenant_id=${encodeURIComponent(url.searchParams.get('tenant')!)}&lang=en`;
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html><body>
      <iframe id="lf" src="${frameUrl}" width="1300" height="900"></iframe>
      <script>
        window.received = [];
        document.getElementById('lf').addEventListener('load', () => { window.frameLoaded = true; });
        window.addEventListener('message', (event) => {
          if (event.origin !== ${JSON.stringify(new URL(app).origin)}) return;
          window.received.push(event.data.type);
          if (event.data.type === 'longfunnel:ready') {
            document.getElementById('lf').contentWindow.postMessage({ type: 'longfunnel:session', token: ${JSON.stringify(url.searchParams.get('session'))} }, ${JSON.stringify(new URL(app).origin)});
          }
        });
      </script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const backendName of testBackends()) {
  describe(`the dashboard in Chromium against seeded reports on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let browser: Browser;
    let site: CreatedSite;
    let crmHost: { port: number; close: () => Promise<void> };

    before(async () => {
      crmHost = await startCrmHost();
      // The amoCRM the tenant's account lives on (an emulator's address in tests): its pages may frame the dashboard.
      backend = await prepareBackend(backendName, { ADMIN_TOKEN, AMOCRM_BASE_URL: `http://127.0.0.1:${crmHost.port}` });
      app = await startTestRuntime(backend.env);
      site = await createTestSite(app.url, { domain: 'shop.example' });
      await seed(app, site, Date.now());
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      await app?.stop();
      await backend?.cleanup();
      await crmHost?.close();
    });

    test('when an admin signs in, uploads costs and switches from last non-direct to first click, then the channels table moves the credit as computed by hand', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(String(error)));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));

      await page.goto(`${app.url}/dashboard?lang=en`);
      await page.fill('#lf-admin-token', ADMIN_TOKEN);
      await page.fill('#lf-tenant-id', site.tenant_id);
      await page.click('#lf-sign-in');

      // The tenant's default model, last non-direct; no costs yet.
      let table = await waitForChannels(page, (rows) => rows.has('Paid Search'), 'the seeded channels');
      assert.equal(await page.$eval('#lf-model', (select) => (select as unknown as { value: string }).value), 'last_non_direct');
      assert.deepEqual([...table.keys()], ['Paid Search', 'Organic Search', 'Direct'], 'sorted by revenue');
      let paid = table.get('Paid Search')!;
      let organic = table.get('Organic Search')!;
      assert.deepEqual([paid[COL.visits], paid[COL.leads], paid[COL.deals], paid[COL.sales], paid[COL.revenue]], ['2', '2', '2', '2', 'RUB 150,000']);
      assert.deepEqual([organic[COL.visits], organic[COL.leads], organic[COL.deals], organic[COL.sales], organic[COL.revenue]], ['2', '1', '1', '0', 'RUB 0']);
      assert.deepEqual([table.get('Direct')![COL.visits], table.get('Direct')![COL.sales]], ['1', '0']);
      assert.equal(paid[COL.romi], '—', 'no cost, no ROMI');
      assert.equal(await page.$('#lf-notices'), null, 'visits and a CRM with deals: nothing to warn about');

      // Costs uploaded through the page's own form.
      const from = new Date(Date.now() - 5 * DAY_MS).toISOString().slice(0, 10);
      await page.setInputFiles('#lf-costs-file', {
        name: 'costs.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(`date,source,medium,campaign,cost,currency\n${from},yandex,cpc,sofas,30000,RUB\n`),
      });
      await page.selectOption('#lf-costs-mapping', 'generic');
      await page.click('#lf-costs-upload');
      await page.waitForSelector('#lf-costs-result >> text=Rows imported: 1.');
      table = await waitForChannels(page, (rows) => rows.get('Paid Search')?.[COL.cost] === 'RUB 30,000', 'the uploaded cost');
      assert.equal(table.get('Paid Search')![COL.romi], '400%');

      // Switch the model: the credit for deal A moves from Paid Search to Organic Search.
      await page.selectOption('#lf-model', 'first');
      table = await waitForChannels(page, (rows) => rows.get('Paid Search')?.[COL.sales] === '1', 'first-click credit');
      paid = table.get('Paid Search')!;
      organic = table.get('Organic Search')!;
      assert.deepEqual([paid[COL.visits], paid[COL.leads], paid[COL.deals], paid[COL.sales], paid[COL.revenue], paid[COL.cost], paid[COL.romi]], ['2', '1', '1', '1', 'RUB 50,000', 'RUB 30,000', '66.7%']);
      assert.deepEqual([organic[COL.visits], organic[COL.leads], organic[COL.deals], organic[COL.sales], organic[COL.revenue]], ['2', '2', '2', '1', 'RUB 100,000']);
      assert.deepEqual([...table.keys()].slice(0, 2), ['Organic Search', 'Paid Search'], 're-sorted by revenue');
      const totals = await page.$$eval('#lf-channels-table tfoot th', (cells) => cells.map((cell) => cell.textContent?.trim()));
      assert.deepEqual([totals[1], totals[6], totals[7]].map(plain), ['5', 'RUB 150,000', 'RUB 30,000'], 'totals do not depend on the model');

      // Drill down: Paid Search -> its sources.
      await page.click('#lf-channels-table button.lf-drill >> text=Paid Search');
      table = await waitForChannels(page, (rows) => rows.has('yandex'), 'the sources of Paid Search');
      assert.deepEqual(table.get('yandex')!.slice(0, 5), ['2', '2', '1', '1', '1']);
      await page.click('#lf-crumbs button');
      await waitForChannels(page, (rows) => rows.has('Organic Search'), 'the channels again');

      // The rest of the reports drew from the same data.
      await page.waitForSelector('#lf-funnel .lf-body[data-state=ready]');
      const funnel = await page.$$eval('#lf-funnel-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent?.trim())));
      // A stage counts every deal that got to it or further: A and C, and B, which went straight to Won.
      assert.deepEqual(funnel.find((row) => row[0] === 'Negotiation'), ['Negotiation', '3']);
      assert.deepEqual(funnel.find((row) => row[0] === 'Sales'), ['Sales', '2']);
      await page.waitForSelector('#lf-paths .lf-body[data-state=ready]');
      assert.match((await page.textContent('#lf-paths table')) ?? '', /Organic Search → Paid Search → Direct|Organic Search → Paid Search/);

      // CSV export: the same table as a file, fetched with the Authorization header (the token is in no URL).
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#lf-channels .lf-csv')]);
      const csvPath = await download.path();
      const csv = fs.readFileSync(csvPath!, 'utf8');
      assert.match(download.suggestedFilename(), /^channels-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
      const lines = csv.trim().split('\n');
      assert.match(lines[0]!, /^channel,visits,visitors,leads,deals,won,revenue,cost/);
      assert.ok(lines.some((line) => line.startsWith('Paid Search,2,2,1,1,1,50000,30000')), csv);
      for (const url of requested) assert.ok(!url.includes(ADMIN_TOKEN), `the token leaked into a URL: ${url}`);

      // In Russian the channel groups read as the deal card names them; the CSV keeps the classifier's names.
      await page.selectOption('#lf-locale', 'ru');
      const russian = await waitForChannels(page, (rows) => rows.has('Платный поиск'), 'the channels in Russian');
      // Still under first click: Organic Search (100,000) before Paid Search (50,000).
      assert.deepEqual([...russian.keys()].slice(0, 3), ['Поиск', 'Платный поиск', 'Прямые заходы']);
      await page.waitForSelector('#lf-paths .lf-body[data-state=ready]');
      assert.match((await page.textContent('#lf-paths table')) ?? '', /Поиск → Платный поиск/);
      await page.selectOption('#lf-locale', 'en');
      await waitForChannels(page, (rows) => rows.has('Paid Search'), 'the channels in English again');

      const screenshotDir = process.env.LF_UPDATE_SCREENSHOTS ? path.join(repoRoot, 'docs/images') : fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-dashboard-'));
      fs.mkdirSync(screenshotDir, { recursive: true });
      const screenshot = path.join(screenshotDir, 'dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      assert.ok(fs.statSync(screenshot).size > 20_000);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('when a tenant has no visits and no CRM yet, then the page says what to install instead of showing empty tables', async () => {
      const fresh = await createTestSite(app.url, { domain: 'new-shop.example' });
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${app.url}/dashboard?lang=en&tenant_id=${fresh.tenant_id}`);
      assert.equal(await page.inputValue('#lf-tenant-id'), fresh.tenant_id, 'the tenant id from the address is filled in');
      await page.fill('#lf-admin-token', ADMIN_TOKEN);
      await page.click('#lf-sign-in');
      await page.waitForSelector('#lf-channels .lf-body[data-state=ready]');
      const notices = await page.$$eval('#lf-notices p', (items) => items.map((item) => item.textContent));
      assert.deepEqual(notices, [
        'No visits recorded yet: install the tracker on your site (one <script> tag, see docs/tracking.md).',
        'No CRM connected yet: install LongFunnel in amoCRM or Bitrix24 to see leads, deals and revenue.',
      ]);
      assert.equal(await page.textContent('#lf-channels .lf-empty'), notices[0]);
      await page.waitForSelector('#lf-managers .lf-body[data-state=ready]');
      assert.equal(await page.textContent('#lf-managers .lf-empty'), notices[1]);
      assert.equal(await page.$('#lf-channels-table'), null);
      await context.close();
    });

    test('when the CRM frames the dashboard and posts a session, then the reports open without a login; another origin cannot frame it', async () => {
      const session = await issueTenantSession(app.runtime.deps.cipher, { tenantId: site.tenant_id, origin: 'amocrm', userId: '501', locale: 'en' });
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      const query = `app=${encodeURIComponent(app.url)}&tenant=${encodeURIComponent(site.tenant_id)}&session=${encodeURIComponent(session)}`;
      await page.goto(`http://127.0.0.1:${crmHost.port}/crm?${query}`);
      const frame = page.frameLocator('#lf');
      await frame.locator('#lf-channels-table').waitFor();
      assert.equal(await frame.locator('.lf-origin').textContent(), 'Opened from the CRM');
      assert.equal(await frame.locator('.lf-login').count(), 0);
      assert.equal(plain(await frame.locator('#lf-channels-table tbody tr').first().locator('td').nth(6).textContent()), 'RUB 150,000');
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as { received: string[] }).received), ['longfunnel:ready']);

      // The same CRM page on another origin (localhost is not the tenant's CRM): the browser refuses to frame the dashboard.
      await page.goto(`http://localhost:${crmHost.port}/crm?${query}`);
      await page.waitForFunction(() => (globalThis as unknown as { frameLoaded?: boolean }).frameLoaded === true);
      const framed = page.frames().find((candidate) => candidate !== page.mainFrame());
      assert.ok(framed);
      assert.equal(await framed.$('#app'), null, `the dashboard rendered inside a foreign page (${framed.url()})`);
      assert.deepEqual(await page.evaluate(() => (globalThis as unknown as { received: string[] }).received), []);
      await context.close();
    });

    test('when the admin token is wrong, then the sign-in form says so and keeps nothing', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${app.url}/dashboard?lang=en`);
      await page.fill('#lf-admin-token', 'not-the-admin-token');
      await page.fill('#lf-tenant-id', site.tenant_id);
      await page.click('#lf-sign-in');
      await page.waitForSelector('.lf-login .lf-error');
      assert.equal(await page.textContent('.lf-login .lf-error'), 'The admin token was not accepted. Sign in again.');
      assert.equal(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('longfunnel.adminToken')), null);
      await context.close();
    });

    test('when a CRM-rendered session expires, then the page says to reopen it from the CRM', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      // A CRM entry point's page with a session that is no longer valid (signed by another key).
      await page.route(`${app.url}/crm-page`, async (route) => {
        const html = await (await fetch(`${app.url}/dashboard?lang=en`)).text();
        const expired = 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnQiOiJ4Iiwib3JpZ2luIjoiYW1vY3JtIiwiZXhwIjoxfQ.c2lnbmF0dXJl';
        await route.fulfill({ contentType: 'text/html', body: html.replace('<meta name="longfunnel-locale"', `<meta name="longfunnel-session" content="${expired}">\n<meta name="longfunnel-locale"`) });
      });
      await page.goto(`${app.url}/crm-page`);
      await page.waitForSelector('.lf-boot.lf-error');
      assert.equal(await page.textContent('.lf-boot.lf-error'), 'The session has expired: reopen the reports from the CRM.');
      await context.close();
    });
  });
}
