/**
 * The demo in a real browser, as a newcomer opens what the console printed: the dashboard (signed
 * in with the generated admin token) with channels, revenue, ROMI, the funnel and paths; the demo
 * deal card (the amoCRM card page with the LongFunnel widget) for the enriched deal; and a demo site
 * whose real tracker swaps in a tracking number and captures the request form. Saves
 * demo-dashboard.png and demo-deal-card.png: to docs/images/ with LF_UPDATE_SCREENSHOTS=1 (the
 * README and the demo guide show them), else to a temporary directory, so a test run leaves the
 * checkout as it was.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../support/amocrmWorld.js';
import { launchBrowser } from '../support/browser.js';
import { spawnLongfunnel, waitFor, type RunningProcess } from '../support/processes.js';
import { repoRoot } from '../support/repoRoot.js';

interface DemoReadiness {
  phase: string;
  generator?: { byTenant: Record<string, { won: number; revenue: number }> };
  enrichedDeal?: { tenant: string; dealId: string; cardUrl?: string };
  sites?: Array<{ crm: string; tenant: string; url: string }>;
}

const imagesDir = process.env.LF_UPDATE_SCREENSHOTS ? path.join(repoRoot, 'docs/images') : fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-demo-'));
let demo: RunningProcess;
let browser: Browser;
let dataDir: string;
let baseUrl: string;
let adminToken: string;
let status: DemoReadiness;

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'longfunnel-demo-browser-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  demo = spawnLongfunnel(['demo'], { DATA_DIR: dataDir, PORT: String(port), DEMO_HISTORY_DAYS: '10', DEMO_SITE_PORT: '0', LOG_LEVEL: 'info' });
  await demo.started(120_000);
  status = await waitFor(
    'the demo to go live with an enriched deal',
    async () => {
      const response = await fetch(`${baseUrl}/readyz`);
      const current = response.status === 200 ? ((await response.json()) as { demo?: DemoReadiness }).demo : undefined;
      return current?.phase === 'live' && current.enrichedDeal?.cardUrl ? current : undefined;
    },
    300_000,
    500,
  );
  const token = /admin token ([0-9a-f]{48})/.exec(demo.output())?.[1];
  assert.ok(token, demo.output());
  adminToken = token;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (demo && demo.child.exitCode === null) {
    demo.child.kill('SIGTERM');
    await demo.exited(60_000).catch(() => undefined);
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return problems;
}

test('when the operator signs in to the printed dashboard, then the demo tenant shows channels with revenue and ROMI, the funnel and paths', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = watchProblems(page);
  try {
    // The tenant whose managers closed the most: its paths report has sales to show once LongFunnel
    // has taken in the CRM's last stage changes (the demo is live when the managers are done).
    const [tenant, closed] = Object.entries(status.generator?.byTenant ?? {}).sort((a, b) => b[1].revenue - a[1].revenue)[0]!;
    assert.ok(closed.won > 0, `won deals: ${JSON.stringify(status.generator)}`);
    await waitFor(
      'a sale with its path in the reports',
      async () => {
        const response = await fetch(`${baseUrl}/api/v1/reports/paths?tenant_id=${encodeURIComponent(tenant)}`, { headers: { authorization: `Bearer ${adminToken}` } });
        return response.status === 200 && ((await response.json()) as { rows: unknown[] }).rows.length > 0;
      },
      120_000,
      1_000,
    );
    await page.goto(`${baseUrl}/dashboard?lang=en`);
    await page.fill('#lf-admin-token', adminToken);
    await page.fill('#lf-tenant-id', tenant);
    await page.click('#lf-sign-in');
    await page.waitForSelector('#lf-channels .lf-body[data-state=ready]', { timeout: 60_000 });
    const rows = await page.$$eval('#lf-channels-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    assert.ok(rows.length >= 3, `channels: ${JSON.stringify(rows)}`);
    const labels = rows.map((cells) => cells[0]);
    assert.ok(labels.includes('Paid Search'), `channels: ${JSON.stringify(labels)}`);
    // Revenue (6th cell after the label) and ROMI (10th) on a paid channel that sold something.
    const paid = rows.find((cells) => cells[0] === 'Paid Search')!;
    assert.match(paid[6] ?? '', /\d/);
    assert.match(paid[10] ?? '', /%/, `Paid Search has a ROMI: ${JSON.stringify(paid)}`);
    await page.waitForSelector('#lf-funnel .lf-body[data-state=ready]');
    assert.ok((await page.$$('#lf-funnel-table tbody tr')).length >= 3, 'the funnel has its stages');
    await page.waitForSelector('#lf-paths .lf-body[data-state=ready]');
    assert.match((await page.textContent('#lf-paths table')) ?? '', /→|Search|Direct|Social/);
    fs.mkdirSync(imagesDir, { recursive: true });
    const screenshot = path.join(imagesDir, 'demo-dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(fs.statSync(screenshot).size > 20_000);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('when the operator opens the printed deal card, then the amoCRM card shows the LongFunnel widget with where the client came from', async () => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  const problems = watchProblems(page);
  try {
    assert.ok(demo.output().includes(`Deal card:  ${status.enrichedDeal!.cardUrl}`), 'the console printed this card');
    await page.goto(status.enrichedDeal!.cardUrl!);
    await page.locator('#widgets_block .lf-summary').waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __widget: { rendered: boolean } }).__widget.rendered), true);
    const text = (await page.textContent('#widgets_block')) ?? '';
    // The card is in Russian, as the demo amoCRM account is: where the client came from, by channel.
    assert.match(text, /Откуда пришёл клиент/, text);
    assert.match(text, /Платный поиск|Поиск|Платные соцсети|Соцсети|Прямые заходы|Рассылки|Мессенджеры|Доски объявлений|Переходы с сайтов/, text);
    fs.mkdirSync(imagesDir, { recursive: true });
    const screenshot = path.join(imagesDir, 'demo-deal-card.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(fs.statSync(screenshot).size > 10_000);
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('when a person opens a demo site, then its tracker shows a tracking number and sends the request form to LongFunnel', async () => {
  // Headless Chromium says so in its user agent, and the collector drops bots: browse as the desktop Chrome it is.
  const context = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' });
  const page = await context.newPage();
  try {
    const site = status.sites!.find((candidate) => candidate.crm === 'amocrm')!;
    const leads: number[] = [];
    page.on('response', (response) => {
      if (response.url() === `${baseUrl}/api/v1/leads`) leads.push(response.status());
    });
    await page.goto(`${site.url}?utm_source=yandex&utm_medium=cpc&utm_campaign=search_generic`);
    // The printed number +7 495 120-45-67 is swapped for one of the site's tracking numbers.
    await waitFor('the tracking number', async () => !((await page.textContent('.phone')) ?? '').includes('120-45-67'), 20_000);
    await page.fill('input[name=name]', 'Браузерный Тест');
    await page.fill('input[name=phone]', '+7 916 555-01-02');
    await page.click('button[type=submit]');
    await page.locator('#sent').waitFor({ state: 'visible' });
    await waitFor('the captured form to reach the leads API', () => leads.length > 0, 20_000);
    assert.deepEqual(leads, [202]);
  } finally {
    await context.close();
  }
});
