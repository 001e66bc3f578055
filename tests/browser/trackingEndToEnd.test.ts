/**
 * The tracker and the collector together, in Debian's Chromium: pages of a test website load the
 * real `/t.js` from a running LongFunnel, and the assertions read what LongFunnel stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { launchBrowser } from '../support/browser.js';
import { waitFor } from '../support/processes.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, type StoredVisit } from '../support/tracking.js';

/** A website on 127.0.0.1 whose every page carries the LongFunnel tag. */
async function startWebsite(tag: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site.invalid').pathname;
    const extra =
      path === '/app'
        ? `<button id="next" onclick="history.pushState({}, '', '/app/step-2')">next</button>
           <button id="goal" onclick="longfunnel('goal', 'callback_form', {value: 1500})">call me</button>`
        : path === '/no-cookies'
          ? `<script>Object.defineProperty(document, 'cookie', { get() { throw new Error('blocked'); }, set() { throw new Error('blocked'); } });
               Object.defineProperty(window, 'localStorage', { get() { throw new Error('blocked'); } });</script>`
          : '';
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html><head><title>Sofas ${path}</title>
      <script>window.longfunnel = window.longfunnel || function () { (window.longfunnel.q = window.longfunnel.q || []).push(arguments); };</script>
      ${path === '/no-cookies' ? extra : ''}
      ${tag}</head>
      <body><h1>Sofas</h1>${path === '/no-cookies' ? '' : extra}<script>window.pageScriptRan = true;</script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Headless Chromium says "HeadlessChrome", which the collector rightly drops as a bot; people browse with this. */
const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

for (const backendName of testBackends()) {
  describe(`tracker and collector in Chromium on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let browser: Browser;
    let website: { origin: string; close: () => Promise<void> };

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env);
      const site = await createTestSite(app.url, { domain: '127.0.0.1' });
      website = await startWebsite(`<script async src="${app.url}/t.js" data-site="${site.key}"></script>`);
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      await website?.close();
      await app?.stop();
      await backend?.cleanup();
    });

    async function visitorIdOf(context: BrowserContext): Promise<string> {
      return waitFor('the _lfid cookie', async () => (await context.cookies()).find((cookie) => cookie.name === '_lfid')?.value);
    }

    async function storedVisits(visitorId: string, until: (visits: StoredVisit[]) => boolean): Promise<StoredVisit[]> {
      return waitFor('LongFunnel to store the visit', async () => {
        const response = await fetch(`${app.url}/api/v1/visitors/${visitorId}/visits`, { headers: adminHeaders });
        const { visits } = (await response.json()) as { visits: StoredVisit[] };
        return until(visits) && visits;
      });
    }

    test('when a visitor lands with UTM tags, then a visit with those tags is stored', async () => {
      const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
      const page = await context.newPage();
      await page.goto(`${website.origin}/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofas_msk&utm_term=buy+sofa`);
      const [visit] = await storedVisits(await visitorIdOf(context), (visits) => visits.length === 1);
      assert.equal(visit?.source, 'yandex');
      assert.equal(visit?.medium, 'cpc');
      assert.equal(visit?.campaign, 'sofas_msk');
      assert.equal(visit?.term, 'buy sofa');
      assert.equal(visit?.channel, 'Paid Search');
      await context.close();
    });

    test('when the visitor navigates inside a single-page app and reaches a goal, then page views and the goal join the visit', async () => {
      const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
      const page = await context.newPage();
      await page.goto(`${website.origin}/app?utm_source=vk&utm_medium=social`);
      const visitorId = await visitorIdOf(context);
      await storedVisits(visitorId, (visits) => visits[0]?.pageviews === 1);
      await page.click('#next');
      await page.click('#goal');
      const [visit] = await storedVisits(visitorId, (visits) => visits[0]?.pageviews === 2 && visits[0]?.goals === 1);
      assert.equal(visit?.source, 'vk');
      assert.deepEqual(
        visit?.hits.map((hit) => [hit.type, new URL(hit.url).pathname, hit.goal, hit.value]),
        [
          ['pageview', '/app', null, null],
          ['pageview', '/app/step-2', null, null],
          ['goal', '/app/step-2', 'callback_form', 1500],
        ],
      );
      await context.close();
    });

    test('when a visitor lands with only a click id, then the visit is Paid Search', async () => {
      const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
      const page = await context.newPage();
      await page.goto(`${website.origin}/?gclid=EAIaIQobChMI-test`);
      const [visit] = await storedVisits(await visitorIdOf(context), (visits) => visits.length === 1);
      assert.equal(visit?.source, 'google');
      assert.equal(visit?.medium, 'cpc');
      assert.equal(visit?.channel, 'Paid Search');
      assert.equal(visit?.click_id_type, 'gclid');
      assert.deepEqual(visit?.landing_params, { gclid: 'EAIaIQobChMI-test' });
      await context.close();
    });

    test('when a visitor comes from a Yandex search page, then the visit is Organic Search with its term', async () => {
      const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
      const page = await context.newPage();
      await page.goto(`${website.origin}/catalog`, { referer: 'https://yandex.ru/search/?text=%D0%BA%D1%83%D0%BF%D0%B8%D1%82%D1%8C+%D0%B4%D0%B8%D0%B2%D0%B0%D0%BD&lr=213' });
      const [visit] = await storedVisits(await visitorIdOf(context), (visits) => visits.length === 1);
      assert.equal(visit?.source, 'yandex');
      assert.equal(visit?.medium, 'organic');
      assert.equal(visit?.term, 'купить диван');
      assert.equal(visit?.channel, 'Organic Search');
      await context.close();
    });

    test('when cookies and storage are blocked, then the page still works and the visit is still recorded', async () => {
      const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${website.origin}/no-cookies?utm_source=email&utm_medium=email&utm_campaign=blocked-cookies`);
      assert.equal(await page.evaluate('window.pageScriptRan'), true);
      const stored = await waitFor('the visit of a visitor without cookies', async () => {
        const { rows } = await app.runtime.deps.db.query<{ source: string; channel: string }>(
          `SELECT source, channel FROM visits WHERE campaign = 'blocked-cookies'`,
        );
        return rows.length > 0 && rows;
      });
      assert.deepEqual(stored, [{ source: 'email', channel: 'Email' }]);
      assert.deepEqual(pageErrors, [], 'nothing was thrown into the page');
      await context.close();
    });
  });
}

describe('bots in Chromium', () => {
  test('when a headless browser announces itself, then its hits are dropped as a bot', async () => {
    const backend = await prepareBackend('embedded', { ADMIN_TOKEN });
    const app = await startTestRuntime(backend.env);
    const site = await createTestSite(app.url, { domain: '127.0.0.1' });
    const website = await startWebsite(`<script async src="${app.url}/t.js" data-site="${site.key}"></script>`);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const answered = page.waitForResponse((response) => response.url().endsWith('/collect'));
      await page.goto(`${website.origin}/?utm_source=bot-check`);
      assert.equal((await answered).status(), 202);
      const { rows } = await app.runtime.deps.db.query('SELECT 1 FROM visits');
      assert.equal(rows.length, 0);
    } finally {
      await browser.close();
      await website.close();
      await app.stop();
      await backend.cleanup();
    }
  });
});
