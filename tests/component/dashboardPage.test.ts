/**
 * The dashboard page as the server answers it: security headers (CSP without inline script,
 * frame-ancestors from the tenant's CRM), hashed assets with a long cache, the context API's access
 * rules, and a session rendered into the page never reaching the logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { productionFeatures } from '../../server/features.js';
import { renderDashboardPage } from '../../server/reports/dashboardPage.js';
import type { Feature } from '../../server/runtime.js';
import { issueTenantSession } from '../../server/security/tenantSession.js';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, createTestSite, type CreatedSite } from '../support/tracking.js';

/** What a CRM entry point does once the CRM has vouched for the user: issue a session and render the page with it. */
const crmEntryFeature: Feature = {
  name: 'test-crm-entry',
  routers: (deps) => [
    express.Router().get('/test/crm-entry/:tenantId', async (req, res) => {
      const session = await issueTenantSession(deps.cipher, { tenantId: req.params.tenantId!, origin: 'amocrm', userId: '42', locale: 'en' });
      deps.logger.info('crm entry opened the dashboard', { tenant: req.params.tenantId });
      res.type('html').send(renderDashboardPage({ session, locale: 'en', tenantName: 'Shop' }));
    }),
  ],
};

const json = async (response: Response): Promise<any> => response.json();

function csp(response: Response): Map<string, string> {
  const header = response.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name!, values.join(' ')];
      }),
  );
}

