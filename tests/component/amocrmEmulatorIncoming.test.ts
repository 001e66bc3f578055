import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';
import { amocrmApi, expectJson, type AmocrmApiInit } from '../support/amocrmApi.js';

describe('amoCRM emulator notes, complex leads and unsorted forms (amocrm.md 2.3, 2.4, 2.9)', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 9, 26, 51));
  let emulator: AmocrmEmulator;
  let acme: EmulatedAccount;
  let token: string;
  let hookServer: Server;
  const hooks: URLSearchParams[] = [];

  before(async () => {
    emulator = await startAmocrmEmulator({ clock, rateLimit: { requestsPerWindow: 1_000_000 } });
    acme = emulator.setupAccount({ subdomain: 'acme' });
    token = emulator.issueTokens('acme', acme.integration.clientId).access_token;
    hookServer = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        hooks.push(new URLSearchParams(raw));
        response.end();
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', () => resolve()));
    const destination = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/`;
    await expectJson(await api('/webhooks', { method: 'POST', body: { destination, settings: ['note_lead', 'add_lead', 'add_contact'] } }));
  });

  after(async () => {
    await emulator?.close();
    hookServer.closeAllConnections();
    await new Promise<void>((resolve) => hookServer.close(() => resolve()));
  });

  const api = (path: string, init: AmocrmApiInit = {}) => amocrmApi(acme.baseUrl, token, path, init);


  async function newLeadId(): Promise<number> {
    const body = await expectJson<{ _embedded: { leads: Array<{ id: number }> } }>(await api('/leads', { method: 'POST', body: [{ name: 'L' }] }));
    return body._embedded.leads[0]?.id ?? 0;
  }

  async function takeHooks(): Promise<URLSearchParams[]> {
    await emulator.webhooks.settle();
    return hooks.splice(0);
  }

  describe('notes', () => {
    test('when a service_message note is added, then it echoes request_id, is listed on the lead and sends note_lead', async () => {
      const leadId = await newLeadId();
      await takeHooks();
      const created = await expectJson<{ _embedded: { notes: Array<{ id: number; entity_id: number; request_id: string }> } }>(
        await api('/leads/notes', {
          method: 'POST',
          body: [{ entity_id: leadId, note_type: 'service_message', request_id: 'n1', is_need_to_trigger_digital_pipeline: false, params: { service: 'Analytics middleware', text: 'Источник: yandex / cpc' } }],
        }),
      );
      const note = created._embedded.notes[0];
      assert.equal(note?.entity_id, leadId);
      assert.equal(note?.request_id, 'n1');
      const listed = await expectJson<{ _embedded: { notes: Array<{ id: number; note_type: string; params: Record<string, string> }> } }>(await api(`/leads/${leadId}/notes`));
      assert.deepEqual(listed._embedded.notes.map((entry) => [entry.id, entry.note_type, entry.params['service']]), [[note?.id, 'service_message', 'Analytics middleware']]);
      const [hook] = await takeHooks();
      assert.equal(hook?.get('leads[note][0][note][id]'), String(note?.id));
      assert.equal(hook?.get('leads[note][0][note][element_id]'), String(leadId));
      assert.equal(hook?.get('leads[note][0][note][element_type]'), '2');
      assert.equal(hook?.get('leads[note][0][note][note_type]'), '25');
      assert.equal(hook?.get('leads[note][0][note][text]'), 'Источник: yandex / cpc');
      assert.equal(hook?.get('leads[note][0][note][date_create]'), '2026-11-22 12:26:51');
    });

    test('when a common note is posted to /leads/{id}/notes without text, then it is refused; an unknown lead answers 404', async () => {
      const leadId = await newLeadId();
      const refused = await expectJson<{ 'validation-errors': Array<{ errors: Array<{ path: string }> }> }>(
        await api(`/leads/${leadId}/notes`, { method: 'POST', body: [{ note_type: 'common', params: {} }] }),
        400,
      );
      assert.deepEqual(refused['validation-errors'][0]?.errors.map((error) => error.path), ['params.text']);
      assert.equal((await api('/leads/1/notes', { method: 'POST', body: [{ note_type: 'common', params: { text: 'x' } }] })).status, 404);
      assert.equal((await api(`/leads/${leadId}/notes`)).status, 204);
    });
  });

  describe('complex', () => {
    test('when a lead with a contact and a company is created, then a bare array links all three', async () => {
      await takeHooks();
      const response = await api('/leads/complex', {
        method: 'POST',
        body: [{
          name: 'Заявка: консультация', request_id: 'req-1',
          custom_fields_values: [{ field_code: 'UTM_CAMPAIGN', values: [{ value: 'spring' }] }],
          _embedded: {
            tags: [{ name: 'site' }],
            contacts: [{ first_name: 'Анна', last_name: 'Петрова', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79001234567', enum_code: 'WORK' }] }] }],
            companies: [{ name: 'ООО Ромашка' }],
          },
        }],
      });
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const [result] = await expectJson<Array<{ id: number; contact_id: number; company_id: number; request_id: string[]; merged: boolean }>>(response);
      assert.ok(result);
      assert.deepEqual(result.request_id, ['req-1']);
      assert.equal(result.merged, false);
      const lead = await expectJson<{ _embedded: { contacts: Array<{ id: number; is_main: boolean }>; companies: Array<{ id: number }> } }>(await api(`/leads/${result.id}?with=contacts`));
      assert.deepEqual(lead._embedded.contacts.map((contact) => [contact.id, contact.is_main]), [[result.contact_id, true]]);
      assert.deepEqual(lead._embedded.companies.map((company) => company.id), [result.company_id]);
      const found = await expectJson<{ _embedded: { contacts: Array<{ id: number }> } }>(await api('/contacts?query=9001234567'));
      assert.ok(found._embedded.contacts.some((contact) => contact.id === result.contact_id));
      const bodies = await takeHooks();
      assert.equal(bodies[0]?.get('leads[add][0][id]'), String(result.id));
      assert.equal(bodies[0]?.get('contacts[add][0][id]'), String(result.contact_id));
    });

    test('when more than 50 leads or two contacts are sent, then complex answers 400', async () => {
      assert.equal((await api('/leads/complex', { method: 'POST', body: Array.from({ length: 51 }, () => ({ name: 'x' })) })).status, 400);
      const refused = await expectJson<{ 'validation-errors': Array<{ errors: Array<{ path: string }> }> }>(
        await api('/leads/complex', { method: 'POST', body: [{ name: 'x', _embedded: { contacts: [{ name: 'a' }, { name: 'b' }] } }] }),
        400,
      );
      assert.deepEqual(refused['validation-errors'][0]?.errors.map((error) => error.path), ['_embedded.contacts']);
    });

    test('when complex carries metadata, then the lead lands in the unsorted stage whatever status_id says', async () => {
      const pipeline = [...emulator.state.pipelines.values()].find((candidate) => candidate.accountId === acme.account.id && candidate.isMain);
      const regular = pipeline?.statuses.find((status) => status.sort === 30);
      const [result] = await expectJson<Array<{ id: number }>>(
        await api('/leads/complex', {
          method: 'POST',
          body: [{ name: 'Форма', status_id: regular?.id, _embedded: { metadata: { category: 'forms', form_id: 'landing-1', form_name: 'Консультация', form_page: 'https://example.com/promo', form_sent_at: 1748268669, ip: '203.0.113.7', referer: 'https://yandex.ru/' } } }],
        }),
      );
      const lead = await expectJson<{ status_id: number }>(await api(`/leads/${result?.id}`));
      assert.equal(lead.status_id, pipeline?.statuses.find((status) => status.type === 1)?.id);
    });
  });

  describe('complex duplicate control', () => {
    const withPhone = (requestId: string, phone: string) => ({
      name: `Дубль ${requestId}`, request_id: requestId,
      _embedded: { contacts: [{ name: 'Дубль', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: phone }] }] }] },
    });
    type ComplexResult = Array<{ id: number; contact_id: number | null; request_id: string[]; merged: boolean }>;

    test('when duplicate control is off, then a repeated phone makes a new lead and contact', async () => {
      const [first] = await expectJson<ComplexResult>(await api('/leads/complex', { method: 'POST', body: [withPhone('d-0', '+7 901 000-00-01')] }));
      const [second] = await expectJson<ComplexResult>(await api('/leads/complex', { method: 'POST', body: [withPhone('d-1', '+79010000001')] }));
      assert.notEqual(second?.id, first?.id);
      assert.notEqual(second?.contact_id, first?.contact_id);
      assert.equal(second?.merged, false);
    });

    test('when duplicate control is on, then leads matching an existing contact with an open lead are glued to it, and a request is not compared with itself', async () => {
      emulator.setDuplicateControl('acme', acme.integration.clientId, true);
      try {
        const [base] = await expectJson<ComplexResult>(await api('/leads/complex', { method: 'POST', body: [withPhone('d-2', '+7 902 000-00-02')] }));
        const result = await expectJson<ComplexResult>(
          await api('/leads/complex', { method: 'POST', body: [withPhone('d-3', '+7 (902) 000 00 02'), withPhone('d-4', '79020000002'), withPhone('d-5', '+7 903 000-00-03'), withPhone('d-6', '+7 903 000-00-03')] }),
        );
        assert.deepEqual(result[0], { id: base?.id, contact_id: base?.contact_id, company_id: null, request_id: ['d-3', 'd-4'], merged: true });
        assert.equal(result.length, 3);
        assert.notEqual(result[1]?.id, result[2]?.id, 'new duplicates in one request are not compared');
        assert.notEqual(result[1]?.contact_id, result[2]?.contact_id);
        emulator.moveLead('acme', base?.id ?? 0, 143);
        const [afterClose] = await expectJson<ComplexResult>(await api('/leads/complex', { method: 'POST', body: [withPhone('d-7', '+79020000002')] }));
        assert.equal(afterClose?.merged, false, 'a closed lead is not a duplicate');
        assert.equal(afterClose?.contact_id, base?.contact_id, 'but the existing contact is reused');
      } finally {
        emulator.setDuplicateControl('acme', acme.integration.clientId, false);
      }
    });
  });

  describe('unsorted forms', () => {
    const form = {
      source_uid: 'a1b2c3d4-form-1',
      source_name: 'Сайт example.com',
      request_id: 'u-1',
      metadata: {
        form_id: 'landing-1', form_name: 'Обратный звонок', form_page: 'https://example.com/promo?utm_source=yandex',
        ip: '203.0.113.7', form_sent_at: 1748268669, referer: 'https://yandex.ru/search?text=x',
        visitor_uid: '5c7b4e62-2d1b-4f8e-9b1e-2f4e5f6a7b8c', form_type: 1,
      },
      _embedded: {
        leads: [{ name: 'Заявка с сайта', price: 0, custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] }] }],
        contacts: [{ name: 'Анна Ф.', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79005550000' }] }] }],
      },
    };

    test('when a form is posted, then an unsorted lead keeps visitor_uid, form_page, referer and ip, and its contact is hidden from lists', async () => {
      const created = await expectJson<{ _total_items: number; _embedded: { unsorted: Array<{ uid: string; request_id: string; account_id: number; _embedded: { leads: Array<{ id: number }>; contacts: Array<{ id: number }> } }> } }>(
        await api('/leads/unsorted/forms', { method: 'POST', body: [form] }),
      );
      assert.equal(created._total_items, 1);
      const entry = created._embedded.unsorted[0];
      assert.match(entry?.uid ?? '', /^[0-9a-f]{40}$/);
      assert.equal(entry?.request_id, 'u-1');
      assert.equal(entry?.account_id, acme.account.id);
      const stored = await expectJson<{ source_uid: string; category: string; metadata: Record<string, unknown> }>(await api(`/leads/unsorted/${entry?.uid}`));
      assert.equal(stored.category, 'forms');
      assert.deepEqual(stored.metadata, form.metadata);
      const lead = await expectJson<{ status_id: number; pipeline_id: number }>(await api(`/leads/${entry?._embedded.leads[0]?.id}`));
      const pipeline = emulator.state.pipelines.get(lead.pipeline_id);
      assert.equal(lead.status_id, pipeline?.statuses.find((status) => status.type === 1)?.id);
      assert.equal((await api('/contacts?query=9005550000')).status, 204);
      const listed = await expectJson<{ _embedded: { unsorted: Array<{ uid: string }> } }>(await api('/leads/unsorted?filter[category][]=forms'));
      assert.ok(listed._embedded.unsorted.some((item) => item.uid === entry?.uid));
    });

    test('when the same form is posted again, then it is refused as a duplicate', async () => {
      const response = await api('/leads/unsorted/forms', { method: 'POST', body: [{ ...form, request_id: 'u-2' }] });
      const body = await expectJson<{ 'validation-errors': Array<{ request_id: string; errors: Array<{ code: string }> }> }>(response, 400);
      assert.equal(body['validation-errors'][0]?.request_id, 'u-2');
    });

    test('when an incoming lead is accepted into a stage, then it moves there, its contact shows up and the form may come again', async () => {
      const listed = await expectJson<{ _embedded: { unsorted: Array<{ uid: string; _embedded: { leads: Array<{ id: number }>; contacts: Array<{ id: number }> } }> } }>(await api('/leads/unsorted'));
      const entry = listed._embedded.unsorted.find((item) => emulator.state.unsorted.get(item.uid)?.sourceUid === form.source_uid);
      assert.ok(entry);
      const leadId = entry._embedded.leads[0]?.id ?? 0;
      const pipeline = emulator.state.pipelines.get(emulator.state.leads.get(leadId)?.pipelineId ?? 0);
      const stage = pipeline?.statuses.find((status) => status.sort === 30);
      assert.equal((await api(`/leads/unsorted/${entry.uid}/accept`, { method: 'POST', body: { status_id: pipeline?.statuses.find((status) => status.type === 1)?.id } })).status, 400);
      const accepted = await expectJson<{ uid: string; _embedded: { leads: Array<{ id: number }> } }>(await api(`/leads/unsorted/${entry.uid}/accept`, { method: 'POST', body: { user_id: 0, status_id: stage?.id } }));
      assert.equal(accepted._embedded.leads[0]?.id, leadId);
      assert.equal((await expectJson<{ status_id: number }>(await api(`/leads/${leadId}`))).status_id, stage?.id);
      const found = await expectJson<{ _embedded: { contacts: Array<{ id: number }> } }>(await api('/contacts?query=9005550000'));
      assert.deepEqual(found._embedded.contacts.map((contact) => contact.id), entry._embedded.contacts.map((contact) => contact.id));
      assert.equal((await api(`/leads/unsorted/${entry.uid}`)).status, 404);
      const again = await expectJson<{ _embedded: { unsorted: Array<{ uid: string }> } }>(await api('/leads/unsorted/forms', { method: 'POST', body: [form] }));
      const declined = await expectJson<{ _embedded: { leads: Array<{ id: number }> } }>(await api(`/leads/unsorted/${again._embedded.unsorted[0]?.uid}/decline`, { method: 'DELETE' }));
      assert.equal((await api(`/leads/${declined._embedded.leads[0]?.id}`)).status, 204, 'a declined lead is gone');
    });

    test('when source_uid or source_name is missing, then the form is refused with NotBlank', async () => {
      const body = await expectJson<{ 'validation-errors': Array<{ errors: Array<{ code: string; path: string }> }> }>(
        await api('/leads/unsorted/forms', { method: 'POST', body: [{ metadata: { form_id: 'x' } }] }),
        400,
      );
      assert.deepEqual(body['validation-errors'][0]?.errors.map((error) => [error.code, error.path]), [['NotBlank', 'source_uid'], ['NotBlank', 'source_name']]);
    });
  });
});
