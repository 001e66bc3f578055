import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type StartOptions } from '../../integrations/amocrm/emulator/server.js';
import { leadChange, parseAmocrmWebhookBody } from '../../integrations/amocrm/webhook.js';
import { sharedDir } from '../support/repoRoot.js';
import { startReceiver, type Received } from '../support/webhookReceiver.js';

interface ContactBody {
  id: number;
  name: string;
  custom_fields_values: Array<{ field_code: string; field_type: string; values: Array<{ value: string; enum_id: number; enum_code: string }> }> | null;
  _embedded: { leads?: Array<{ id: number }> };
}

async function setup(options: StartOptions = {}) {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  const emulator = await startAmocrmEmulator({ clock, rateLimit: { requestsPerWindow: 1_000_000 }, ...options });
  const acme = emulator.setupAccount({ subdomain: 'acme' });
  const token = emulator.issueTokens('acme', acme.integration.clientId).access_token;
  const api = (apiPath: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${acme.baseUrl}/api/v4${apiPath}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  const json = async <T>(response: Response, status = 200): Promise<T> => {
    assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const createLead = async (item: unknown = { name: 'Заявка с сайта', price: 100 }) =>
    (await json<{ _embedded: { leads: Array<{ id: number }> } }>(await api('/leads', { method: 'POST', body: [item] })))._embedded.leads[0]?.id ?? 0;
  return { clock, emulator, acme, api, json, createLead };
}

type Setup = Awaited<ReturnType<typeof setup>>;

describe('amoCRM emulator contacts (amocrm.md 2.5)', () => {
  let world: Setup;
  before(async () => {
    world = await setup();
  });
  after(async () => world.emulator.close());

  test('when a contact is created with PHONE and EMAIL by enum_code, then it is returned with enum_id and enum_code', async () => {
    const { api, json } = world;
    const created = await json<{ _embedded: { contacts: Array<{ id: number; request_id: string }> } }>(
      await api('/contacts', {
        method: 'POST',
        body: [{
          first_name: 'Анна', last_name: 'Петрова', request_id: 'c-1',
          custom_fields_values: [
            { field_code: 'PHONE', values: [{ value: '+7 (900) 123-45-67', enum_code: 'MOB' }] },
            { field_code: 'EMAIL', values: [{ value: 'Anna@Example.com' }] },
          ],
        }],
      }),
    );
    const id = created._embedded.contacts[0]?.id;
    assert.equal(created._embedded.contacts[0]?.request_id, 'c-1');
    const contact = await json<ContactBody>(await api(`/contacts/${id}`));
    assert.equal(contact.name, 'Анна Петрова');
    const phone = contact.custom_fields_values?.find((field) => field.field_code === 'PHONE');
    assert.equal(phone?.field_type, 'multitext');
    assert.equal(phone?.values[0]?.enum_code, 'MOB');
    assert.equal(typeof phone?.values[0]?.enum_id, 'number');
    assert.equal(contact.custom_fields_values?.find((field) => field.field_code === 'EMAIL')?.values[0]?.enum_code, 'WORK');
  });

  test('when a multitext field is created for leads, then it is refused because multitext is contact-only', async () => {
    const body = await world.json<{ 'validation-errors': Array<{ errors: Array<{ code: string; path: string }> }> }>(
      await world.api('/leads/custom_fields', { method: 'POST', body: [{ name: 'Телефон сделки', type: 'multitext' }] }),
      400,
    );
    assert.deepEqual(body['validation-errors'][0]?.errors.map((error) => [error.code, error.path]), [['NotSupportedChoice', 'type']]);
  });

  test('when a phone type is unknown, then the contact is refused with NotSupportedChoice', async () => {
    const response = await world.api('/contacts', {
      method: 'POST',
      body: [{ name: 'X', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79000000000', enum_code: 'PAGER' }] }] }],
    });
    const body = await world.json<{ 'validation-errors': Array<{ errors: Array<{ code: string; path: string }> }> }>(response, 400);
    assert.deepEqual(body['validation-errors'][0]?.errors[0], { code: 'NotSupportedChoice', path: 'custom_fields_values.0.values.0.enum_id', detail: 'The value you selected is not a valid choice.' });
  });

  test('when contacts are searched by a phone in another format, then digits decide the match', async () => {
    const { api, json } = world;
    const found = await json<{ _embedded: { contacts: ContactBody[] } }>(await api(`/contacts?query=${encodeURIComponent('900 123 45 67')}`));
    assert.deepEqual(found._embedded.contacts.map((contact) => contact.name), ['Анна Петрова']);
    const byFullNumber = await json<{ _embedded: { contacts: ContactBody[] } }>(await api(`/contacts?query=${encodeURIComponent('+79001234567')}`));
    assert.equal(byFullNumber._embedded.contacts.length, 1);
    // With the default `digits` rule a leading 8 is a different number.
    assert.equal((await api(`/contacts?query=${encodeURIComponent('8 900 123-45-67')}`)).status, 204);
  });

  test('when contacts are searched by e-mail in another case, then the contact is found, and a miss answers 204', async () => {
    const { api, json } = world;
    const found = await json<{ _embedded: { contacts: ContactBody[] } }>(await api('/contacts?query=anna%40example.com'));
    assert.equal(found._embedded.contacts.length, 1);
    const miss = await api('/contacts?query=nobody%40example.com');
    assert.equal(miss.status, 204);
    assert.equal(await miss.text(), '');
  });

  test('when a contact is linked to a lead, then the lead lists it with with=contacts and the contact lists the lead with with=leads', async () => {
    const { api, json, createLead, emulator } = world;
    const contactId = emulator.createContact('acme', { name: 'Иван', phones: ['+79990001122'] });
    const leadId = await createLead();
    const linked = await json<{ _embedded: { links: Array<{ entity_id: number; to_entity_id: number; metadata: { is_main: boolean } }> } }>(
      await api(`/leads/${leadId}/link`, { method: 'POST', body: [{ to_entity_id: contactId, to_entity_type: 'contacts', metadata: { is_main: true } }] }),
    );
    assert.deepEqual(linked._embedded.links[0], { entity_id: leadId, entity_type: 'leads', to_entity_id: contactId, to_entity_type: 'contacts', metadata: { is_main: true } });
    const lead = await json<{ _embedded: { contacts: Array<{ id: number; is_main: boolean }> } }>(await api(`/leads/${leadId}?with=contacts`));
    assert.deepEqual(lead._embedded.contacts.map(({ id, is_main }) => ({ id, is_main })), [{ id: contactId, is_main: true }]);
    const contact = await json<ContactBody>(await api(`/contacts/${contactId}?with=leads`));
    assert.deepEqual(contact._embedded.leads?.map((entry) => entry.id), [leadId]);
  });

  test('when a contact is linked to a lead from the contact side, then the lead lists it as its main contact', async () => {
    const { api, json, createLead, emulator } = world;
    const contactId = emulator.createContact('acme', { name: 'С другой стороны' });
    const leadId = await createLead();
    await json(await api(`/contacts/${contactId}/link`, { method: 'POST', body: [{ to_entity_id: leadId, to_entity_type: 'leads' }] }));
    const lead = await json<{ _embedded: { contacts: Array<{ id: number; is_main: boolean }> } }>(await api(`/leads/${leadId}?with=contacts`));
    assert.deepEqual(lead._embedded.contacts.map(({ id, is_main }) => ({ id, is_main })), [{ id: contactId, is_main: true }]);
  });

  test('when a link names a contact that does not exist, then it is refused', async () => {
    const leadId = await world.createLead();
    const response = await world.api(`/leads/${leadId}/link`, { method: 'POST', body: [{ to_entity_id: 1, to_entity_type: 'contacts' }] });
    assert.equal(response.status, 400);
  });
});

describe('amoCRM emulator lead list filters (amocrm.md 2.3)', () => {
  test('when leads are listed by status pair, update time, order and a linked contact phone, then each filter narrows the list', async () => {
    const world = await setup();
    try {
      const { api, json, createLead, emulator, clock } = world;
      const contactId = emulator.createContact('acme', { name: 'Покупатель', phones: ['+7 (912) 000-11-22'] });
      const first = await createLead({ name: 'Первая' });
      clock.advance(10_000);
      const second = await createLead({ name: 'Вторая', _embedded: { contacts: [{ id: contactId, is_main: true }] } });
      const pipelineId = emulator.state.leads.get(first)?.pipelineId ?? 0;
      emulator.moveLead('acme', first, 142);
      const ids = async (query: string) => {
        const response = await api(`/leads?${query}`);
        if (response.status === 204) return [];
        return (await json<{ _embedded: { leads: Array<{ id: number }> } }>(response))._embedded.leads.map((lead) => lead.id);
      };
      assert.deepEqual(await ids(`filter[statuses][0][pipeline_id]=${pipelineId}&filter[statuses][0][status_id]=142`), [first]);
      assert.deepEqual(await ids('order[id]=desc'), [second, first]);
      assert.deepEqual(await ids(`query=${encodeURIComponent('89120001122'.slice(1))}`), [second]);
      assert.deepEqual(await ids('query=%D0%9F%D0%B5%D1%80%D0%B2'), [first]);
      const secondCreatedAt = emulator.state.leads.get(second)?.createdAt ?? 0;
      assert.deepEqual(await ids(`filter[created_at][from]=${secondCreatedAt}`), [second]);
      assert.deepEqual(await ids('query=nothing-like-this'), []);
    } finally {
      await world.emulator.close();
    }
  });
});

describe('amoCRM emulator contact search with phoneSearch last10', () => {
  test('when phoneSearch is last10, then 8 and +7 prefixes match the same number', async () => {
    const world = await setup({ phoneSearch: 'last10' });
    try {
      world.emulator.createContact('acme', { name: 'Пётр', phones: ['+7 900 765-43-21'] });
      const found = await world.json<{ _embedded: { contacts: ContactBody[] } }>(await world.api(`/contacts?query=${encodeURIComponent('8 (900) 765-43-21')}`));
      assert.equal(found._embedded.contacts[0]?.name, 'Пётр');
      assert.equal((await world.api('/contacts?query=7654321')).status, 204);
    } finally {
      await world.emulator.close();
    }
  });
});

describe('amoCRM emulator contact PATCH of phones (amocrm.md 2.5)', () => {
  for (const [mode, expected] of [['replace', ['+79002220000']], ['append', ['+79001110000', '+79002220000']]] as const) {
    test(`when multitextPatch is ${mode} and a phone is patched, then the phones are ${expected.join(', ')}`, async () => {
      const world = await setup({ multitextPatch: mode });
      try {
        const id = world.emulator.createContact('acme', { name: 'Телефонный', phones: ['+79001110000'] });
        await world.json(await world.api(`/contacts/${id}`, { method: 'PATCH', body: { custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79002220000' }] }] } }));
        const contact = await world.json<ContactBody>(await world.api(`/contacts/${id}`));
        assert.deepEqual(contact.custom_fields_values?.find((field) => field.field_code === 'PHONE')?.values.map((value) => value.value), expected);
      } finally {
        await world.emulator.close();
      }
    });
  }
});

describe('amoCRM emulator webhook subscriptions (amocrm.md 2.11)', () => {
  let world: Setup;
  before(async () => {
    world = await setup();
  });
  after(async () => world.emulator.close());

  test('when a webhook is subscribed, listed by destination and deleted, then the API answers as the file shows', async () => {
    const { api, json, acme } = world;
    const destination = 'https://hooks.example.com/amo/secret-1';
    const created = await json<Record<string, unknown>>(await api('/webhooks', { method: 'POST', body: { destination, settings: ['add_lead', 'status_lead'], sort: 10 } }));
    assert.deepEqual(Object.keys(created).sort(), ['account_id', 'created_at', 'created_by', 'destination', 'disabled', 'id', 'settings', 'sort', 'updated_at']);
    assert.equal(created['account_id'], acme.account.id);
    assert.deepEqual(created['settings'], ['add_lead', 'status_lead']);
    await json(await api('/webhooks', { method: 'POST', body: { destination: 'https://hooks.example.com/other', settings: ['add_contact'] } }));
    const listed = await json<{ _total_items: number; _embedded: { webhooks: Array<{ destination: string }> } }>(
      await api(`/webhooks?filter[destination]=${encodeURIComponent(destination)}`),
    );
    assert.equal(listed._total_items, 1);
    assert.equal(listed._embedded.webhooks[0]?.destination, destination);
    const deleted = await api('/webhooks', { method: 'DELETE', body: { destination } });
    assert.equal(deleted.status, 204);
    assert.equal((await api(`/webhooks?filter[destination]=${encodeURIComponent(destination)}`)).status, 204);
  });

  test('when a subscription names an unknown action or no destination, then it is refused with validation errors', async () => {
    const response = await world.api('/webhooks', { method: 'POST', body: { destination: 'not a url', settings: ['explode_lead'] } });
    const body = await world.json<{ 'validation-errors': Array<{ errors: Array<{ path: string }> }> }>(response, 400);
    assert.deepEqual(body['validation-errors'][0]?.errors.map((error) => error.path), ['destination', 'settings.0']);
  });

  test('when the account already has the maximum number of webhooks, then another is refused', async () => {
    const limited = await setup({ maxWebhooksPerAccount: 1 });
    try {
      await limited.json(await limited.api('/webhooks', { method: 'POST', body: { destination: 'https://a.example.com/', settings: ['add_lead'] } }));
      assert.equal((await limited.api('/webhooks', { method: 'POST', body: { destination: 'https://b.example.com/', settings: ['add_lead'] } })).status, 400);
    } finally {
      await limited.emulator.close();
    }
  });
});

/** Keys with numeric segments (indexes, ids) replaced by `N`, for comparing shapes. */
function shape(key: string): string {
  return key.replace(/\[\d+\]/g, '[N]');
}

describe('amoCRM emulator outgoing webhooks (amocrm.md 4)', () => {
  let world: Setup;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    world = await setup();
    receiver = await startReceiver();
    await world.json(
      await world.api('/webhooks', {
        method: 'POST',
        body: { destination: receiver.url, settings: ['add_lead', 'update_lead', 'status_lead', 'add_contact', 'update_contact'] },
      }),
    );
  });
  beforeEach(() => {
    receiver.received.length = 0;
  });
  after(async () => {
    await world.emulator.close();
    await receiver.close();
  });

  async function deliveries(): Promise<Received[]> {
    await world.emulator.webhooks.settle();
    return receiver.received;
  }

  /** Concurrent deliveries may arrive in any order, so bodies are found by a key they carry. */
  function bodyWith(hooks: Received[], key: string): Map<string, string> | undefined {
    return hooks.find((hook) => hook.fields.has(key))?.fields;
  }

  test('when a lead is created through the API, then leads[add] is posted form-encoded with amoCRM headers', async () => {
    const leadId = await world.createLead({ name: 'Test lead', price: 999 });
    const [hook] = await deliveries();
    assert.ok(hook);
    assert.equal(hook.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(hook.headers['user-agent'], 'amoCRM-Webhooks/3.0');
    assert.match(String(hook.headers['x-amocrm-requestid']), /^[0-9a-f-]{36}$/);
    assert.match(hook.raw, /^leads%5Badd%5D%5B0%5D%5Bid%5D=\d+&leads%5Badd%5D%5B0%5D%5Bname%5D=Test\+lead&/);
    const fields = hook.fields;
    assert.equal(fields.get('leads[add][0][id]'), String(leadId));
    assert.equal(fields.get('leads[add][0][price]'), '999');
    assert.equal(fields.get('leads[add][0][created_user_id]'), '0');
    assert.equal(fields.get('account[subdomain]'), 'acme');
    assert.equal(fields.get('account[id]'), String(world.acme.account.id));
    assert.equal(fields.get('account[_links][self]'), 'https://acme.amocrm.ru');
    assert.ok([...fields.values()].every((value) => typeof value === 'string'));
  });

  test('when our own PATCH moves a lead, then update and status go out in one body and the status change is an event', async () => {
    const { api, json, createLead, emulator } = world;
    const leadId = await createLead();
    const pipelines = await json<{ _embedded: { pipelines: Array<{ id: number; is_main: boolean; _embedded: { statuses: Array<{ id: number; type: number; sort: number }> } }> } }>(await api('/leads/pipelines'));
    const main = pipelines._embedded.pipelines.find((pipeline) => pipeline.is_main);
    const [, first, second] = [...(main?._embedded.statuses ?? [])].sort((left, right) => left.sort - right.sort);
    assert.ok(main && first && second);
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    world.clock.advance(60_000);
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { status_id: second.id, custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] }] } }));
    const [hook] = await deliveries();
    assert.ok(hook);
    assert.equal(hook.fields.get('leads[update][0][id]'), String(leadId));
    assert.equal(hook.fields.get('leads[update][0][custom_fields][0][code]'), 'UTM_SOURCE');
    assert.equal(hook.fields.get('leads[update][0][custom_fields][0][values][0][value]'), 'yandex');
    assert.equal(hook.fields.get('leads[status][0][status_id]'), String(second.id));
    assert.equal(hook.fields.get('leads[status][0][old_status_id]'), String(first.id));
    assert.equal(hook.fields.get('leads[status][0][old_pipeline_id]'), String(main.id));
    const events = await json<{ _embedded: { events: Array<{ id: string; type: string; entity_id: number; value_before: unknown; value_after: unknown; created_by: number }> } }>(
      await api(`/events?filter[type]=lead_status_changed&filter[entity]=lead&filter[entity_id][]=${leadId}`),
    );
    assert.equal(events._embedded.events.length, 1);
    const [event] = events._embedded.events;
    assert.match(event?.id ?? '', /^[0-9a-z]{26}$/);
    assert.deepEqual(event?.value_before, [{ lead_status: { id: first.id, pipeline_id: main.id } }]);
    assert.deepEqual(event?.value_after, [{ lead_status: { id: second.id, pipeline_id: main.id } }]);
    assert.equal(event?.created_by, 0);
    const one = await json<{ id: string; type: string }>(await api(`/events/${event?.id}`));
    assert.equal(one.type, 'lead_status_changed');
  });

  test('when a PATCH does not move the lead, then only leads[update] is sent and no status event is recorded', async () => {
    const leadId = await world.createLead();
    await world.emulator.webhooks.settle();
    receiver.received.length = 0;
    await world.json(await world.api(`/leads/${leadId}`, { method: 'PATCH', body: { price: 5 } }));
    const [hook] = await deliveries();
    assert.ok(hook);
    assert.ok([...hook.fields.keys()].every((key) => !key.startsWith('leads[status]')));
    assert.equal((await world.api(`/events?filter[type]=lead_status_changed&filter[entity]=lead&filter[entity_id]=${leadId}`)).status, 204);
  });

  test('when a manager moves a lead to won in the UI, then status_lead names the manager and the event is filterable by value_after', async () => {
    const { emulator, createLead, acme, api, json } = world;
    const leadId = await createLead();
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    const pipelineId = emulator.state.leads.get(leadId)?.pipelineId ?? 0;
    emulator.moveLead('acme', leadId, 142);
    const [hook] = await deliveries();
    assert.equal(hook?.fields.get('leads[status][0][status_id]'), '142');
    assert.equal(hook?.fields.get('leads[status][0][modified_user_id]'), String(acme.account.currentUserId));
    const events = await json<{ _embedded: { events: Array<{ entity_id: number; created_by: number }> } }>(
      await api(`/events?filter[value_after][leads_statuses][0][pipeline_id]=${pipelineId}&filter[value_after][leads_statuses][0][status_id]=142`),
    );
    assert.deepEqual(events._embedded.events.map((event) => [event.entity_id, event.created_by]), [[leadId, acme.account.currentUserId]]);
  });

  test('when a manager adds a lead and edits a contact in the UI, then add_lead and update_contact name the manager', async () => {
    const { emulator, acme } = world;
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    const contactId = emulator.createContact('acme', { name: 'Менеджерский', emails: ['m@example.com'] });
    const leadId = emulator.createLead('acme', { name: 'Из интерфейса', price: 10, _embedded: { contacts: [{ id: contactId, is_main: true }] } });
    emulator.updateContact('acme', contactId, { name: 'Менеджерский 2' });
    const hooks = await deliveries();
    assert.equal(hooks.length, 3);
    const contactAdded = bodyWith(hooks, 'contacts[add][0][id]');
    const leadAdded = bodyWith(hooks, 'leads[add][0][id]');
    const contactUpdated = bodyWith(hooks, 'contacts[update][0][id]');
    const manager = String(acme.account.currentUserId);
    assert.equal(contactAdded?.get('contacts[add][0][created_user_id]'), manager);
    assert.equal(leadAdded?.get('leads[add][0][id]'), String(leadId));
    assert.equal(leadAdded?.get('leads[add][0][created_user_id]'), manager);
    assert.equal(contactUpdated?.get('contacts[update][0][name]'), 'Менеджерский 2');
    assert.equal(contactUpdated?.get('contacts[update][0][modified_user_id]'), manager);
    assert.equal(contactUpdated?.get(`contacts[update][0][linked_leads_id][${leadId}][ID]`), String(leadId));
    assert.throws(() => emulator.createLead('acme', { price: 'free' }), /refused/);
  });

  test("when our webhook parser reads a status body, then it sees the emulator's lead, stage and account", async () => {
    const { emulator, createLead, acme } = world;
    const leadId = await createLead();
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    const oldStatusId = emulator.state.leads.get(leadId)?.statusId;
    emulator.moveLead('acme', leadId, 143);
    const [hook] = await deliveries();
    const parsed = parseAmocrmWebhookBody(hook?.raw ?? '');
    assert.deepEqual(parsed.account, { id: String(acme.account.id), subdomain: 'acme' });
    const status = parsed.events.find((event) => event.action === 'status');
    assert.ok(status);
    assert.deepEqual(leadChange(status), { leadId, statusId: 143, oldStatusId, pipelineId: emulator.state.leads.get(leadId)?.pipelineId });
  });

  test('when a contact is created and updated through the API, then contacts[add] and contacts[update] carry type=contact and its fields', async () => {
    const { api, json } = world;
    const created = await json<{ _embedded: { contacts: Array<{ id: number }> } }>(
      await api('/contacts', { method: 'POST', body: [{ name: 'Олег', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79001112233', enum_code: 'WORK' }] }] }] }),
    );
    const id = created._embedded.contacts[0]?.id;
    await json(await api(`/contacts/${id}`, { method: 'PATCH', body: { name: 'Олег Б.' } }));
    const hooks = await deliveries();
    const added = bodyWith(hooks, 'contacts[add][0][id]');
    const updated = bodyWith(hooks, 'contacts[update][0][id]');
    assert.equal(added?.get('contacts[add][0][id]'), String(id));
    assert.equal(added?.get('contacts[add][0][type]'), 'contact');
    assert.equal(added?.get('contacts[add][0][custom_fields][0][code]'), 'PHONE');
    assert.equal(added?.get('contacts[add][0][custom_fields][0][values][0][value]'), '+79001112233');
    assert.match(added?.get('contacts[add][0][custom_fields][0][values][0][enum]') ?? '', /^\d+$/);
    assert.equal(updated?.get('contacts[update][0][name]'), 'Олег Б.');
  });

  test('when our bodies are compared with captured amoCRM webhooks, then every captured field name and nesting is present', async () => {
    const { api, json, createLead, emulator } = world;
    const contactId = emulator.createContact('acme', { name: 'Sample', phones: ['+79001230000'] });
    const leadId = await createLead({ name: 'Sample lead', _embedded: { tags: [{ name: 'site' }], contacts: [{ id: contactId }] } });
    const secondStage = emulator.state.pipelines.get(emulator.state.leads.get(leadId)?.pipelineId ?? 0)?.statuses.find((status) => status.sort === 30);
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { status_id: secondStage?.id, custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] }] } }));
    await json(await api(`/contacts/${contactId}`, { method: 'PATCH', body: { name: 'Sample 2' } }));
    await json(await api('/contacts', { method: 'POST', body: [{ name: 'Sample 3' }] }));
    const ours = new Set((await deliveries()).flatMap((hook) => [...hook.fields.keys()].map(shape)));
    const samplesDir = path.join(sharedDir, 'data', 'payloads', 'amocrm');
    const captured = new Set<string>();
    for (const file of ['lead-webhook-add.json', 'lead-webhook-update.json', 'lead-webhook-status.json', 'contact-webhook-add.json', 'contact-webhook-update.json']) {
      const sample = JSON.parse(readFileSync(path.join(samplesDir, file), 'utf8')) as { flat_fields_as_parsed_by_zapier: Record<string, string> };
      const keys = Object.keys(sample.flat_fields_as_parsed_by_zapier).map(shape);
      keys.forEach((key) => captured.add(key));
      // A contact that has just been added has no lead yet; the update sample shows the link shape.
      const missing = keys.filter((key) => !ours.has(key) && !(key.startsWith('contacts[add]') && key.includes('linked_leads_id')));
      assert.deepEqual(missing, [], `${file}: captured fields we never send`);
    }
    assert.ok(ours.has('contacts[update][N][linked_leads_id][N][ID]'));
    const status2018 = JSON.parse(readFileSync(path.join(samplesDir, 'lead-webhook-status-2018-custom-fields.json'), 'utf8')) as { raw_body_decoded: string };
    const statusKeys = status2018.raw_body_decoded.split('&').map((pair) => shape(pair.split('=')[0] ?? ''));
    statusKeys.forEach((key) => captured.add(key));
    for (const key of ['leads[status][N][tags][N][id]', 'leads[status][N][tags][N][name]', 'leads[status][N][account_id]', 'leads[status][N][old_status_id]']) {
      assert.ok(statusKeys.includes(key) && ours.has(key), key);
    }
    // The other way round: every field we send is captured in some sample or shown in amocrm.md 4.2.
    const action = (key: string) => key.replace(/^(leads|contacts)\[(add|update|status)\]/, '$1[*]');
    const allowed = new Set([
      ...[...captured].map(action),
      'leads[*][N][created_at]', 'leads[*][N][updated_at]', 'leads[*][N][old_pipeline_id]',
      'leads[*][N][custom_fields][N][code]', 'leads[*][N][custom_fields][N][values][N][value]', 'leads[*][N][custom_fields][N][values][N][enum]',
      'contacts[*][N][account_id]', 'contacts[*][N][created_at]', 'contacts[*][N][updated_at]',
      'contacts[*][N][custom_fields][N][id]', 'contacts[*][N][custom_fields][N][name]', 'contacts[*][N][custom_fields][N][code]',
      'contacts[*][N][custom_fields][N][values][N][value]', 'contacts[*][N][custom_fields][N][values][N][enum]',
      'account[id]', 'account[_links][self]',
    ]);
    assert.deepEqual([...ours].filter((key) => !allowed.has(action(key))), [], 'fields no capture and no example in 4.2 shows');
  });
});

