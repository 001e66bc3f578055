import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { leadReference } from '../../server/leads/leadDelivery.js';
import { updateTenantSettings } from '../../server/tenants/tenantSettings.js';
import { testBackends } from '../support/backends.js';
import { leadDelivered, leadRow as leadRowOf, visitBefore } from '../support/leads.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, type CreatedSite } from '../support/tracking.js';
import { dealOf, installFromPortal, leadOf, startBitrix24World, type Bitrix24World } from '../support/bitrix24World.js';

const ORIGIN = 'https://shop.example';

for (const backendName of testBackends()) {
  describe(`leads delivered to Bitrix24 on ${backendName}`, () => {
    let world: Bitrix24World;
    let tenantId: string;
    let site: CreatedSite;

    before(async () => {
      world = await startBitrix24World(backendName, { env: { BITRIX24_REQUEST_TIMEOUT_MS: '1000' } });
      ({ tenantId } = await installFromPortal(world));
      site = await createTestSite(world.lf.url, { domain: 'shop.example', tenant_id: tenantId });
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.lf.runtime.deps.db;
    const portalId = () => world.portal.portal.id;

    const postLead = async (body: Record<string, unknown>) => {
      const response = await fetch(`${world.lf.url}/api/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: ORIGIN },
        body: JSON.stringify({ site: site.key, ...body }),
      });
      assert.equal(response.status, 202);
      return ((await response.json()) as { id: string }).id;
    };

    const leadRow = (id: string) => leadRowOf(db(), id);

    const delivered = (id: string) => leadDelivered(db(), id);

    const visit = (visitor: string, landing: string) => visitBefore(world.lf.url, site.key, visitor, landing, 60_000);

    const recordsTitled = (kind: 'lead' | 'deal' | 'contact', reference: string) =>
      world.emulator.state.recordsOf(portalId(), kind).filter((record) => String(record.values['TITLE'] ?? '').includes(reference));

    test('when the tenant keeps website leads as leads, then crm.lead.add makes one with UTM fields, our fields, the person and the source', async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=vk&utm_medium=social&utm_campaign=autumn');
      const id = await postLead({ visitor, name: 'Ольга', phone: '+7 900 800-00-01', email: 'olga@example.com', comment: 'Нужна доставка', form: 'Заказ', page: 'https://shop.example/cart' });
      const row = await delivered(id);
      assert.equal(row.crm_entity, 'lead');
      assert.match(row.crm_deal_id ?? '', /^L\d+$/);
      const lead = leadOf(world, Number(row.crm_deal_id?.slice(1)));
      assert.ok(String(lead.values['TITLE']).includes(leadReference(id)));
      assert.equal(lead.values['UTM_SOURCE'], 'vk');
      assert.equal(lead.values['UTM_MEDIUM'], 'social');
      assert.equal(lead.values['UTM_CAMPAIGN'], 'autumn');
      assert.equal(lead.values['SOURCE_ID'], 'WEB');
      assert.equal(lead.values['SOURCE_DESCRIPTION'], 'Заказ — https://shop.example/cart');
      assert.equal(lead.values['COMMENTS'], 'Нужна доставка');
      assert.equal(lead.values['NAME'], 'Ольга');
      assert.deepEqual(lead.multi.PHONE.map((entry) => entry.value), ['+79008000001']);
      assert.deepEqual(lead.multi.EMAIL.map((entry) => entry.value), ['olga@example.com']);
      assert.equal(lead.userFields['UF_CRM_LF_VISITOR_ID'], visitor);
      assert.equal(lead.userFields['UF_CRM_LF_MATCH'], 'form (100%)');
      const match = await waitFor('the lead matched', async () => {
        const result = await db().query<{ match_method: string; visitor_id: string }>(
          'SELECT match_method, visitor_id FROM deals WHERE tenant_id = $1 AND id = $2 AND enriched_at IS NOT NULL',
          [tenantId, row.crm_deal_id],
        );
        return result.rows[0];
      }, 20_000);
      assert.deepEqual(match, { match_method: 'form', visitor_id: visitor });
    });

    test('when the tenant makes deals, then crm.deal.add gets a new contact once, and a second lead of the same person reuses it', async () => {
      await updateTenantSettings(db(), tenantId, { bitrix24LeadEntity: 'deal' });
      try {
        const contactsBefore = world.emulator.state.recordsOf(portalId(), 'contact').length;
        const first = await delivered(await postLead({ visitor: newId(), name: 'Пётр', phone: '8 (900) 800-00-02', form: 'first' }));
        assert.equal(first.crm_entity, 'deal');
        const deal = dealOf(world, Number(first.crm_deal_id));
        assert.equal(String(deal.values['CONTACT_ID']), first.crm_contact_id);
        const contact = world.emulator.state.record('contact', Number(first.crm_contact_id));
        assert.deepEqual(contact?.multi.PHONE.map((entry) => entry.value), ['+79008000002']);
        const second = await delivered(await postLead({ name: 'Пётр', phone: '+79008000002', form: 'second' }));
        assert.equal(second.crm_contact_id, first.crm_contact_id, 'the same contact');
        assert.notEqual(second.crm_deal_id, first.crm_deal_id);
        assert.equal(world.emulator.state.recordsOf(portalId(), 'contact').length, contactsBefore + 1);
        // A contact a manager made, found by e-mail.
        const managers = world.emulator.createContact(world.name, { NAME: 'Sales contact', EMAIL: [{ VALUE: 'Known@Example.com', VALUE_TYPE: 'WORK' }] });
        const third = await delivered(await postLead({ email: 'known@example.com', form: 'third' }));
        assert.equal(third.crm_contact_id, String(managers));
        assert.equal(dealOf(world, Number(third.crm_deal_id)).values['CONTACT_ID'], String(managers));
      } finally {
        await updateTenantSettings(db(), tenantId, { bitrix24LeadEntity: 'lead' });
      }
    });

    test('when a person with a contact sends a lead, then the Bitrix24 lead is linked to that contact (a repeat lead)', async () => {
      const contactId = world.emulator.createContact(world.name, { NAME: 'Repeat', PHONE: [{ VALUE: '+7 900 800-00-03', VALUE_TYPE: 'WORK' }] });
      const row = await delivered(await postLead({ phone: '89008000003', form: 'repeat' }));
      assert.equal(row.crm_entity, 'lead');
      assert.equal(row.crm_contact_id, String(contactId));
      assert.equal(leadOf(world, Number(row.crm_deal_id?.slice(1))).values['CONTACT_ID'], String(contactId));
    });

    test('when Bitrix24 is down while a form is sent, then the lead waits and is created once after recovery', async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=google&utm_medium=cpc');
      world.emulator.options.faults.serverError = 1;
      let id: string;
      try {
        id = await postLead({ visitor, phone: '+79008000004', form: 'outage' });
        await waitFor('delivery attempts failing', async () => {
          const row = await leadRow(id);
          return row.attempts >= 2 && row.status === 'pending' && row.last_error !== null;
        }, 30_000);
      } finally {
        world.emulator.options.faults.serverError = 0;
      }
      const row = await delivered(id);
      const created = recordsTitled('lead', leadReference(id));
      assert.equal(created.length, 1, 'exactly one lead');
      assert.equal(`L${created[0]?.id}`, row.crm_deal_id);
      assert.equal(created[0]?.values['UTM_SOURCE'], 'google');
    });
  });
}
