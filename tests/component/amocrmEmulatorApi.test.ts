import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';
import { amocrmApi, expectJson, type AmocrmApiInit } from '../support/amocrmApi.js';

interface CustomFieldValue {
  field_id: number;
  field_name: string;
  field_code: string | null;
  field_type: string;
  values: Array<{ value: unknown; enum_id?: number }>;
}

interface LeadBody {
  id: number;
  name: string;
  price: number;
  status_id: number;
  pipeline_id: number;
  closed_at: number | null;
  updated_at: number;
  custom_fields_values: CustomFieldValue[] | null;
  _links: { self: { href: string } };
  _embedded: { tags: Array<{ id: number; name: string }>; companies: unknown[]; contacts?: Array<{ id: number; is_main: boolean }> };
}

interface LeadList {
  _page: number;
  _links: { self: { href: string }; next?: { href: string }; prev?: { href: string } };
  _embedded: { leads: LeadBody[] };
}

interface PipelineBody {
  id: number;
  is_main: boolean;
  _embedded: { statuses: Array<{ id: number; type: number; sort: number; name: string }> };
}

interface ValidationProblem {
  'validation-errors': Array<{ request_id: string; errors: Array<{ code: string; path: string; detail: string }> }>;
  title: string;
  type: string;
  status: number;
  detail: string;
}