for (const backendName of testBackends()) {
  describe(`dashboard page on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let site: CreatedSite;
    let crmSite: CreatedSite;

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env, { features: [...productionFeatures, crmEntryFeature] });
      site = await createTestSite(app.url, { domain: 'shop.example' });
      crmSite = await createTestSite(app.url, { domain: 'crm-shop.example' });
      // A tenant with an installed amoCRM account (what the install flow stores; tokens are not needed here).
      await app.runtime.deps.db.query(
        `INSERT INTO crm_accounts (tenant_id, crm, account_id, domain, hook_key, status) VALUES ($1, 'amocrm', '3001', 'crmshop.amocrm.ru', 'hook-key-dashboard-test', 'active')`,
        [crmSite.tenant_id],
      );
      await app.runtime.deps.db.query(
        `INSERT INTO crm_stages (tenant_id, pipeline_id, stage_id, pipeline_name, name, sort, kind) VALUES ($1, '77', '1', 'Sales', 'New', 10, 'entry'), ($1, '77', '142', 'Sales', 'Won', 100, 'won')`,
        [crmSite.tenant_id],
      );
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    test('when the standalone page is opened, then it allows only its own scripts and styles and only same-origin framing', async () => {
      const response = await fetch(`${app.url}/dashboard`, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      const policy = csp(response);
      assert.equal(policy.get('default-src'), "'none'");
      assert.equal(policy.get('script-src'), "'self'");
      assert.equal(policy.get('style-src'), "'self'");
      assert.equal(policy.get('connect-src'), "'self'");
      assert.equal(policy.get('frame-ancestors'), "'self'");
      assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      const html = await response.text();
      assert.match(html, /<html lang="en">/);
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      assert.equal(scripts.length, 1);
      assert.match(scripts[0]![1]!, /src="\/dashboard\/assets\/dashboard-[A-Z0-9]+\.js"/);
      assert.equal(scripts[0]![2], '', 'no inline script');
      assert.doesNotMatch(html, /\sstyle=|<style/);
      assert.doesNotMatch(html, /longfunnel-session/);
    });

    test('when the page is opened for a tenant with a CRM, then only that CRM may frame it and hand it a session', async () => {
      const response = await fetch(`${app.url}/dashboard?tenant_id=${crmSite.tenant_id}`);
      assert.equal(response.status, 200);
      assert.equal(csp(response).get('frame-ancestors'), 'https://crmshop.amocrm.ru');
      assert.equal(response.headers.get('x-frame-options'), null);
      const html = await response.text();
      assert.match(html, /<meta name="longfunnel-embedders" content="https:\/\/crmshop.amocrm.ru">/);
      assert.match(html, /<html lang="ru">/, "the tenant's locale setting (default ru)");

      const noCrm = await fetch(`${app.url}/dashboard?tenant_id=${site.tenant_id}`);
      assert.equal(csp(noCrm).get('frame-ancestors'), "'self'");
      assert.doesNotMatch(await noCrm.text(), /longfunnel-embedders/);
    });

    test('when the built script is fetched, then it is cached for a year under its hashed name and revalidates by ETag', async () => {
      const html = await (await fetch(`${app.url}/dashboard`)).text();
      const script = /src="(\/dashboard\/assets\/[^"]+)"/.exec(html)![1]!;
      const style = /href="(\/dashboard\/assets\/[^"]+\.css)"/.exec(html)![1]!;
      const response = await fetch(`${app.url}${script}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /javascript/);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(response.headers.get('content-encoding'), 'gzip');
      assert.ok((await response.text()).length > 1000);
      const etag = response.headers.get('etag')!;
      assert.equal((await fetch(`${app.url}${script}`, { headers: { 'if-none-match': etag } })).status, 304);
      const css = await fetch(`${app.url}${style}`);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      assert.equal((await fetch(`${app.url}/dashboard/assets/manifest.json`)).status, 404);
      assert.equal((await fetch(`${app.url}/dashboard/assets/..%2Fserver%2Fcli.js`)).status, 404);
    });

    test('when the context is asked without a credential, with the admin token, or for an unknown tenant, then only the admin token with a known tenant reads it', async () => {
      const none = await fetch(`${app.url}/api/v1/dashboard/context?tenant_id=${crmSite.tenant_id}`);
      assert.equal(none.status, 401);
      const wrong = await fetch(`${app.url}/api/v1/dashboard/context?tenant_id=${crmSite.tenant_id}`, { headers: { authorization: 'Bearer not-the-token' } });
      assert.equal(wrong.status, 401);
      const unknown = await fetch(`${app.url}/api/v1/dashboard/context?tenant_id=no-such-tenant`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(unknown.status, 404);
      assert.equal((await json(unknown)).error.code, 'not_found');

      const admin = await fetch(`${app.url}/api/v1/dashboard/context?tenant_id=${crmSite.tenant_id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(admin.status, 200);
      const context = await json(admin);
      assert.deepEqual(context.tenant, { id: crmSite.tenant_id, name: 'crm-shop.example' });
      assert.deepEqual(context.sites, [{ id: crmSite.id, domain: 'crm-shop.example' }]);
      assert.deepEqual(context.pipelines, [{ id: '77', name: 'Sales' }]);
      assert.deepEqual(context.crm, { kind: 'amocrm', domain: 'crmshop.amocrm.ru', status: 'active' });
      assert.deepEqual(context.settings, { locale: 'ru', attribution_model: 'last_non_direct', currency: 'RUB' });
      assert.equal(context.has_visits, false);
      assert.equal(context.has_deals, false);
    });

    test('when a CRM entry point renders the page with a session, then the session is in the meta tag, works for the API, and never reaches the logs', async () => {
      const response = await fetch(`${app.url}/test/crm-entry/${crmSite.tenant_id}`);
      const html = await response.text();
      const session = /<meta name="longfunnel-session" content="([^"]+)">/.exec(html)?.[1];
      assert.ok(session && session.split('.').length === 3, 'a JWT in the meta tag');
      assert.doesNotMatch(html, new RegExp(`[?&][a-z_]*=${session.slice(0, 20)}`), 'not in any URL');

      const context = await fetch(`${app.url}/api/v1/dashboard/context`, { headers: { authorization: `Bearer ${session}` } });
      assert.equal(context.status, 200);
      const body = await json(context);
      assert.equal(body.tenant.id, crmSite.tenant_id);
      assert.deepEqual(body.session, { origin: 'amocrm', locale: 'en' });

      // The page's own request and the API call both happened; neither wrote the token anywhere.
      assert.ok(app.logs.some((line) => line.includes('crm entry opened the dashboard')));
      const signature = session.split('.')[2]!;
      for (const line of app.logs) {
        assert.ok(!line.includes(session) && !line.includes(signature), `a log line carries the session: ${line.slice(0, 200)}`);
      }
    });
  });
}
