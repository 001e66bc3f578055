/** A tenant's settings and API keys, as an admin manages them and as a tenant backend uses a key. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';
import { ADMIN_TOKEN, adminHeaders, createTestSite, type CreatedSite } from '../support/tracking.js';
import { authenticatedTenant, requireTenantKey } from '../../server/tenants/tenantApiKeys.js';
import { DEFAULT_TENANT_SETTINGS } from '../../server/tenants/tenantSettings.js';
import type { Feature } from '../../server/runtime.js';
import { productionFeatures } from '../../server/features.js';

/** A route that only answers with a tenant key, to check the middleware the way a feature uses it. */
const whoAmIFeature: Feature = {
  name: 'who-am-i',
  routers: (deps) => [express.Router().get('/test/who-am-i', requireTenantKey(deps.db), (_req, res) => void res.json({ tenant: authenticatedTenant(res) }))],
};

/** The answers are checked field by field below, so they are read untyped. */
const json = async (response: Response): Promise<any> => response.json();

for (const backendName of testBackends()) {
  describe(`tenant settings and API keys on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;
    let site: CreatedSite;

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env, { features: [...productionFeatures, whoAmIFeature] });
      site = await createTestSite(app.url, { domain: 'shop.example' });
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    const settingsUrl = () => `${app.url}/api/v1/tenants/${site.tenant_id}/settings`;

    test('when a tenant never changed a setting, then it reads the defaults', async () => {
      const response = await fetch(settingsUrl(), { headers: adminHeaders });
      assert.equal(response.status, 200);
      assert.deepEqual((await json(response)).settings, DEFAULT_TENANT_SETTINGS);
    });

    test('when an admin changes some settings, then those change and the rest keep their values', async () => {
      const response = await fetch(settingsUrl(), { method: 'PATCH', headers: adminHeaders, body: JSON.stringify({ attributionModel: 'markov', phoneRegion: 'KZ', lookbackDays: 30 }) });
      assert.equal(response.status, 200);
      const { settings } = await json(response);
      assert.equal(settings.attributionModel, 'markov');
      assert.equal(settings.phoneRegion, 'KZ');
      assert.equal(settings.lookbackDays, 30);
      assert.equal(settings.currency, 'RUB');
      assert.deepEqual((await json(await fetch(settingsUrl(), { headers: adminHeaders }))).settings, settings);
    });

    test('when a change is out of range or unknown, then 422 names every problem and nothing changes', async () => {
      const before = (await json(await fetch(settingsUrl(), { headers: adminHeaders }))).settings;
      const response = await fetch(settingsUrl(), { method: 'PATCH', headers: adminHeaders, body: JSON.stringify({ lookbackDays: 400, attributionModel: 'magic', colour: 'red' }) });
      assert.equal(response.status, 422);
      const { error } = await json(response);
      assert.match(error.message, /lookbackDays/);
      assert.match(error.message, /attributionModel/);
      assert.match(error.message, /colour/);
      assert.deepEqual((await json(await fetch(settingsUrl(), { headers: adminHeaders }))).settings, before);
    });

    test('when the tenant does not exist or the admin token is missing, then 404 and 401', async () => {
      assert.equal((await fetch(`${app.url}/api/v1/tenants/nobody/settings`, { headers: adminHeaders })).status, 404);
      assert.equal((await fetch(settingsUrl())).status, 401);
    });

    test('when a key is created, then it authenticates as its tenant, is listed without its secret, and stops working once revoked', async () => {
      const created = await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/api-keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ label: 'telephony' }) });
      assert.equal(created.status, 201);
      const { id, key } = await json(created);
      assert.match(key, /^lft_[A-Za-z0-9_-]{32}$/);

      const whoAmI = (token: string | undefined) => fetch(`${app.url}/test/who-am-i`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const ok = await whoAmI(key);
      assert.equal(ok.status, 200);
      assert.deepEqual(await json(ok), { tenant: site.tenant_id });

      const listed = await json(await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/api-keys`, { headers: adminHeaders }));
      assert.equal(listed.keys.length, 1);
      assert.equal(listed.keys[0].label, 'telephony');
      assert.ok(!JSON.stringify(listed).includes(key), 'the list must not contain the key itself');

      assert.equal((await whoAmI(undefined)).status, 401);
      assert.equal((await whoAmI(`${key}x`)).status, 401);
      assert.equal((await whoAmI(ADMIN_TOKEN)).status, 401);

      assert.equal((await fetch(`${app.url}/api/v1/tenants/${site.tenant_id}/api-keys/${id}`, { method: 'DELETE', headers: adminHeaders })).status, 204);
      const revoked = await whoAmI(key);
      assert.equal(revoked.status, 401);
      assert.match((await json(revoked)).error.message, /revoked/);
    });
  });
}
