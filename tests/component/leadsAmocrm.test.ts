import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenantCrm } from '../../server/crm/crmFeature.js';
import { mergedVisitorIds, recordIdentity } from '../../server/crm/identities.js';
import { leadReference } from '../../server/leads/leadDelivery.js';
import { acceptLead } from '../../server/leads/leadIntake.js';
import { createTenantApiKey } from '../../server/tenants/tenantApiKeys.js';
import { testBackends } from '../support/backends.js';
import { leadDelivered, leadRow as leadRowOf, visitBefore } from '../support/leads.js';
import { waitFor } from '../support/processes.js';
import { createTestSite, newId, type CreatedSite } from '../support/tracking.js';
import { installFromWidget, leadFieldsByCode, leadOf, startAmocrmWorld, type AmocrmWorld } from '../support/amocrmWorld.js';

const ORIGIN = 'https://shop.example';

for (const backendName of testBackends()) {
  describe(`leads API and amoCRM delivery on ${backendName}`, () => {
    let world: AmocrmWorld;
    let tenantId: string;
    let site: CreatedSite;
    let apiKey: string;

    before(async () => {
      // A short request timeout: a retry after an unanswered create reads back after 2 x 1 s.
      world = await startAmocrmWorld(backendName, { env: { AMOCRM_REQUEST_TIMEOUT_MS: '1000' } });
      ({ tenantId } = await installFromWidget(world));
      site = await createTestSite(world.app.url, { domain: 'shop.example', tenant_id: tenantId });
      apiKey = (await createTenantApiKey(world.app.runtime.deps.db, tenantId, 'site backend')).key;
    });

    after(async () => {
      await world?.stop();
    });

    const db = () => world.app.runtime.deps.db;
    const accountId = () => world.account.account.id;

    const postLead = (body: Record<string, unknown>, headers: Record<string, string> = { origin: ORIGIN }) =>
      fetch(`${world.app.url}/api/v1/leads`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body: JSON.stringify(body) });

    const leadRow = (id: string) => leadRowOf(db(), id);

    const delivered = (id: string) => leadDelivered(db(), id);

    const visit = (visitor: string, landing: string) => visitBefore(world.app.url, site.key, visitor, landing, 120_000);

    const leadsNamed = (reference: string) => world.emulator.state.leadsOf(accountId()).filter((lead) => lead.name.includes(reference));

    test('when a lead has neither phone nor e-mail, or a bad visitor id, then it is refused with 422 and nothing is stored', async () => {
      const before = await db().query('SELECT count(*)::int AS n FROM lead_requests');
      const none = await postLead({ site: site.key, name: 'Anna', comment: 'call me' });
      assert.equal(none.status, 422);
      assert.match(((await none.json()) as { error: { message: string } }).error.message, /phone or an e-mail/);
      const badVisitor = await postLead({ site: site.key, phone: '+7 900 123-45-67', visitor: 'x' });
      assert.equal(badVisitor.status, 422);
      const unknownField = await postLead({ site: site.key, phone: '+7 900 123-45-67', colour: 'red' });
      assert.equal(unknownField.status, 422);
      const after = await db().query('SELECT count(*)::int AS n FROM lead_requests');
      assert.deepEqual(after.rows, before.rows);
    });

    test('when a page of another origin posts a lead, then it is refused with 403 and no CORS header; the site gets one', async () => {
      const foreign = await postLead({ site: site.key, phone: '+79001112233' }, { origin: 'https://evil.example' });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);
      const unknown = await postLead({ site: 'lf_nosuchsite', phone: '+79001112233' });
      assert.equal(unknown.status, 404);
      const preflight = await fetch(`${world.app.url}/api/v1/leads`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
      const own = await postLead({ site: site.key, phone: '+79001112233', form: 'cors-check' });
      assert.equal(own.status, 202);
      assert.equal(own.headers.get('access-control-allow-origin'), ORIGIN);
    });

    test("when the site's backend posts without a tenant API key, then 401; with the tenant's key, then 202 as an api lead", async () => {
      const anonymous = await fetch(`${world.app.url}/api/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-site-key': site.key },
        body: JSON.stringify({ email: 'backend@example.com' }),
      });
      assert.equal(anonymous.status, 401);
      const keyed = await fetch(`${world.app.url}/api/v1/leads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-site-key': site.key, authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ email: 'Backend@Example.com', form: 'backend', page: 'https://shop.example/order', ip: '203.0.113.9' }),
      });
      assert.equal(keyed.status, 202);
      const { id } = (await keyed.json()) as { id: string };
      const row = await db().query<{ origin: string; email_normalized: string; ip: string }>('SELECT origin, email_normalized, ip FROM lead_requests WHERE id = $1', [id]);
      assert.deepEqual(row.rows[0], { origin: 'api', email_normalized: 'backend@example.com', ip: '203.0.113.9' });
    });

    test('when the phone cannot be read, then the lead is stored with the phone as typed and flagged, and still delivered', async () => {
      const response = await postLead({ site: site.key, phone: 'call me after 6', email: 'flag@example.com', form: 'flagged' });
      assert.equal(response.status, 202);
      const answer = (await response.json()) as { id: string; flags?: string[] };
      assert.deepEqual(answer.flags, ['phone_unparsed']);
      const row = await leadRow(answer.id);
      assert.equal(row.phone, 'call me after 6');
      assert.equal(row.phone_e164, null);
      assert.equal(row.phone_invalid, true);
      const done = await delivered(answer.id);
      const lead = leadOf(world, Number(done.crm_deal_id));
      const contact = world.emulator.state.contacts.get(lead.contacts[0]?.id as number);
      const phones = contact?.customFieldsValues.flatMap((entry) => entry.values.map((value) => String(value.value)));
      assert.ok(phones?.includes('call me after 6'), 'the CRM contact keeps what was typed');
    });

    test('when the same form is sent twice within 60 seconds, then one lead is made and the repeat answers the first id', async () => {
      const body = { site: site.key, phone: '+7 (900) 555-01-01', name: 'Repeat', form: 'callback', visitor: newId() };
      const first = (await (await postLead(body)).json()) as { id: string; duplicate?: boolean };
      const again = await postLead({ ...body, phone: '8 900 555 01 01' });
      assert.equal(again.status, 202);
      const second = (await again.json()) as { id: string; duplicate?: boolean };
      assert.equal(second.id, first.id);
      assert.equal(second.duplicate, true);
      assert.equal(first.duplicate, undefined);
      const otherForm = (await (await postLead({ ...body, form: 'order' })).json()) as { id: string };
      assert.notEqual(otherForm.id, first.id);
      await delivered(first.id);
      assert.equal(leadsNamed(leadReference(first.id)).length, 1);
      assert.equal((await leadRow(first.id)).repeats, 1);
    });

    test('when the first submission is more than 60 seconds older, then the same form makes a second lead', async () => {
      const submission = { tenantId, siteId: site.id, origin: 'form' as const, phone: '+79005550202', formName: 'late' };
      const early = await acceptLead(world.app.runtime.deps, { ...submission, receivedAt: new Date(Date.now() - 61_000) });
      const late = await acceptLead(world.app.runtime.deps, { ...submission, receivedAt: new Date() });
      assert.notEqual(late.id, early.id);
      assert.equal(late.duplicateOf, undefined);
      const withinWindow = await acceptLead(world.app.runtime.deps, { ...submission, receivedAt: new Date(Date.now() + 1_000) });
      assert.deepEqual(withinWindow, { id: late.id, duplicateOf: late.id });
    });

    test('when a visitor sends a form, then an incoming lead is created with its source, form metadata and a new contact; enrichment records it as a form match', async () => {
      const visitor = newId();
      await visit(visitor, 'https://shop.example/promo?utm_source=yandex&utm_medium=cpc&utm_campaign=spring');
      const response = await postLead({
        site: site.key,
        visitor,
        name: 'Анна',
        phone: '+7 900 700-00-01',
        email: 'anna@example.com',
        comment: 'Перезвоните вечером',
        form: 'Обратный звонок',
        page: 'https://shop.example/promo',
        referrer: 'https://yandex.ru/',
      });
      assert.equal(response.status, 202);
      const { id } = (await response.json()) as { id: string };
      const row = await delivered(id);
      assert.equal(row.crm_entity, 'deal');
      const lead = leadOf(world, Number(row.crm_deal_id));
      assert.ok(lead.name.includes(leadReference(id)), 'the lead carries our reference');
      const fields = leadFieldsByCode(world, lead);
      assert.equal(fields['UTM_SOURCE'], 'yandex');
      assert.equal(fields['UTM_MEDIUM'], 'cpc');
      assert.equal(fields['UTM_CAMPAIGN'], 'spring');
      assert.equal(fields['LF_VISITOR_ID'], visitor);
      assert.equal(fields['LF_MATCH'], 'form (100%)');
      const incoming = [...world.emulator.state.unsorted.values()].find((entry) => entry.leadId === lead.id);
      assert.ok(incoming, 'an incoming (unsorted) lead');
      assert.equal(incoming.metadata.visitor_uid, visitor);
      assert.equal(incoming.metadata.form_page, 'https://shop.example/promo');
      assert.equal(incoming.metadata.form_name, 'Обратный звонок');
      assert.equal(incoming.metadata.referer, 'https://yandex.ru/');
      const contact = world.emulator.state.contacts.get(Number(row.crm_contact_id));
      assert.equal(contact?.name, 'Анна');
      const notes = [...world.emulator.state.notes.values()].filter((note) => note.entityId === lead.id);
      assert.ok(notes.some((note) => JSON.stringify(note).includes('Перезвоните вечером')), 'the comment is a note');
      const match = await waitFor('the deal matched', async () => {
        const result = await db().query<{ match_method: string; match_confidence: number; visitor_id: string }>(
          'SELECT match_method, match_confidence, visitor_id FROM deals WHERE tenant_id = $1 AND id = $2 AND enriched_at IS NOT NULL',
          [tenantId, row.crm_deal_id],
        );
        return result.rows[0];
      }, 20_000);
      assert.deepEqual(match, { match_method: 'form', match_confidence: 1, visitor_id: visitor });
      // The phone and e-mail are now the visitor's identities.
      const identities = await db().query<{ kind: string }>('SELECT kind FROM visitor_identities WHERE tenant_id = $1 AND visitor_id = $2 ORDER BY kind', [tenantId, visitor]);
      assert.deepEqual(identities.rows.map((identity) => identity.kind), ['email', 'phone']);
    });

    test('when a contact with the same phone exists, then the new lead is linked to it and no second contact is made', async () => {
      const contactId = world.emulator.createContact(world.subdomain, { name: 'Борис', phones: ['8 (900) 700-00-02'] });
      const contactsBefore = world.emulator.state.contactsOf(accountId()).length;
      const response = await postLead({ site: site.key, visitor: newId(), name: 'Boris again', phone: '+79007000002', form: 'repeat-customer' });
      const { id } = (await response.json()) as { id: string };
      const row = await delivered(id);
      assert.equal(row.crm_contact_id, String(contactId));
      assert.deepEqual(leadOf(world, Number(row.crm_deal_id)).contacts.map((link) => link.id), [contactId]);
      assert.equal(world.emulator.state.contactsOf(accountId()).length, contactsBefore);
      // The same by e-mail, written differently.
      const byEmail = world.emulator.createContact(world.subdomain, { name: 'Вера', emails: ['Vera@Example.com'] });
      const second = (await (await postLead({ site: site.key, email: 'vera@example.com ', form: 'by-email' })).json()) as { id: string };
      assert.equal((await delivered(second.id)).crm_contact_id, String(byEmail));
    });

    test('when amoCRM is down while a form is sent, then the lead is stored at once, waits, and arrives once after recovery', async () => {
      world.emulator.options.faults.serverError = 1;
      const visitor = newId();
      await visit(visitor, 'https://shop.example/?utm_source=google&utm_medium=cpc');
      let id: string;
      try {
        const response = await postLead({ site: site.key, visitor, phone: '+79007000003', form: 'outage' });
        assert.equal(response.status, 202, 'accepted while the CRM is down');
        ({ id } = (await response.json()) as { id: string });
        await waitFor('delivery attempts failing', async () => {
          const row = await leadRow(id);
          return row.attempts >= 2 && row.status === 'pending' && row.last_error !== null;
        }, 30_000);
      } finally {
        world.emulator.options.faults.serverError = 0;
      }
      const row = await delivered(id);
      const created = leadsNamed(leadReference(id));
      assert.equal(created.length, 1, 'exactly one lead');
      assert.equal(String(created[0]?.id), row.crm_deal_id);
      assert.equal(leadFieldsByCode(world, created[0]!)['UTM_SOURCE'], 'google');
    });

    test('when an earlier attempt created the lead but its answer was lost, then a retry finds it instead of creating another', async () => {
      const crm = await tenantCrm(world.app.runtime.deps, tenantId);
      assert.ok(crm);
      const reference = 'LF-readback0001';
      const input = {
        requestId: 'readback',
        reference,
        title: `Read-back [${reference}]`,
        phone: '+79007000004',
        phoneRegion: 'RU' as const,
        sentAt: new Date(),
        fields: { utm_source: 'direct-test' },
        entity: 'lead' as const,
        mayExist: false,
      };
      const first = await crm.connection.createLead(input);
      const again = await crm.connection.createLead({ ...input, mayExist: true });
      assert.deepEqual(again, { ...first, found: true });
      assert.equal(leadsNamed(reference).length, 1);
    });

    test('when a deal cannot be matched, then its reason is one of the fixed set: a call to a non-leased number, or an unknown phone', async () => {
      const matchOf = (dealId: string) =>
        waitFor(`deal ${dealId} matched`, async () => {
          const result = await db().query<{ match_method: string; match_confidence: number; match_reason: string }>(
            'SELECT match_method, match_confidence, match_reason FROM deals WHERE tenant_id = $1 AND id = $2 AND enriched_at IS NOT NULL',
            [tenantId, dealId],
          );
          return result.rows[0];
        }, 20_000);
      // A call whose number no visit held: the call-tracking side passes the reason along.
      const call = await acceptLead(world.app.runtime.deps, {
        tenantId,
        origin: 'call',
        phone: '+79007000006',
        externalId: `call-${newId()}`,
        noMatchReason: 'call_to_non_leased_number',
        receivedAt: new Date(),
      });
      const callRow = await delivered(call.id);
      assert.deepEqual(await matchOf(callRow.crm_deal_id as string), { match_method: 'none', match_confidence: 0, match_reason: 'call_to_non_leased_number' });
      // A deal a manager made for a contact with a phone no visitor ever left.
      const contactId = world.emulator.createContact(world.subdomain, { name: 'Stranger', phones: ['+79007000007'] });
      const leadId = world.emulator.createLead(world.subdomain, { name: 'By hand', _embedded: { contacts: [{ id: contactId }] } });
      assert.deepEqual(await matchOf(String(leadId)), { match_method: 'none', match_confidence: 0, match_reason: 'no_tracker_visit' });
    });

    test('when visitors share identities in a chain, then mergedVisitorIds follows it transitively; a visitor with none is alone', async () => {
      const [a, b, c, alone] = [newId(), newId(), newId(), newId()];
      await recordIdentity(db(), world.app.runtime.deps.identityKey, { tenantId, visitorId: a, kind: 'phone', value: '+79007000010', origin: 'form' });
      await recordIdentity(db(), world.app.runtime.deps.identityKey, { tenantId, visitorId: b, kind: 'phone', value: '8 900 700-00-10', origin: 'call' });
      await recordIdentity(db(), world.app.runtime.deps.identityKey, { tenantId, visitorId: b, kind: 'email', value: 'chain@example.com', origin: 'form' });
      await recordIdentity(db(), world.app.runtime.deps.identityKey, { tenantId, visitorId: c, kind: 'email', value: 'Chain@Example.com', origin: 'email' });
      assert.deepEqual(new Set(await mergedVisitorIds(db(), tenantId, a)), new Set([a, b, c]));
      assert.deepEqual(new Set(await mergedVisitorIds(db(), tenantId, c)), new Set([a, b, c]));
      assert.deepEqual(await mergedVisitorIds(db(), tenantId, alone), [alone]);
    });

    test('when one person uses two devices with the same phone, then their visits merge in the path of the deal', async () => {
      const laptop = newId();
      const phone = newId();
      await visit(laptop, 'https://shop.example/?utm_source=facebook&utm_medium=social');
      await visitBefore(world.app.url, site.key, phone, 'https://shop.example/?utm_source=google&utm_medium=cpc', 60_000);
      // The laptop left the phone number earlier (a form elsewhere), the phone sends the lead now.
      await acceptLead(world.app.runtime.deps, { tenantId, siteId: site.id, origin: 'form', visitorId: laptop, phone: '+79007000005', formName: 'first-device', receivedAt: new Date(Date.now() - 90_000) });
      const response = await postLead({ site: site.key, visitor: phone, phone: '8 900 700 00 05', form: 'second-device' });
      const { id } = (await response.json()) as { id: string };
      assert.deepEqual(new Set(await mergedVisitorIds(db(), tenantId, phone)), new Set([phone, laptop]));
      const row = await delivered(id);
      const fields = leadFieldsByCode(world, leadOf(world, Number(row.crm_deal_id)));
      assert.equal(fields['LF_VISITS'], '2', "both devices' visits are in the path");
      assert.equal(fields['LF_FIRST_TOUCH'], 'facebook / social');
      assert.equal(fields['UTM_SOURCE'], 'google');
    });
  });
}