describe('amoCRM emulator webhook delivery and faults (amocrm.md 4.3)', () => {
  test('when a destination answers 500, then the delivery is retried once the clock reaches the retry time', async () => {
    const world = await setup({ webhookRetryDelaysMs: [60_000] });
    const receiver = await startReceiver();
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings: ['add_lead'] } }));
      receiver.statuses.push(500);
      await world.createLead();
      await world.emulator.webhooks.settle();
      assert.equal(receiver.received.length, 1);
      world.emulator.webhooks.runDue();
      await world.emulator.webhooks.settle();
      assert.equal(receiver.received.length, 1, 'not before the retry is due');
      world.clock.advance(60_000);
      world.emulator.webhooks.runDue();
      await world.emulator.webhooks.settle();
      assert.equal(receiver.received.length, 2);
      assert.equal(receiver.received[0]?.raw, receiver.received[1]?.raw);
      assert.deepEqual(world.emulator.webhooks.attempts.map((attempt) => [attempt.attempt, attempt.outcome]), [[1, 500], [2, 200]]);
    } finally {
      await world.emulator.close();
      await receiver.close();
    }
  });

  test('when a destination fails more often than the threshold within the window, then the webhook is disabled', async () => {
    const world = await setup({ webhookRetryDelaysMs: [], webhookDisableAfterFailures: 2 });
    const receiver = await startReceiver();
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings: ['add_lead'] } }));
      receiver.statuses.push(500, 500, 500, 500);
      for (let index = 0; index < 3; index += 1) {
        await world.createLead();
        await world.emulator.webhooks.settle();
      }
      const listed = await world.json<{ _embedded: { webhooks: Array<{ disabled: boolean }> } }>(await world.api('/webhooks'));
      assert.equal(listed._embedded.webhooks[0]?.disabled, true);
      await world.createLead();
      await world.emulator.webhooks.settle();
      assert.equal(receiver.received.length, 3, 'a disabled webhook gets nothing');
    } finally {
      await world.emulator.close();
      await receiver.close();
    }
  });

  test('when nothing listens at the destination, then the attempt is an error and a retry is queued', async () => {
    const world = await setup({ webhookRetryDelaysMs: [1_000] });
    const receiver = await startReceiver();
    const deadUrl = receiver.url;
    await receiver.close();
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: deadUrl, settings: ['add_lead'] } }));
      await world.createLead();
      await world.emulator.webhooks.settle();
      assert.deepEqual(world.emulator.webhooks.attempts.map((attempt) => attempt.outcome), ['error']);
      assert.equal(world.emulator.webhooks.queued, 1);
    } finally {
      await world.emulator.close();
    }
  });

  test('when a destination answers slower than the timeout, then the attempt counts as a timeout', async () => {
    const world = await setup({ webhookTimeoutMs: 30, webhookRetryDelaysMs: [] });
    const receiver = await startReceiver();
    receiver.delayMs = 200;
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings: ['add_lead'] } }));
      await world.createLead();
      await world.emulator.webhooks.settle();
      assert.deepEqual(world.emulator.webhooks.attempts.map((attempt) => attempt.outcome), ['timeout']);
    } finally {
      await world.emulator.close();
      await receiver.close();
    }
  });

  test('when drop and duplicate faults are scripted, then the first webhook is lost and the second arrives twice', async () => {
    const world = await setup({ faults: { webhookDrop: [true, false], webhookDuplicate: [true] } });
    const receiver = await startReceiver();
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings: ['add_lead'] } }));
      await world.createLead({ name: 'lost' });
      await world.createLead({ name: 'twice' });
      await world.emulator.webhooks.settle();
      assert.deepEqual(receiver.received.map((hook) => hook.fields.get('leads[add][0][name]')), ['twice', 'twice']);
      const [first, second] = receiver.received;
      assert.notEqual(first?.headers['x-amocrm-requestid'], second?.headers['x-amocrm-requestid']);
    } finally {
      await world.emulator.close();
      await receiver.close();
    }
  });

  test('when a delay is scripted, then the first webhook arrives after the second once its time has come', async () => {
    const world = await setup({ faults: { webhookDelay: [true], webhookDelayMs: 30_000 } });
    const receiver = await startReceiver();
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings: ['add_lead'] } }));
      await world.createLead({ name: 'early' });
      await world.createLead({ name: 'late' });
      await world.emulator.webhooks.settle();
      assert.deepEqual(receiver.received.map((hook) => hook.fields.get('leads[add][0][name]')), ['late']);
      world.clock.advance(30_000);
      world.emulator.webhooks.runDue();
      await world.emulator.webhooks.settle();
      assert.deepEqual(receiver.received.map((hook) => hook.fields.get('leads[add][0][name]')), ['late', 'early']);
    } finally {
      await world.emulator.close();
      await receiver.close();
    }
  });

  test('when server errors are scripted, then exactly the scripted API requests answer 502', async () => {
    const world = await setup({ faults: { serverError: [false, true, false] } });
    try {
      const statuses = [];
      for (let index = 0; index < 3; index += 1) statuses.push((await world.api('/account')).status);
      assert.deepEqual(statuses, [200, 502, 200]);
    } finally {
      await world.emulator.close();
    }
  });

  test('when slow answers are scripted, then that request is held back by slowResponseMs', async () => {
    const world = await setup({ faults: { slowResponse: [true], slowResponseMs: 40 } });
    try {
      const started = performance.now();
      const slow = await world.api('/account');
      assert.equal(slow.status, 200);
      assert.ok(performance.now() - started >= 35);
      const fastStarted = performance.now();
      await world.api('/account');
      assert.ok(performance.now() - fastStarted < 35);
    } finally {
      await world.emulator.close();
    }
  });
});

describe('amoCRM emulator events (amocrm.md 2.10)', () => {
  test('when events are listed with a limit above 100 on amoCRM, then the limit is capped at 100', async () => {
    const world = await setup();
    try {
      await world.json(await world.api('/leads', { method: 'POST', body: Array.from({ length: 101 }, (_, index) => ({ name: `L${index}` })) }));
      const page = await world.json<{ _links: { next?: { href: string } }; _embedded: { events: Array<{ type: string }> } }>(await world.api('/events?limit=250&filter[type]=lead_added'));
      assert.equal(page._embedded.events.length, 100);
      assert.match(page._links.next?.href ?? '', /page=2/);
    } finally {
      await world.emulator.close();
    }
  });

  test('when filter[entity_id] is used without exactly one filter[entity], then it is refused', async () => {
    const world = await setup();
    try {
      assert.equal((await world.api('/events?filter[entity_id]=1')).status, 400);
      assert.equal((await world.api(`/events?filter[entity]=lead&filter[entity_id]=${Array.from({ length: 11 }, (_, index) => index + 1).join(',')}`)).status, 400);
    } finally {
      await world.emulator.close();
    }
  });
});