/** fetch() does not let a caller set Host, so host addressing is exercised with node:http. */
function getWithHost(url: string, host: string, token: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { headers: { host, authorization: `Bearer ${token}` } }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (body += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, contentType: String(incoming.headers['content-type'] ?? ''), body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('amoCRM emulator REST API v4 (amocrm.md 2)', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let emulator: AmocrmEmulator;
  let acme: EmulatedAccount;
  let token: string;

  before(async () => {
    // A generous limit keeps this suite about shapes; the rate limit has its own tests.
    emulator = await startAmocrmEmulator({ clock, rateLimit: { requestsPerWindow: 1_000_000 } });
    acme = emulator.setupAccount({ subdomain: 'acme' });
    token = emulator.issueTokens('acme', acme.integration.clientId).access_token;
  });

  after(async () => {
    await emulator?.close();
  });

  const api = (path: string, init: AmocrmApiInit & { baseUrl?: string } = {}) => amocrmApi(init.baseUrl ?? acme.baseUrl, token, path, init);


  async function createLeads(items: unknown[]): Promise<number[]> {
    const body = await expectJson<{ _embedded: { leads: Array<{ id: number }> } }>(await api('/leads', { method: 'POST', body: items }));
    return body._embedded.leads.map((lead) => lead.id);
  }

  async function mainPipeline(): Promise<PipelineBody> {
    const body = await expectJson<{ _embedded: { pipelines: PipelineBody[] } }>(await api('/leads/pipelines'));
    const main = body._embedded.pipelines.find((pipeline) => pipeline.is_main);
    assert.ok(main);
    return main;
  }

  describe('addressing and auth', () => {
    test('when the account is addressed by host, then it is served like on amoCRM', async () => {
      const response = await getWithHost(`${emulator.url}/api/v4/account`, 'acme.amocrm.ru', token);
      assert.equal(response.status, 200);
      const body = JSON.parse(response.body) as { id: number; _links: { self: { href: string } } };
      assert.equal(body.id, acme.account.id);
      assert.equal(body._links.self.href, 'http://acme.amocrm.ru/api/v4/account');
    });

    test('when the account is addressed by path prefix, then it is served and links keep the prefix', async () => {
      const body = await expectJson<{ subdomain: string; _links: { self: { href: string } } }>(await api('/account'));
      assert.equal(body.subdomain, 'acme');
      assert.equal(body._links.self.href, `${emulator.url}/_accounts/acme/api/v4/account`);
    });

    test('when www is used as the host, then /api/v4 answers 404', async () => {
      const response = await getWithHost(`${emulator.url}/api/v4/account`, 'www.amocrm.ru', token);
      assert.equal(response.status, 404);
      assert.match(response.contentType, /^application\/problem\+json/);
    });

    test('when an amoCRM account is asked for on the Kommo domain, then it is not found', async () => {
      assert.equal((await getWithHost(`${emulator.url}/api/v4/account`, 'acme.kommo.com', token)).status, 404);
    });

    test('when no token is sent, then the answer is 401 problem+json', async () => {
      const response = await fetch(`${acme.baseUrl}/api/v4/leads`);
      assert.equal(response.status, 401);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(await response.json(), { title: 'Unauthorized', type: 'https://httpstatus.es/401', status: 401, detail: 'Authorization header is missing' });
    });

    test('when an unknown token is sent, then the answer is 401', async () => {
      assert.equal((await api('/account', { headers: { authorization: 'Bearer not-a-token' } })).status, 401);
    });

    test("when a valid token is used on another account's host, then the answer is 401", async () => {
      const globex = emulator.setupAccount({ subdomain: 'globex' });
      assert.equal((await api('/account', { baseUrl: globex.baseUrl })).status, 401);
    });

    test('when any response is sent, then it carries X-Request-Id and HAL content type', async () => {
      const response = await api('/account');
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
      assert.match(response.headers.get('content-type') ?? '', /^application\/hal\+json/);
    });
  });

  describe('account, pipelines and custom fields', () => {
    test('when with=datetime_settings,amojo_id is asked, then those extras are included', async () => {
      const body = await expectJson<{ amojo_id?: string; _embedded?: { datetime_settings?: { timezone: string } } }>(await api('/account?with=datetime_settings,amojo_id'));
      assert.equal(typeof body.amojo_id, 'string');
      assert.equal(body._embedded?.datetime_settings?.timezone, 'Europe/Moscow');
      const plain = await expectJson<Record<string, unknown>>(await api('/account'));
      assert.equal(plain['amojo_id'], undefined);
      assert.equal(plain['_embedded'], undefined);
    });

    test('when pipelines are listed, then the main one has unsorted, regular, 142 and 143 stages', async () => {
      const body = await expectJson<{ _total_items: number; _embedded: { pipelines: PipelineBody[] } }>(await api('/leads/pipelines'));
      assert.equal(body._total_items, 1);
      const statuses = body._embedded.pipelines[0]?._embedded.statuses ?? [];
      assert.equal(statuses[0]?.type, 1);
      assert.deepEqual(statuses.slice(-2).map((status) => status.id), [142, 143]);
    });

    test('when an unknown pipeline is asked, then the answer is the documented 404', async () => {
      const response = await api('/leads/pipelines/1');
      assert.deepEqual(await expectJson(response, 404), { title: 'Not Found', type: 'https://httpstatus.es/404', status: 404, detail: 'Pipeline not found' });
    });

    test('when statuses of a pipeline are listed, then 142 and 143 are there', async () => {
      const pipeline = await mainPipeline();
      const body = await expectJson<{ _embedded: { statuses: Array<{ id: number }> } }>(await api(`/leads/pipelines/${pipeline.id}/statuses`));
      assert.ok(body._embedded.statuses.some((status) => status.id === 142));
      assert.ok(body._embedded.statuses.some((status) => status.id === 143));
    });

    test('when tracking_data fields are listed, then the 19 built-in codes are there', async () => {
      const body = await expectJson<{ _embedded: { custom_fields: Array<{ code: string; type: string }> } }>(
        await api('/leads/custom_fields?filter[type][]=tracking_data&limit=250'),
      );
      const codes = body._embedded.custom_fields.map((field) => field.code);
      assert.equal(codes.length, 19);
      assert.ok(['UTM_SOURCE', 'UTM_MEDIUM', 'YCLID', 'GCLIENTID', 'REFERRER', 'FBCLID'].every((code) => codes.includes(code)));
    });

    test('when a Kommo account lists its tracking fields, then there are 10', async () => {
      const kommo = emulator.setupAccount({ subdomain: 'kommoacc', platform: 'kommo' });
      const kommoToken = emulator.issueTokens('kommoacc', kommo.integration.clientId).access_token;
      const response = await getWithHost(`${emulator.url}/api/v4/leads/custom_fields?limit=250`, 'kommoacc.kommo.com', kommoToken);
      assert.equal(response.status, 200);
      const body = JSON.parse(response.body) as { _embedded: { custom_fields: unknown[] } };
      assert.equal(body._embedded.custom_fields.length, 10);
    });

    test('when custom fields are paged by 5, then next appears until the last page and past it comes 204', async () => {
      const first = await expectJson<{ _page: number; _links: { next?: { href: string } } }>(await api('/leads/custom_fields?limit=5'));
      assert.equal(first._page, 1);
      assert.ok(first._links.next?.href.includes('page=2'));
      const last = await expectJson<{ _links: { next?: unknown } }>(await api('/leads/custom_fields?limit=5&page=4'));
      assert.equal(last._links.next, undefined);
      assert.equal((await api('/leads/custom_fields?limit=5&page=5')).status, 204);
    });

    test('when a select field is created, then it answers 201 with the field, its enums and the request_id', async () => {
      const body = await expectJson<{ _total_items: number; _embedded: { custom_fields: Array<{ id: number; code: string; request_id: string; enums: Array<{ id: number; value: string }> }> } }>(
        await api('/leads/custom_fields', {
          method: 'POST',
          body: [{ name: 'Источник (middleware)', type: 'select', code: 'MW_SOURCE', sort: 510, request_id: 'cf-1', enums: [{ value: 'Яндекс.Директ', sort: 1 }, { value: 'Google Ads', sort: 2 }] }],
        }),
        201,
      );
      assert.equal(body._total_items, 1);
      const field = body._embedded.custom_fields[0];
      assert.equal(field?.code, 'MW_SOURCE');
      assert.equal(field?.request_id, 'cf-1');
      assert.deepEqual(field?.enums.map((option) => option.value), ['Яндекс.Директ', 'Google Ads']);
    });

    test('when a field is created without name, with a bad type or a taken code, then nothing is created and each error is named', async () => {
      const before = emulator.state.customFields.size;
      const body = await expectJson<ValidationProblem>(
        await api('/leads/custom_fields', {
          method: 'POST',
          body: [{ type: 'text' }, { name: 'X', type: 'nonsense' }, { name: 'Y', type: 'text', code: 'UTM_SOURCE' }, { name: 'Z', type: 'select' }],
        }),
        400,
      );
      assert.deepEqual(
        body['validation-errors'].map((entry) => [entry.request_id, entry.errors.map((error) => `${error.code}:${error.path}`)]),
        [
          ['0', ['NotBlank:name']],
          ['1', ['NotSupportedChoice:type']],
          ['2', ['NotSupportedChoice:code']],
          ['3', ['NotBlank:enums']],
        ],
      );
      assert.equal(emulator.state.customFields.size, before);
    });
  });

  describe('leads', () => {
    test('when a lead is created without a stage, then it lands in the first regular stage of the main pipeline', async () => {
      const [id] = await createLeads([{ name: 'Заявка с сайта', price: 15000 }]);
      const lead = await expectJson<LeadBody>(await api(`/leads/${id}`));
      const pipeline = await mainPipeline();
      const firstRegular = pipeline._embedded.statuses.find((status) => status.type === 0);
      assert.equal(lead.pipeline_id, pipeline.id);
      assert.equal(lead.status_id, firstRegular?.id);
      assert.equal(lead.custom_fields_values, null);
      assert.deepEqual(lead._embedded, { tags: [], companies: [] });
      assert.equal(lead._links.self.href, `${acme.baseUrl}/api/v4/leads/${id}`);
    });

    test('when leads are created, then the response echoes request_id or the index', async () => {
      const body = await expectJson<{ _embedded: { leads: Array<{ id: number; request_id: string }> } }>(
        await api('/leads', { method: 'POST', body: [{ name: 'a', request_id: 'frm-7f3a' }, { name: 'b' }] }),
      );
      assert.deepEqual(body._embedded.leads.map((lead) => lead.request_id), ['frm-7f3a', '1']);
    });

    test('when a lead is created with tracking fields by code and by id, then both are stored with name, code and type', async () => {
      const utmMedium = [...emulator.state.customFields.values()].find((field) => field.accountId === acme.account.id && field.code === 'UTM_MEDIUM');
      const [id] = await createLeads([
        {
          name: 'with utm',
          custom_fields_values: [
            { field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] },
            { field_id: utmMedium?.id, values: [{ value: 'cpc' }] },
          ],
        },
      ]);
      const lead = await expectJson<LeadBody>(await api(`/leads/${id}`));
      assert.deepEqual(
        lead.custom_fields_values?.map((value) => [value.field_code, value.field_name, value.field_type, value.values]),
        [
          ['UTM_SOURCE', 'utm_source', 'tracking_data', [{ value: 'yandex' }]],
          ['UTM_MEDIUM', 'utm_medium', 'tracking_data', [{ value: 'cpc' }]],
        ],
      );
    });

    test('when leads are patched in bulk by field_code, then each is updated, others keep their values, and updated_at moves', async () => {
      const ids = await createLeads([
        { name: 'one', custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'google' }] }] },
        { name: 'two' },
      ]);
      clock.advance(60_000);
      const body = await expectJson<{ _embedded: { leads: Array<{ id: number; updated_at: number; request_id: string }> } }>(
        await api('/leads', {
          method: 'PATCH',
          body: ids.map((id) => ({ id, custom_fields_values: [{ field_code: 'UTM_MEDIUM', values: [{ value: 'cpc' }] }, { field_code: 'YCLID', values: [{ value: '2411832901987654321' }] }] })),
        }),
      );
      assert.deepEqual(body._embedded.leads.map((lead) => [lead.id, lead.request_id, lead.updated_at]), ids.map((id, index) => [id, String(index), Math.floor(clock.now() / 1000)]));
      const first = await expectJson<LeadBody>(await api(`/leads/${ids[0]}`));
      assert.deepEqual(first.custom_fields_values?.map((value) => [value.field_code, value.values[0]?.value]), [
        ['UTM_SOURCE', 'google'],
        ['UTM_MEDIUM', 'cpc'],
        ['YCLID', '2411832901987654321'],
      ]);
    });

    test('when one lead is patched into 142, then it answers id and updated_at and the lead is closed', async () => {
      const [id] = await createLeads([{ name: 'to win' }]);
      const body = await expectJson<{ id: number; updated_at: number }>(await api(`/leads/${id}`, { method: 'PATCH', body: { status_id: 142 } }));
      assert.equal(body.id, id);
      const lead = await expectJson<LeadBody>(await api(`/leads/${id}`));
      assert.equal(lead.status_id, 142);
      assert.equal(lead.closed_at, Math.floor(clock.now() / 1000));
    });

    test('when a lead is created into 142 without pipeline_id, then it is a validation error', async () => {
      const body = await expectJson<ValidationProblem>(await api('/leads', { method: 'POST', body: [{ name: 'won', status_id: 142 }] }), 400);
      assert.equal(body['validation-errors'][0]?.errors[0]?.path, 'pipeline_id');
    });

    test('when an unknown field is written, then the validation error has the documented shape and nothing is created', async () => {
      const leadsBefore = emulator.state.leads.size;
      const response = await api('/leads', { method: 'POST', body: [{ name: 'ok' }, { name: 'bad', custom_fields_values: [{ field_id: 1, values: [{ value: 'x' }] }] }] });
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(await expectJson(response, 400), {
        'validation-errors': [
          { request_id: '1', errors: [{ code: 'NotSupportedChoice', path: 'custom_fields_values.0.field_id', detail: 'The value you selected is not a valid choice.' }] },
        ],
        title: 'Bad Request',
        type: 'https://httpstatus.es/400',
        status: 400,
        detail: 'Request validation failed',
      });
      assert.equal(emulator.state.leads.size, leadsBefore);
    });

    test('when a value has the wrong type or an unknown field_code is used, then InvalidType and NotSupportedChoice are reported', async () => {
      const body = await expectJson<ValidationProblem>(
        await api('/leads', {
          method: 'POST',
          body: [{ price: 'a lot', custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: { nested: true } }] }, { field_code: 'NO_SUCH_CODE', values: [{ value: 'x' }] }] }],
        }),
        400,
      );
      assert.deepEqual(body['validation-errors'][0]?.errors.map((error) => `${error.code}:${error.path}`), [
        'InvalidType:price',
        'InvalidType:custom_fields_values.0.values.0.value',
        'NotSupportedChoice:custom_fields_values.1.field_code',
      ]);
    });

    test('when a bulk patch names a missing lead or omits the id, then the whole batch is refused', async () => {
      const [id] = await createLeads([{ name: 'keep' }]);
      const body = await expectJson<ValidationProblem>(await api('/leads', { method: 'PATCH', body: [{ id, name: 'changed' }, { id: 1, name: 'x' }, { name: 'no id' }] }), 400);
      assert.deepEqual(body['validation-errors'].map((entry) => [entry.request_id, entry.errors[0]?.path]), [['1', 'id'], ['2', 'id']]);
      assert.equal((await expectJson<LeadBody>(await api(`/leads/${id}`))).name, 'keep');
    });

    test('when a batch is larger than 250, then it is refused with 400', async () => {
      const response = await api('/leads', { method: 'POST', body: Array.from({ length: 251 }, (_, index) => ({ name: `lead ${index}` })) });
      assert.equal(response.status, 400);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    });

    test('when leads are filtered by id, then only those come back and elements echo the query in their self link', async () => {
      const ids = await createLeads([{ name: 'f1' }, { name: 'f2' }, { name: 'f3' }]);
      const query = `filter[id][]=${ids[0]}&filter[id][]=${ids[2]}`;
      const body = await expectJson<LeadList>(await api(`/leads?${query}`));
      assert.deepEqual(body._embedded.leads.map((lead) => lead.id), [ids[0], ids[2]]);
      assert.ok(body._embedded.leads[0]?._links.self.href.endsWith(`/api/v4/leads/${ids[0]}?${new URLSearchParams(query).toString()}`));
    });

    test('when no lead matches, then the list answers 204 with an empty body', async () => {
      const response = await api('/leads?filter[id][]=1');
      assert.equal(response.status, 204);
      assert.equal(await response.text(), '');
    });

    test('when limit is above 250, then pages hold 250 and next appears while more exist', async () => {
      const existing = emulator.state.leadsOf(acme.account.id).length;
      const batch = Array.from({ length: 250 }, (_, index) => ({ name: `bulk ${index}` }));
      await createLeads(batch);
      await createLeads(batch.slice(0, 10));
      const total = existing + 260;
      const first = await expectJson<LeadList>(await api('/leads?limit=500'));
      assert.equal(first._embedded.leads.length, 250);
      assert.ok(first._links.next?.href.includes('limit=250'));
      const second = await expectJson<LeadList>(await api('/leads?limit=500&page=2'));
      assert.equal(second._embedded.leads.length, total - 250);
      assert.equal(second._links.next, undefined);
      assert.ok(second._links.prev);
    });

    test('when a lead is created with a contact, then with=contacts lists it and without it is absent', async () => {
      const contactId = emulator.createContact('acme');
      const [id] = await createLeads([{ name: 'with contact', _embedded: { contacts: [{ id: contactId, is_main: true }] } }]);
      const withContacts = await expectJson<LeadList>(await api(`/leads?filter[id][]=${id}&with=contacts`));
      assert.deepEqual(withContacts._embedded.leads[0]?._embedded.contacts?.map((contact) => [contact.id, contact.is_main]), [[contactId, true]]);
      const plain = await expectJson<LeadBody>(await api(`/leads/${id}`));
      assert.equal(plain._embedded.contacts, undefined);
    });

    test('when a lead links a contact that does not exist, then it is a validation error', async () => {
      const body = await expectJson<ValidationProblem>(await api('/leads', { method: 'POST', body: [{ name: 'x', _embedded: { contacts: [{ id: 1 }] } }] }), 400);
      assert.equal(body['validation-errors'][0]?.errors[0]?.path, '_embedded.contacts.0.id');
    });

    test('when tags are sent on update, then they replace the previous tags', async () => {
      const [id] = await createLeads([{ name: 'tagged', _embedded: { tags: [{ name: 'site' }, { name: 'promo' }] } }]);
      await expectJson(await api(`/leads/${id}`, { method: 'PATCH', body: { _embedded: { tags: [{ name: 'promo' }] } } }));
      const lead = await expectJson<LeadBody>(await api(`/leads/${id}`));
      assert.deepEqual(lead._embedded.tags.map((tag) => tag.name), ['promo']);
    });

    test('when a missing lead id is read, then the answer is 204 by default', async () => {
      assert.equal((await api('/leads/1')).status, 204);
    });
  });
});

describe('amoCRM emulator with missingLeadStatus 404', () => {
  test('when a missing lead id is read, then the answer is 404 problem+json', async () => {
    const emulator = await startAmocrmEmulator({ clock: createManualClock(), missingLeadStatus: 404 });
    try {
      const acme = emulator.setupAccount({ subdomain: 'acme' });
      const token = emulator.issueTokens('acme', acme.integration.clientId).access_token;
      const response = await fetch(`${acme.baseUrl}/api/v4/leads/1`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 404);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    } finally {
      await emulator.close();
    }
  });
});
