/**
 * Call and e-mail tracking in Debian's Chromium: a page of a test website with the `data-swap` tag
 * loads the real `/t.js` from a running LongFunnel; the page shows a pool number in its own format
 * (text and `tel:` link) and the visit's plus-address; a call posted for that number is matched to
 * that visit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { launchBrowser } from '../support/browser.js';
import { configureNumbers, createTenantKey, postCall } from '../support/callTracking.js';
import { waitFor } from '../support/processes.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, newId } from '../support/tracking.js';

const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const POOL = ['+7 495 200-00-01', '+7 495 200-00-02', '+7 495 200-00-03'];

async function startWebsite(tag: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html><head><title>Sofas</title>${tag}</head>
      <body><h1>Sofas</h1>
      <p id="phone">Звоните: +7 (495) 123-45-67, ежедневно</p>
      <p><a id="tel" href="tel:+74951234567">8 495 123 45 67</a></p>
      <p id="other">Сервис: +7 (495) 111-22-33</p>
      <p>Пишите: <a id="mail" href="mailto:sales@shop.example?subject=Sofa">sales@shop.example</a></p>
      </body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const backendName of testBackends()) {
  describe(`call and e-mail tracking in Chromium on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let browser: Browser;
    let website: { origin: string; close: () => Promise<void> };
    let key: string;

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env);
      const site = await createTestSite(app.url, { domain: '127.0.0.1' });
      key = await createTenantKey(app.url, site.tenant_id);
      const configured = await configureNumbers(app.url, site.id, { default_number: '+7 (495) 123-45-67', pool: POOL });
      const mail = await fetch(`${app.url}/api/v1/sites/${site.id}/email-tracking`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify({ address: 'sales@shop.example' }) });
      assert.equal(mail.status, 200);
      assert.match(configured.tag, / data-swap><\/script>$/);
      website = await startWebsite(`<script async src="${app.url}/t.js" data-site="${site.key}" data-swap></script>`);
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      await website?.close();
      await app?.stop();
      await backend?.cleanup();
    });

    const textOf = (page: Page, selector: string) => page.locator(selector).innerText();

    test('when a visitor opens the page, then it shows a pool number in the page\'s format and the visit\'s address, and a call to that number is matched to the visit', async () => {
      const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
      const page = await context.newPage();
      await page.goto(`${website.origin}/`);
      const phoneText = await waitFor('the page to show a pool number', async () => {
        const text = await textOf(page, '#phone');
        return text.includes('123-45-67') ? undefined : text;
      });
      const match = /^Звоните: \+7 \(495\) (\d{3})-(\d{2})-(\d{2}), ежедневно$/.exec(phoneText);
      assert.ok(match, `the number keeps the page's format: ${phoneText}`);
      const shown = `+7495${match[1]}${match[2]}${match[3]}`;
      assert.ok(POOL.map((number) => number.replace(/[\s-]/g, '')).includes(shown), `${shown} is a pool number`);
      assert.equal(await page.locator('#tel').getAttribute('href'), `tel:${shown}`);
      assert.equal(await textOf(page, '#tel'), `8 495 ${match[1]} ${match[2]} ${match[3]}`);
      assert.equal(await textOf(page, '#other'), 'Сервис: +7 (495) 111-22-33');
      const mailHref = await page.locator('#mail').getAttribute('href');
      assert.match(mailHref ?? '', /^mailto:sales\+[a-z0-9]{6}@shop\.example\?subject=Sofa$/);
      assert.equal(await textOf(page, '#mail'), mailHref!.slice('mailto:'.length, mailHref!.indexOf('?')));

      const visitId = (await context.cookies()).find((cookie) => cookie.name === '_lfs')!.value.split('.')[0];
      const visitorId = (await context.cookies()).find((cookie) => cookie.name === '_lfid')!.value;
      const response = await postCall(app.url, key, { call_id: `call-${newId()}`, tracking_number: shown, caller_number: '+7 916 000-11-22', started_at: new Date().toISOString(), duration_seconds: 61 });
      assert.equal(response.status, 200);
      const { call } = (await response.json()) as { call: { visit_id: string; visitor_id: string; matched: boolean } };
      assert.deepEqual([call.matched, call.visit_id, call.visitor_id], [true, visitId, visitorId]);

      // The next page of the same visit shows the same number without asking again.
      await page.reload();
      await waitFor('the reloaded page to show the number', async () => ((await textOf(page, '#phone')).includes(match[1]!) ? true : undefined));
      const { rows } = await app.runtime.deps.db.query<{ count: number }>('SELECT count(*)::int AS count FROM number_leases WHERE visit_id = $1', [visitId]);
      assert.equal(rows[0]!.count, 1);
      await context.close();
    });

    test('when two visitors browse at once, then each sees a different number', async () => {
      const shown: string[] = [];
      for (let i = 0; i < 2; i++) {
        const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
        const page = await context.newPage();
        await page.goto(`${website.origin}/`);
        shown.push(
          await waitFor('a pool number', async () => {
            const href = await page.locator('#tel').getAttribute('href');
            return href && href !== 'tel:+74951234567' ? href : undefined;
          }),
        );
      }
      assert.notEqual(shown[0], shown[1]);
    });
  });
}
