/**
 * amoCRM at its edges after install (issue 4): a spent refresh token puts the account into
 * "needs re-authorisation" without dropping its work, a re-install lets that work go on; every
 * stored real webhook body is accepted, and malformed bodies are refused with a log line while the
 * process keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { amocrmSampleBody, amocrmSampleFiles } from '../support/amocrmSamples.js';
import { testBackends } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, pageview, sendHit, type CreatedSite } from '../support/tracking.js';
import {
  installFromWidget,
  leadFieldsByCode,
  leadOf,
  metricValue,
  startAmocrmWorld,
  storedTokens,
  type AmocrmWorld,
} from '../support/amocrmWorld.js';



interface Health {
  status: number;
  body: { crm?: { needsReauthorisation?: Array<{ tenant: string; crm: string; domain: string; reason: string | null }> } };
}

async function readyz(world: AmocrmWorld): Promise<Health> {
  const response = await fetch(`${world.app.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Health['body'] };
}

for (const backendName of testBackends()) {
  describe(`amoCRM re-authorisation and webhook bodies on ${backendName}`, () => {
    let world: AmocrmWorld;
    let tenantId: string;
    let hookKey: string;
    let site: CreatedSite;

    before(async () => {
      world = await startAmocrmWorld(backendName);
      ({ tenantId, hookKey } = await installFromWidget(world));
      site = await createTestSite(world.app.url, { domain: 'shop.example', tenant_id: tenantId });
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.app.runtime.deps.db;
    const postWebhook = (body: string | undefined, contentType: string | null) =>
      fetch(`${world.app.url}/webhooks/amocrm/${hookKey}`, {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        ...(body === undefined ? {} : { body }),
      });
    const inboxCount = async () => Number((await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox')).rows[0]?.count);

    test('when every stored real amoCRM webhook body is posted, then each is accepted, stored and processed', async () => {
      const files = amocrmSampleFiles();
      assert.ok(files.length >= 12, 'the samples are there');
      const before = await inboxCount();
      for (const file of files) {
        // A body names the account it was captured from; our endpoint refuses a body whose
        // account[id] is not the account of its address (400). Stand it in for ours, if it has one.
        const body = amocrmSampleBody(file).replace(/(account%5Bid%5D=)\d+/g, `$1${world.account.account.id}`);
        const response = await postWebhook(body, 'application/x-www-form-urlencoded');
        assert.equal(response.status, 200, `${file}: ${await response.clone().text()}`);
      }
      assert.equal(await inboxCount(), before + files.length);
      await waitFor('every sample processed', async () => {
        const left = await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox WHERE processed_at IS NULL');
        return Number(left.rows[0]?.count) === 0;
      });
      // The won move of the 2018 capture became stage history.
      const won = await db().query<{ from_stage_id: string; to_stage_id: string }>('SELECT from_stage_id, to_stage_id FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2', [
        tenantId,
        '10701093',
      ]);
      assert.deepEqual(won.rows, [{ from_stage_id: '20067736', to_stage_id: '142' }]);
    });

    test('when a webhook body is malformed, then it is refused with 400 or 415 and a log line, stored nowhere, and the process keeps serving', async () => {
      const cases: Array<{ why: string; body: string | undefined; contentType: string | null; status: number }> = [
        { why: 'a JSON body', body: JSON.stringify({ leads: { add: [{ id: 1 }] } }), contentType: 'application/json', status: 415 },
        { why: 'plain text', body: 'leads[add][0][id]=1', contentType: 'text/plain', status: 415 },
        { why: 'no content type and no body', body: undefined, contentType: null, status: 415 },
        { why: 'an empty form body', body: '', contentType: 'application/x-www-form-urlencoded', status: 400 },
        { why: 'events without ids', body: 'leads%5Badd%5D%5B0%5D%5Bname%5D=No+id&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142', contentType: 'application/x-www-form-urlencoded', status: 400 },
        { why: 'a non-numeric id', body: 'leads%5Badd%5D%5B0%5D%5Bid%5D=1%3BDROP', contentType: 'application/x-www-form-urlencoded', status: 400 },
        { why: 'form fields without brackets', body: 'hello=world&%E0%A4%A=broken', contentType: 'application/x-www-form-urlencoded', status: 400 },
        { why: "another account's body", body: `leads%5Badd%5D%5B0%5D%5Bid%5D=1&account%5Bid%5D=${world.account.account.id + 1}`, contentType: 'application/x-www-form-urlencoded', status: 400 },
      ];
      const stored = await inboxCount();
      for (const { why, body, contentType, status } of cases) {
        const logsBefore = world.app.logs.length;
        const response = await postWebhook(body, contentType);
        const error = ((await response.json()) as { error: { code: string; message: string } }).error;
        assert.equal(response.status, status, `${why}: ${error.message}`);
        assert.equal(error.code, status === 415 ? 'unsupported_media_type' : 'invalid_webhook', why);
        assert.ok(
          world.app.logs.slice(logsBefore).some((line) => line.includes('amoCRM webhook body refused')),
          `${why}: a log line says the body was refused`,
        );
      }
      assert.equal(await inboxCount(), stored);
      assert.equal((await fetch(`${world.app.url}/healthz`)).status, 200);
      const leadId = world.emulator.createLead(world.subdomain, { name: 'Still served' });
      await world.emulator.webhooks.settle();
      await waitFor('a good webhook still processed', async () => {
        const deal = await db().query('SELECT 1 FROM deals WHERE tenant_id = $1 AND id = $2 AND enriched_at IS NOT NULL', [tenantId, String(leadId)]);
        return deal.rows.length === 1;
      });
    });

    test('when the refresh token was spent behind our back, then the account needs re-authorisation, its deals wait, and a re-install enriches them', async () => {
      // Someone else (a second copy of LongFunnel, a developer with curl) refreshes with our token.
      const tokens = await storedTokens(world, tenantId);
      assert.ok(tokens);
      const { clientId, clientSecret, redirectUri } = world.account.integration;
      const stolen = await fetch(`${world.account.baseUrl}/oauth2/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, grant_type: 'refresh_token', refresh_token: tokens.refreshToken }),
      });
      assert.equal(stolen.status, 200);
      world.clock.advance(86_400_000 + 60_000);
      const revokedBefore = await metricValue(world, 'longfunnel_crm_token_refreshes_total', 'crm="amocrm",outcome="revoked"');

      const visitors = [newId(), newId()];
      for (const visitor of visitors) {
        const landing = 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=waiting';
        const hit = await sendHit(world.app.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - 60_000 }));
        assert.equal(hit.status, 204);
      }
      const leadIds = visitors.map((visitor) =>
        world.emulator.createLead(world.subdomain, { name: 'Waits', custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }] }),
      );
      await world.emulator.webhooks.settle();

      await waitFor('the account marked as needing re-authorisation', async () => {
        const row = await db().query<{ status: string }>('SELECT status FROM crm_accounts WHERE tenant_id = $1', [tenantId]);
        return row.rows[0]?.status === 'needs_reauth';
      });
      // The flush gives its claim back when it stops: the deals wait, unclaimed, for the re-install.
      const waiting = await waitFor('the waiting deals released', async () => {
        const rows = await db().query<{ deal_id: string }>('SELECT deal_id FROM enrichment_pending WHERE tenant_id = $1 AND claimed_until IS NULL AND deal_id = ANY($2::text[])', [
          tenantId,
          leadIds.map(String),
        ]);
        return rows.rows.length === leadIds.length ? rows.rows : undefined;
      });
      assert.equal(waiting.length, 2);
      for (const leadId of leadIds) assert.equal(leadFieldsByCode(world, leadOf(world, leadId))['LF_MATCH'], undefined, `lead ${leadId} not written`);

      const health = await readyz(world);
      assert.equal(health.status, 200);
      assert.deepEqual(health.body.crm?.needsReauthorisation?.map(({ tenant, crm, domain }) => ({ tenant, crm, domain })), [
        { tenant: tenantId, crm: 'amocrm', domain: `${world.subdomain}.amocrm.ru` },
      ]);
      assert.match(health.body.crm?.needsReauthorisation?.[0]?.reason ?? '', /Token has been revoked/);
      assert.equal(await metricValue(world, 'longfunnel_crm_token_refreshes_total', 'crm="amocrm",outcome="revoked"'), revokedBefore + 1);
      assert.equal(await metricValue(world, 'longfunnel_crm_accounts_needing_reauth', 'crm="amocrm"'), 1);
      assert.ok(world.app.logs.some((line) => line.includes('CRM grant revoked') && line.includes(tenantId)));

      const again = await installFromWidget(world);
      assert.equal(again.tenantId, tenantId);
      for (const leadId of leadIds) {
        const fields = await waitFor(`lead ${leadId} enriched after the re-install`, async () => {
          const values = leadFieldsByCode(world, leadOf(world, leadId));
          return values['LF_MATCH'] !== undefined ? values : undefined;
        });
        assert.equal(fields['UTM_CAMPAIGN'], 'waiting');
        assert.equal(fields['LF_MATCH'], 'visitor id (100%)');
      }
      const afterReinstall = await readyz(world);
      assert.deepEqual(afterReinstall.body.crm?.needsReauthorisation, []);
      assert.equal(await metricValue(world, 'longfunnel_crm_accounts_needing_reauth', 'crm="amocrm"'), 0);
    });
  });
}
