import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntegration } from '../../integrations/amocrm/emulator/accounts.js';
import { recordIdentity } from '../../server/crm/identities.js';
import { testBackends } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { adminHeaders, createTestSite, newId, pageview, sendHit, type CreatedSite } from '../support/tracking.js';
import { installFromWidget, leadFieldsByCode, leadOf, notesOf, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';

for (const backendName of testBackends()) {
  describe(`amoCRM integration on ${backendName}`, () => {
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
    const accountId = () => world.account.account.id;

    const visit = async (visitor: string, landing: string) => {
      const response = await sendHit(world.app.url, pageview(site.key, { visitor, visit: newId(), url: landing, landing, ts: Date.now() - 60_000 }));
      assert.equal(response.status, 204);
    };

    const enrichedLead = (leadId: number) =>
      waitFor(`lead ${leadId} enriched`, async () => {
        const fields = leadFieldsByCode(world, leadOf(world, leadId));
        return fields['LF_MATCH'] !== undefined && notesOf(world, leadId).length > 0 ? fields : undefined;
      }, 20_000);

    test('install creates our deal fields once, subscribes the webhook to our address and reads the stages', async () => {
      const fields = world.emulator.state.customFieldsOf(accountId());
      const groups = [...world.emulator.state.customFieldGroups.values()].filter((group) => group.accountId === accountId());
      assert.deepEqual(groups.map((group) => group.name), ['LongFunnel'], 'one field group of ours');
      for (const code of ['LF_VISITOR_ID', 'LF_FIRST_TOUCH', 'LF_LAST_TOUCH', 'LF_CHANNEL', 'LF_VISITS', 'LF_FIRST_VISIT', 'LF_MATCH']) {
        const ours = fields.filter((field) => field.code === code);
        assert.equal(ours.length, 1, `one ${code} field`);
        assert.equal(ours[0]?.groupId, groups[0]?.id, `${code} is in our group`);
      }
      const hooks = world.emulator.state.webhooksOf(accountId());
      assert.equal(hooks.length, 1);
      assert.equal(hooks[0]?.destination, `${world.env.PUBLIC_URL}/webhooks/amocrm/${hookKey}`);
      assert.ok(hooks[0]?.settings.includes('add_lead') && hooks[0]?.settings.includes('status_lead'));
      assert.ok(hookKey.length >= 32, 'the webhook key is unguessable');
      const stages = await db().query<{ kind: string }>('SELECT kind FROM crm_stages WHERE tenant_id = $1', [tenantId]);
      assert.deepEqual(new Set(stages.rows.map((row) => row.kind)), new Set(['entry', 'open', 'won', 'lost']));
      const stored = await db().query<{ sealed_tokens: string }>('SELECT sealed_tokens FROM crm_accounts WHERE tenant_id = $1', [tenantId]);
      const accessToken = [...world.emulator.state.accessTokens.keys()].at(-1) as string;
      assert.ok(stored.rows[0]?.sealed_tokens.startsWith('v1.'));
      assert.ok(!stored.rows[0]?.sealed_tokens.includes(accessToken.slice(0, 20)), 'tokens are sealed at rest');
    });

    test('installing again keeps one tenant, one set of fields and one webhook', async () => {
      const again = await installFromWidget(world);
      assert.equal(again.tenantId, tenantId);
      assert.equal(again.hookKey, hookKey);
      const fields = world.emulator.state.customFieldsOf(accountId()).filter((field) => field.code?.startsWith('LF_'));
      assert.equal(fields.length, 7);
      assert.equal([...world.emulator.state.customFieldGroups.values()].filter((group) => group.accountId === accountId()).length, 1);
      assert.equal(world.emulator.state.webhooksOf(accountId()).length, 1);
    });

    test('a deal created with LF_VISITOR_ID gets its UTM fields, our fields and one note', async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofa_msk&utm_term=buy+sofa&yclid=42');
      const leadId = world.emulator.createLead(world.subdomain, {
        name: 'Sofa order',
        price: 45_000,
        custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }],
      });
      const fields = await enrichedLead(leadId);
      assert.equal(fields['UTM_SOURCE'], 'yandex');
      assert.equal(fields['UTM_MEDIUM'], 'cpc');
      assert.equal(fields['UTM_CAMPAIGN'], 'sofa_msk');
      assert.equal(fields['UTM_TERM'], 'buy sofa');
      assert.equal(fields['YCLID'], '42');
      assert.equal(fields['LF_CHANNEL'], 'Paid Search');
      assert.equal(fields['LF_MATCH'], 'visitor id (100%)');
      assert.equal(fields['LF_VISITS'], '1');
      assert.equal(notesOf(world, leadId).length, 1);
      const deal = await db().query<{ match_method: string; visitor_id: string; amount: string }>(
        'SELECT match_method, visitor_id, amount FROM deals WHERE tenant_id = $1 AND id = $2',
        [tenantId, String(leadId)],
      );
      assert.equal(deal.rows[0]?.match_method, 'visitor_id');
      assert.equal(deal.rows[0]?.visitor_id, visitor);
      assert.equal(Number(deal.rows[0]?.amount), 45_000);
    });

    test("a deal whose contact's phone matches a visitor's form gets the visitor's source", async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=vk&utm_medium=social&utm_campaign=autumn');
      await recordIdentity(db(), world.app.runtime.deps.identityKey, { tenantId, visitorId: visitor, kind: 'phone', value: '+7 900 123-45-67', origin: 'form' });
      const contactId = world.emulator.createContact(world.subdomain, { name: 'Ivan', phones: ['8 (900) 123-45-67'] });
      const leadId = world.emulator.createLead(world.subdomain, { name: 'Call back', _embedded: { contacts: [{ id: contactId }] } });
      const fields = await enrichedLead(leadId);
      assert.equal(fields['UTM_SOURCE'], 'vk');
      assert.equal(fields['UTM_CAMPAIGN'], 'autumn');
      assert.equal(fields['LF_VISITOR_ID'], visitor);
      assert.equal(fields['LF_MATCH'], 'phone (90%)');
    });

    test("an incoming form lead (unsorted) is matched by its form's visitor_uid", async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=sofa_spb&gclid=Cj0-test');
      // A site's form sends it the way amoCRM's own site forms do: another integration of the account.
      const formSender = createIntegration(world.emulator.state, { redirectUri: 'https://forms.example/cb', name: 'Site forms' });
      const token = world.emulator.issueTokens(world.subdomain, formSender.clientId).access_token;
      const response = await fetch(`${world.emulator.url}/_accounts/${world.subdomain}/api/v4/leads/unsorted/forms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            source_uid: `form-${visitor}`,
            source_name: 'shop.example',
            metadata: { form_id: 'callback', form_name: 'Call me back', form_page: 'https://shop.example/', visitor_uid: visitor, form_sent_at: Math.floor(Date.now() / 1000) },
            _embedded: { leads: [{ name: 'Call me back' }] },
          },
        ]),
      });
      assert.equal(response.status, 200);
      const created = (await response.json()) as { _embedded: { unsorted: Array<{ _embedded: { leads: Array<{ id: number }> } }> } };
      const leadId = created._embedded.unsorted[0]?._embedded.leads[0]?.id as number;
      const fields = await enrichedLead(leadId);
      assert.equal(fields['UTM_SOURCE'], 'google');
      assert.equal(fields['GCLID'], 'Cj0-test');
      assert.equal(fields['LF_VISITOR_ID'], visitor);
      assert.equal(fields['LF_MATCH'], 'visitor id (100%)');
    });

    test('a value a person typed is never overwritten', async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand');
      const leadId = world.emulator.createLead(world.subdomain, {
        name: 'Typed by hand',
        custom_fields_values: [
          { field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] },
          { field_code: 'UTM_SOURCE', values: [{ value: 'exhibition' }] },
        ],
      });
      const fields = await enrichedLead(leadId);
      assert.equal(fields['UTM_SOURCE'], 'exhibition');
      assert.equal(fields['UTM_MEDIUM'], 'cpc');
    });

    test('a deal without any visitor link counts as unmatched with the reason, and gets no note', async () => {
      const leadId = world.emulator.createLead(world.subdomain, { name: 'Walk-in' });
      await waitFor('the deal marked in amoCRM', async () => leadFieldsByCode(world, leadOf(world, leadId))['LF_MATCH'] !== undefined);
      const row = await waitFor('the deal recorded as unmatched', async () => {
        const result = await db().query<{ match_method: string; match_reason: string }>(
          'SELECT match_method, match_reason FROM deals WHERE tenant_id = $1 AND id = $2 AND enriched_at IS NOT NULL',
          [tenantId, String(leadId)],
        );
        return result.rows[0];
      });
      assert.equal(row.match_method, 'none');
      // No contact at all: nothing to match by (server/crm/enrichment/matchReasons.ts).
      assert.equal(row.match_reason, 'no_identity');
      assert.equal(notesOf(world, leadId).length, 0);
      assert.equal(leadFieldsByCode(world, leadOf(world, leadId))['LF_MATCH'], 'no match (0%)');
    });

    test('stage changes become stage history, and duplicated webhooks change nothing', async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=telegram&utm_medium=social');
      const leadId = world.emulator.createLead(world.subdomain, { name: 'Moves', custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }] });
      await enrichedLead(leadId);
      world.emulator.moveLead(world.subdomain, leadId, 142);
      await world.emulator.webhooks.settle();
      const changes = await waitFor('the stage change', async () => {
        const result = await db().query<{ to_stage_id: string }>('SELECT to_stage_id FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2', [tenantId, String(leadId)]);
        return result.rows.length > 0 ? result.rows : undefined;
      });
      assert.deepEqual(changes.map((row) => row.to_stage_id), ['142']);
      await waitFor('the deal won', async () => {
        const result = await db().query<{ outcome: string }>('SELECT outcome FROM deals WHERE tenant_id = $1 AND id = $2', [tenantId, String(leadId)]);
        return result.rows[0]?.outcome === 'won';
      });

      // Every body amoCRM delivered about this lead, sent once more (as amoCRM does at times).
      const received = await db().query<{ body: string }>('SELECT body FROM crm_inbox WHERE tenant_id = $1 ORDER BY id', [tenantId]);
      const delivered = received.rows.filter((row) => row.body.includes(`=${leadId}&`) || row.body.endsWith(`=${leadId}`));
      assert.ok(delivered.length >= 2, 'add and status webhooks were delivered');
      const before = { notes: notesOf(world, leadId).length, fields: leadFieldsByCode(world, leadOf(world, leadId)), updatedAt: leadOf(world, leadId).updatedAt };
      for (const attempt of delivered) {
        const again = await fetch(`${world.app.url}/webhooks/amocrm/${hookKey}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: attempt.body,
        });
        assert.equal(again.status, 200);
      }
      await waitFor('the repeated webhooks processed', async () => {
        const result = await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox WHERE tenant_id = $1 AND processed_at IS NULL', [tenantId]);
        const pending = await db().query<{ count: string }>('SELECT count(*) AS count FROM enrichment_pending WHERE tenant_id = $1', [tenantId]);
        return Number(result.rows[0]?.count) === 0 && Number(pending.rows[0]?.count) === 0;
      });
      const stageRows = await db().query('SELECT 1 FROM stage_changes WHERE tenant_id = $1 AND deal_id = $2', [tenantId, String(leadId)]);
      assert.equal(stageRows.rows.length, 1);
      assert.equal(notesOf(world, leadId).length, before.notes);
      assert.deepEqual(leadFieldsByCode(world, leadOf(world, leadId)), before.fields);
      assert.equal(leadOf(world, leadId).updatedAt, before.updatedAt, 'no write reached the lead');
    });

    test('a webhook for an unknown hookKey is 404; a truncated body is 400 and stored nowhere', async () => {
      const unknown = await fetch(`${world.app.url}/webhooks/amocrm/not-a-real-key`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'leads%5Badd%5D%5B0%5D%5Bid%5D=1',
      });
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'unknown_webhook');
      const stored = await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox');
      const truncated = await fetch(`${world.app.url}/webhooks/amocrm/${hookKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'leads%5Badd%5D%5B0%5D%5Bname%5D=Cut&leads%5Badd%5D%5B0%5D%5Bi',
      });
      assert.equal(truncated.status, 400);
      assert.equal(((await truncated.json()) as { error: { code: string } }).error.code, 'invalid_webhook');
      const after = await db().query<{ count: string }>('SELECT count(*) AS count FROM crm_inbox');
      assert.equal(after.rows[0]?.count, stored.rows[0]?.count);
      assert.ok(world.app.logs.some((line) => line.includes('amoCRM webhook body refused')));
    });

    test('an expired access token is refreshed once and the work goes on', async () => {
      world.clock.advance(86_400_000 + 60_000);
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=mailru&utm_medium=cpc');
      const leadId = world.emulator.createLead(world.subdomain, { name: 'After a day', custom_fields_values: [{ field_code: 'LF_VISITOR_ID', values: [{ value: visitor }] }] });
      const fields = await enrichedLead(leadId);
      assert.equal(fields['UTM_SOURCE'], 'mailru');
      assert.ok(world.app.logs.some((line) => line.includes('CRM tokens refreshed')));
    });

    test('the admin gets a consent link whose state names the tenant', async () => {
      const response = await fetch(`${world.app.url}/api/v1/integrations/amocrm/install-link`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ tenantId }) });
      assert.equal(response.status, 201);
      const link = (await response.json()) as { url: string; state: string };
      const url = new URL(link.url);
      assert.equal(url.origin + url.pathname, 'https://www.amocrm.ru/oauth');
      assert.equal(url.searchParams.get('client_id'), world.account.integration.clientId);
      assert.equal(url.searchParams.get('state'), link.state);
      const closed = await fetch(`${world.app.url}/api/v1/integrations/amocrm/install-link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(closed.status, 401);
    });
  });
}
