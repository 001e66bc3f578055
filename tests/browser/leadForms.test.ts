/**
 * Forms in Debian's Chromium: a website's pages load the real `/t.js` of a LongFunnel installed into
 * the amoCRM emulator. The tracker adds the hidden `_lfid` input to forms (also ones added later),
 * the site's own submit carries it, and with `data-forms="capture"` the submitted form becomes a
 * lead in the emulator with its source.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { waitFor } from '../support/processes.js';
import { createTestSite } from '../support/tracking.js';
import { installFromWidget, leadFieldsByCode, leadOf, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';

const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

const FORM_PAGE = `
  <form id="callback" name="callback" action="/thanks" method="post">
    <input name="your_name" id="name">
    <input type="tel" name="phone" id="phone">
    <input type="email" name="contact" id="email">
    <input type="password" name="secret" id="secret">
    <textarea name="message" id="message"></textarea>
    <button type="submit" id="send">Send</button>
  </form>
  <div id="later"></div>
  <script>
    setTimeout(function () {
      document.getElementById('later').innerHTML =
        '<form action="/thanks" method="post"><input type="hidden" name="id" value="sofa-42"><input name="q" id="q"><input type="tel" name="tel" id="late-phone"><button id="late-send">Go</button></form>';
    }, 50);
  </script>`;

interface Website {
  origin: string;
  /** Bodies the site's own form handler received (`POST /thanks`). */
  posted: URLSearchParams[];
  close(): Promise<void>;
}

async function startWebsite(tag: string): Promise<Website> {
  const posted: URLSearchParams[] = [];
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site.invalid').pathname;
    if (request.method === 'POST' && path === '/thanks') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        posted.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        response.setHeader('Content-Type', 'text/html; charset=utf-8');
        response.end('<!doctype html><title>Thanks</title><h1>Thanks</h1>');
      });
      return;
    }
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html><head><title>Sofas</title>${tag}</head><body>${path === '/form' ? FORM_PAGE : '<h1>Sofas</h1>'}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, posted, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('forms in Chromium: the _lfid input and form capture into the amoCRM emulator', () => {
  let world: AmocrmWorld;
  let tenantId: string;
  let browser: Browser;
  let website: Website;

  before(async () => {
    world = await startAmocrmWorld('embedded');
    ({ tenantId } = await installFromWidget(world));
    const site = await createTestSite(world.app.url, { domain: '127.0.0.1', tenant_id: tenantId });
    website = await startWebsite(`<script async src="${world.app.url}/t.js" data-site="${site.key}" data-forms="capture"></script>`);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await website?.close();
    await world?.stop();
  });

  const visitorIdOf = (context: BrowserContext) => waitFor('the _lfid cookie', async () => (await context.cookies()).find((cookie) => cookie.name === '_lfid')?.value);

  test('when a form added after the page loaded is used, then it gets one hidden _lfid input with the visitor id, never two', async () => {
    const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${website.origin}/form`);
      const visitor = await visitorIdOf(context);
      await page.waitForSelector('#q');
      await page.focus('#q');
      await page.focus('#q');
      await page.click('#name');
      await page.focus('#q');
      const inputs = await page.$$eval('#later form input[name="_lfid"]', (found) => found.map((input) => ({ type: input.getAttribute('type'), value: (input as unknown as { value: string }).value })));
      assert.deepEqual(inputs, [{ type: 'hidden', value: visitor }]);
      assert.equal(await page.$$eval('#callback input[name="_lfid"]', (found) => found.length), 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('when a form without a name or id (but with a field named "id") is sent, then it still becomes a lead', async () => {
    const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
    try {
      const page = await context.newPage();
      await page.goto(`${website.origin}/form`);
      const visitor = await visitorIdOf(context);
      await page.waitForSelector('#late-phone');
      await page.fill('#late-phone', '+7 900 321-00-22');
      await Promise.all([page.waitForURL(`${website.origin}/thanks`), page.click('#late-send')]);
      assert.equal(website.posted.at(-1)?.get('_lfid'), visitor);
      const row = await waitFor('the lead stored', async () => {
        const { rows } = await world.app.runtime.deps.db.query<{ phone_e164: string; form_name: string | null }>('SELECT phone_e164, form_name FROM lead_requests WHERE visitor_id = $1', [visitor]);
        return rows[0];
      });
      assert.deepEqual(row, { phone_e164: '+79003210022', form_name: null });
    } finally {
      await context.close();
    }
  });

  test('when a visitor from an ad sends the form, then the site gets its post with _lfid and the CRM gets a lead with the source', async () => {
    const context = await browser.newContext({ userAgent: DESKTOP_CHROME });
    try {
      const page = await context.newPage();
      await page.goto(`${website.origin}/form?utm_source=yandex&utm_medium=cpc&utm_campaign=sofa_sale`);
      const visitor = await visitorIdOf(context);
      await waitFor('the visit stored', async () => {
        const { rows } = await world.app.runtime.deps.db.query('SELECT 1 FROM visits WHERE visitor_id = $1', [visitor]);
        return rows.length > 0;
      });
      await page.fill('#name', 'Мария');
      await page.fill('#phone', '+7 (900) 321-00-11');
      await page.fill('#email', 'maria@example.com');
      await page.fill('#secret', 'not-for-us');
      await page.fill('#message', 'Нужен диван');
      await Promise.all([page.waitForURL(`${website.origin}/thanks`), page.click('#send')]);

      // The site's own submit went through, carrying the visitor id.
      const posted = website.posted.at(-1);
      assert.equal(posted?.get('_lfid'), visitor);
      assert.equal(posted?.get('phone'), '+7 (900) 321-00-11');

      const row = await waitFor('the lead delivered', async () => {
        const { rows } = await world.app.runtime.deps.db.query<{ status: string; crm_deal_id: string; name: string; phone_e164: string; email: string; comment: string; form_name: string; page_url: string }>(
          'SELECT status, crm_deal_id, name, phone_e164, email, comment, form_name, page_url FROM lead_requests WHERE visitor_id = $1',
          [visitor],
        );
        return rows[0]?.status === 'delivered' ? rows[0] : undefined;
      }, 30_000);
      assert.equal(row.name, 'Мария');
      assert.equal(row.phone_e164, '+79003210011');
      assert.equal(row.email, 'maria@example.com');
      assert.equal(row.comment, 'Нужен диван');
      assert.equal(row.form_name, 'callback');
      assert.equal(row.page_url, `${website.origin}/form?utm_source=yandex&utm_medium=cpc&utm_campaign=sofa_sale`);
      const stored = await world.app.runtime.deps.db.query('SELECT 1 FROM lead_requests WHERE comment LIKE $1 OR name LIKE $1', ['%not-for-us%']);
      assert.equal(stored.rows.length, 0, 'a password field is never sent');

      const lead = leadOf(world, Number(row.crm_deal_id));
      const fields = leadFieldsByCode(world, lead);
      assert.equal(fields['UTM_SOURCE'], 'yandex');
      assert.equal(fields['UTM_MEDIUM'], 'cpc');
      assert.equal(fields['UTM_CAMPAIGN'], 'sofa_sale');
      assert.equal(fields['LF_VISITOR_ID'], visitor);
      const incoming = [...world.emulator.state.unsorted.values()].find((entry) => entry.leadId === lead.id);
      assert.equal(incoming?.metadata.visitor_uid, visitor);
      assert.equal(incoming?.metadata.form_name, 'callback');
    } finally {
      await context.close();
    }
  });
});
