/**
 * Installing and uninstalling amoCRM at its edges (issue 4): a forged `referer` never receives a
 * request (so never our client secret), the "site button" flow attaches the account to the tenant
 * its signed `state` names and refuses any other `state`, and the signed "integration disabled"
 * hook disables the tenant.
 */
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { testBackends } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { adminHeaders, createTestSite, newId, pageview, sendHit, type CreatedSite } from '../support/tracking.js';
import { startReceiver } from '../support/webhookReceiver.js';
import {
  installThroughConsent,
  installUrl,
  leadFieldsByCode,
  leadOf,
  startAmocrmWorld,
  storedTokens,
  waitForSetUp,
  type AmocrmWorld,
} from '../support/amocrmWorld.js';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** How many CRM requests LongFunnel has made, by every status (including "no answer"). */
async function crmRequestsMade(world: AmocrmWorld): Promise<number> {
  const text = await (await fetch(`${world.app.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('longfunnel_crm_requests_total{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function accountRows(world: AmocrmWorld): Promise<Array<{ tenant_id: string; status: string }>> {
  const result = await world.app.runtime.deps.db.query<{ tenant_id: string; status: string }>('SELECT tenant_id, status FROM crm_accounts');
  return result.rows;
}

async function installLink(world: AmocrmWorld, tenantId: string): Promise<{ url: string; state: string }> {
  const response = await fetch(`${world.app.url}/api/v1/integrations/amocrm/install-link`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ tenantId }) });
  assert.equal(response.status, 201);
  return (await response.json()) as { url: string; state: string };
}

for (const backendName of testBackends()) {
  describe(`amoCRM install and uninstall edges on ${backendName}`, () => {
    /** AMOCRM_BASE_URL unset: calls would go to `https://<referer>`, as in production. */
    let production: AmocrmWorld;
    /** AMOCRM_BASE_URL set to the emulator. */
    let world: AmocrmWorld;
    let recorder: Receiver;
    let site: CreatedSite;
    let hookKey: string;

    before(async () => {
      [production, world, recorder] = await Promise.all([
        startAmocrmWorld(backendName, { env: { AMOCRM_BASE_URL: undefined } }),
        startAmocrmWorld(backendName),
        startReceiver(),
      ]);
      site = await createTestSite(world.app.url, { domain: 'button.example' });
    });

    after(async () => {
      await Promise.all([production?.stop(), world?.stop(), recorder?.close()]);
    });

    test('when AMOCRM_BASE_URL is unset and the referer is not an amoCRM/Kommo account host, then the callback is 400 and no request leaves', async () => {
      const recorderHost = new URL(recorder.url).host;
      const forged = ['evil.example.com', recorderHost, 'acme.amocrm.ru.evil.com', 'www.amocrm.ru', `acme.amocrm.ru@${recorderHost}`];
      const { clientId } = production.account.integration;
      const state = (await installLink(production, (await createTestSite(production.app.url, { domain: 'forged.example' })).tenant_id)).state;
      for (const referer of forged) {
        const code = production.emulator.issueAuthorizationCode(production.subdomain, clientId);
        const queries: Array<Record<string, string>> = [
          { code, referer, from_widget: '1', platform: '1', client_id: clientId },
          { code, referer, state, platform: '1', client_id: clientId },
        ];
        for (const query of queries) {
          const response = await fetch(installUrl(production, query));
          assert.equal(response.status, 400, `referer ${referer}`);
          assert.match(await response.text(), /is not an amoCRM or Kommo account address/);
        }
      }
      assert.equal(recorder.received.length, 0, 'the recording server got no request');
      assert.equal(await crmRequestsMade(production), 0, 'no CRM request was even attempted');
      assert.deepEqual(await accountRows(production), []);
      assert.equal(production.app.logs.filter((line) => line.includes('amoCRM install refused')).length, forged.length * 2);
    });

    test('when the state is missing, tampered with or expired (no from_widget), then the callback is 400 and nothing is stored', async () => {
      const { clientId, clientSecret } = world.account.integration;
      const good = await installLink(world, site.tenant_id);
      const [header, payload, signature] = good.state.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const tampered = [header, Buffer.from(JSON.stringify({ ...claims, tenant: 'someone-else' })).toString('base64url'), signature].join('.');
      // Signed with the product's own key, so only its expiry is wrong.
      const expired = await new SignJWT({ tenant: site.tenant_id })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3_600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 1_800)
        .sign(new TextEncoder().encode(`longfunnel-install-state:${clientSecret}`));
      const requestsBefore = await crmRequestsMade(world);
      for (const [why, state] of [['missing', undefined], ['tampered', tampered], ['expired', expired], ['garbage', 'not-a-state']] as const) {
        const code = world.emulator.issueAuthorizationCode(world.subdomain, clientId);
        const response = await fetch(installUrl(world, { code, referer: `${world.subdomain}.amocrm.ru`, platform: '1', client_id: clientId, ...(state ? { state } : {}) }));
        assert.equal(response.status, 400, `${why} state`);
        assert.equal(world.emulator.state.authorizationCodes.get(code)?.used, false, `${why} state: the code was not exchanged`);
      }
      assert.equal(await crmRequestsMade(world), requestsBefore);
      assert.deepEqual(await accountRows(world), []);
    });

    test("when an admin installs through the site button with a tenant's state, then the account is attached to that tenant and its site's visits are used", async () => {
      const link = await installLink(world, site.tenant_id);
      const response = await installThroughConsent(world, link.url);
      assert.equal(response.status, 200, await response.clone().text());
      const rows = await accountRows(world);
      assert.deepEqual(rows, [{ tenant_id: site.tenant_id, status: 'active' }]);
      const tenant = await world.app.runtime.deps.db.query<{ kind: string }>('SELECT kind FROM tenants WHERE id = $1', [site.tenant_id]);
      assert.equal(tenant.rows[0]?.kind, 'amocrm');
      await waitForSetUp(world, site.tenant_id);
      hookKey = (await world.app.runtime.deps.db.query<{ hook_key: string }>('SELECT hook_key FROM crm_accounts WHERE tenant_id = $1', [site.tenant_id])).rows[0]?.hook_key as string;

      const visitor = newId();
      const landing = 'https://button.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=button';
      const hit = await sendHit(world.app.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - 60_000 }), {
        origin: 'https://button.example',
      });
      assert.equal(hit.status, 204);
      const leadId = world.emulator.createLead(world.subdomain, { name: 'From the site', custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }] });
      const fields = await waitFor(`lead ${leadId} enriched`, async () => {
        const values = leadFieldsByCode(world, leadOf(world, leadId));
        return values['LF_MATCH'] !== undefined ? values : undefined;
      });
      assert.equal(fields['UTM_SOURCE'], 'yandex');
      assert.equal(fields['UTM_CAMPAIGN'], 'button');
      assert.equal(fields['LF_MATCH'], 'visitor id (100%)');
    });

    test('when the disable hook has a bad signature, then it is 401 and the tenant stays as it was', async () => {
      const { clientId, clientSecret } = world.account.integration;
      const accountId = String(world.account.account.id);
      const tokensBefore = await storedTokens(world, site.tenant_id);
      assert.ok(tokensBefore);
      const signedFor = (id: string) => {
        const url = new URL(`${world.app.url}/oauth/amocrm/uninstall`);
        url.searchParams.set('account_id', accountId);
        url.searchParams.set('client_uuid', clientId);
        url.searchParams.set('signature', id);
        return url;
      };
      const forOtherAccount = createHmac('sha256', clientSecret).update(`${clientId}|${Number(accountId) + 1}`).digest('hex');
      const withOtherSecret = createHmac('sha256', 'not-the-secret').update(`${clientId}|${accountId}`).digest('hex');
      for (const signature of [forOtherAccount, withOtherSecret, 'zz', '']) {
        const response = await fetch(signedFor(signature));
        assert.equal(response.status, 401, `signature ${JSON.stringify(signature)}`);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'invalid_signature');
      }
      assert.deepEqual(await accountRows(world), [{ tenant_id: site.tenant_id, status: 'active' }]);
      assert.deepEqual(await storedTokens(world, site.tenant_id), tokensBefore);
    });

    test('when amoCRM sends the signed disable hook, then the tenant is disabled, its tokens dropped and its webhooks 404', async () => {
      const outcome = await world.emulator.uninstall(world.subdomain, world.account.integration.clientId);
      assert.equal(outcome?.status, 200);
      assert.equal(new URL(outcome?.url ?? '').pathname, '/oauth/amocrm/uninstall');
      assert.deepEqual(await accountRows(world), [{ tenant_id: site.tenant_id, status: 'disabled' }]);
      const sealed = await world.app.runtime.deps.db.query<{ sealed_tokens: string | null }>('SELECT sealed_tokens FROM crm_accounts WHERE tenant_id = $1', [site.tenant_id]);
      assert.equal(sealed.rows[0]?.sealed_tokens, null);
      assert.ok(world.app.logs.some((line) => line.includes('amoCRM integration disabled by the account')));

      const inboxBefore = await world.app.runtime.deps.db.query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox');
      const response = await fetch(`${world.app.url}/webhooks/amocrm/${hookKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'leads[add][0][id]': '1', 'account[id]': String(world.account.account.id) }).toString(),
      });
      assert.equal(response.status, 404);
      const inboxAfter = await world.app.runtime.deps.db.query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox');
      assert.equal(inboxAfter.rows[0]?.count, inboxBefore.rows[0]?.count);
    });
  });
}
