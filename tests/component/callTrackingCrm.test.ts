/**
 * A tracked call and the deal the CRM's own telephony makes for it, with LongFunnel installed into
 * the amoCRM emulator through the real flow: the deal is matched by the call to the visit that held
 * the number and the call is attached to it; a deal after a call no visit can be tied to says why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { settleCallDeal } from '../../server/callTracking/callDeals.js';
import { testBackends } from '../support/backends.js';
import { configureNumbers, createTenantKey, postCall, swapHit } from '../support/callTracking.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, type CreatedSite } from '../support/tracking.js';
import { installFromWidget, leadFieldsByCode, leadOf, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';

for (const backendName of testBackends()) {
  describe(`call tracking and the CRM's own telephony deals (amoCRM) on ${backendName}`, () => {
    let world: AmocrmWorld;
    let tenantId: string;
    let site: CreatedSite;
    let key: string;

    before(async () => {
      world = await startAmocrmWorld(backendName);
      ({ tenantId } = await installFromWidget(world));
      site = await createTestSite(world.app.url, { domain: 'shop.example', tenant_id: tenantId });
      key = await createTenantKey(world.app.url, tenantId);
      await configureNumbers(world.app.url, site.id, { default_number: '+7 495 123-45-67', pool: ['+7 495 300-00-01', '+7 495 300-00-02'] });
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.app.runtime.deps.db;

    const dealRow = (leadId: number) =>
      waitFor(`deal ${leadId} enriched`, async () => {
        const { rows } = await db().query<{ match_method: string; match_reason: string | null; visitor_id: string | null }>(
          'SELECT match_method, match_reason, visitor_id FROM deals WHERE tenant_id = $1 AND id = $2 AND enriched_at IS NOT NULL',
          [tenantId, String(leadId)],
        );
        return rows[0];
      }, 20_000);

    test("when the CRM's telephony makes a deal for a tracked caller, then the deal is matched by the call to the visit that held the number, and the call is attached to it", async () => {
      const landing = 'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=sofas';
      const visit = await swapHit(world.app.url, site.key, { landing });
      const number = `+7${visit.body!.phone![1]}`;
      const response = await postCall(world.app.url, key, { call_id: `call-${newId()}`, tracking_number: number, caller_number: '8 916 700-00-01', started_at: new Date().toISOString(), duration_seconds: 80 });
      const { call } = (await response.json()) as { call: { call_id: string; visitor_id: string } };
      assert.equal(call.visitor_id, visit.visitor);

      const contactId = world.emulator.createContact(world.subdomain, { name: 'Caller', phones: ['+7 (916) 700-00-01'] });
      const leadId = world.emulator.createLead(world.subdomain, { name: 'Incoming call', _embedded: { contacts: [{ id: contactId }] } });
      const deal = await dealRow(leadId);
      assert.deepEqual([deal.match_method, deal.visitor_id], ['call', visit.visitor]);
      const fields = await waitFor('the source in amoCRM', async () => {
        const values = leadFieldsByCode(world, leadOf(world, leadId));
        return values['LF_MATCH'] ? values : undefined;
      });
      assert.equal(fields['LF_MATCH'], 'call (95%)');
      assert.equal(fields['UTM_SOURCE'], 'yandex');
      assert.equal(fields['UTM_CAMPAIGN'], 'sofas');
      const { rows } = await db().query('SELECT deal_id FROM calls WHERE tenant_id = $1 AND call_id = $2', [tenantId, call.call_id]);
      assert.deepEqual(rows, [{ deal_id: String(leadId) }]);
      // Its deal is known: settling it later creates no second lead.
      assert.equal(await settleCallDeal(world.app.runtime.deps, tenantId, call.call_id), 'settled_before');
    });

    test('when a call came to the default number and the CRM makes a deal for the caller, then the deal is unmatched with the reason call_to_non_leased_number', async () => {
      const callId = `call-${newId()}`;
      await postCall(world.app.url, key, { call_id: callId, tracking_number: '+7 495 123-45-67', caller_number: '+7 916 700-00-02', started_at: new Date().toISOString(), duration_seconds: 20 });
      const contactId = world.emulator.createContact(world.subdomain, { name: 'Offline', phones: ['89167000002'] });
      const leadId = world.emulator.createLead(world.subdomain, { name: 'Incoming call', _embedded: { contacts: [{ id: contactId }] } });
      const deal = await dealRow(leadId);
      assert.deepEqual([deal.match_method, deal.match_reason], ['none', 'call_to_non_leased_number']);
      const { rows } = await db().query('SELECT deal_id FROM calls WHERE tenant_id = $1 AND call_id = $2', [tenantId, callId]);
      assert.deepEqual(rows, [{ deal_id: String(leadId) }]);
      assert.equal(await settleCallDeal(world.app.runtime.deps, tenantId, callId), 'settled_before');
    });
  });
}
