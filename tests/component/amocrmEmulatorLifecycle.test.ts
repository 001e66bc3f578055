import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type StartOptions } from '../../integrations/amocrm/emulator/server.js';
import { sharedDir } from '../support/repoRoot.js';
import { startReceiver, type Received } from '../support/webhookReceiver.js';

interface EventBody {
  type: string;
  entity_id: number;
  created_by: number;
  value_before: unknown;
  value_after: unknown;
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
  const createLead = async (item: unknown = { name: 'Заявка', price: 100 }) =>
    (await json<{ _embedded: { leads: Array<{ id: number }> } }>(await api('/leads', { method: 'POST', body: [item] })))._embedded.leads[0]?.id ?? 0;
  const events = async (query: string) => {
    const response = await api(`/events?${query}`);
    return response.status === 204 ? [] : (await json<{ _embedded: { events: EventBody[] } }>(response))._embedded.events;
  };
  return { clock, emulator, acme, api, json, createLead, events };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Keys with numeric segments replaced by `N`, for comparing with the captured samples. */
const shape = (key: string) => key.replace(/\[\d+\]/g, '[N]');

function sampleKeys(file: string): string[] {
  const sample = JSON.parse(readFileSync(path.join(sharedDir, 'data', 'payloads', 'amocrm', file), 'utf8')) as { flat_fields_as_parsed_by_zapier: Record<string, string> };
  return Object.keys(sample.flat_fields_as_parsed_by_zapier).map(shape).sort();
}

const bodyWith = (hooks: Received[], key: string) => hooks.find((hook) => hook.fields.has(key))?.fields;

describe('amoCRM emulator lifecycle webhooks and events (amocrm.md 4.2, 2.10, 2.11)', () => {
  let world: Setup;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const settings = [
    'add_lead', 'update_lead', 'responsible_lead', 'delete_lead', 'restore_lead',
    'add_contact', 'delete_contact', 'restore_contact', 'add_unsorted', 'delete_unsorted',
  ];

  before(async () => {
    world = await setup();
    receiver = await startReceiver();
    await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings } }));
  });
  beforeEach(async () => {
    await world.emulator.webhooks.settle();
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

  test('when the API changes a lead\'s responsible user, then leads[responsible] carries old_responsible_user_id as in the capture, and an entity_responsible_changed event is recorded', async () => {
    const { emulator, acme, api, json, createLead, events } = world;
    const managerId = emulator.addUser('acme', { name: 'Пётр' });
    const leadId = await createLead();
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { responsible_user_id: managerId } }));
    const hooks = await deliveries();
    assert.equal(hooks.length, 1, 'update and responsible share one body');
    const fields = bodyWith(hooks, 'leads[responsible][0][id]');
    assert.ok(fields);
    assert.equal(fields.get('leads[responsible][0][responsible_user_id]'), String(managerId));
    assert.equal(fields.get('leads[responsible][0][old_responsible_user_id]'), String(acme.account.currentUserId));
    assert.ok(fields.has('leads[update][0][id]'));
    const ours = [...fields.keys()].filter((key) => key.startsWith('leads[responsible]')).map(shape);
    const missing = sampleKeys('lead-webhook-responsible.json').filter((key) => key !== 'account[subdomain]' && !ours.includes(key));
    assert.deepEqual(missing, [], 'every field of the captured responsible webhook');
    const keys = [...fields.keys()].filter((key) => key.startsWith('leads[responsible]'));
    assert.equal(keys[keys.indexOf('leads[responsible][0][account_id]') + 1], 'leads[responsible][0][old_responsible_user_id]', 'captured order: right after account_id');
    const [event] = await events(`filter[type]=entity_responsible_changed&filter[entity]=lead&filter[entity_id]=${leadId}`);
    assert.deepEqual(event?.value_before, [{ responsible_user: { id: acme.account.currentUserId } }]);
    assert.deepEqual(event?.value_after, [{ responsible_user: { id: managerId } }]);
  });

  test('when responsible_user_id names an inactive user or a user of another account, then the lead is refused (amocrm.md 6.11)', async () => {
    const { emulator, api, json, createLead } = world;
    const leadId = await createLead();
    const formerId = emulator.addUser('acme', { isActive: false });
    const other = emulator.setupAccount({ subdomain: 'other' });
    for (const userId of [formerId, other.account.currentUserId]) {
      const body = await json<{ 'validation-errors': Array<{ errors: Array<{ code: string; path: string }> }> }>(
        await api(`/leads/${leadId}`, { method: 'PATCH', body: { responsible_user_id: userId } }),
        400,
      );
      assert.deepEqual(body['validation-errors'][0]?.errors.map((error) => [error.code, error.path]), [['NotSupportedChoice', 'responsible_user_id']]);
    }
  });

  test('when a manager deletes a lead, then leads[delete] has exactly the captured id and type, the lead leaves lists and shows with=only_deleted, and lead_deleted is recorded', async () => {
    const { emulator, acme, api, json, createLead, events } = world;
    const leadId = await createLead({ name: 'В корзину' });
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    emulator.deleteLead('acme', leadId);
    const [hook] = await deliveries();
    assert.ok(hook);
    assert.deepEqual([...hook.fields.entries()], [
      ['leads[delete][0][id]', String(leadId)],
      ['leads[delete][0][type]', 'lead'],
      ['account[subdomain]', 'acme'],
      ['account[id]', String(acme.account.id)],
      ['account[_links][self]', 'https://acme.amocrm.ru'],
    ]);
    assert.deepEqual([...hook.fields.keys()].map(shape).filter((key) => key.startsWith('leads')).sort(), sampleKeys('lead-webhook-delete.json').filter((key) => key.startsWith('leads')));
    assert.equal((await api(`/leads/${leadId}`)).status, 204);
    const listed = await api(`/leads?filter[id][]=${leadId}`);
    assert.equal(listed.status, 204);
    const trash = await json<{ _embedded: { leads: Array<{ id: number; is_deleted: boolean }> } }>(await api(`/leads?with=only_deleted&filter[id][]=${leadId}`));
    assert.deepEqual(trash._embedded.leads.map((lead) => [lead.id, lead.is_deleted]), [[leadId, true]]);
    const [event] = await events(`filter[type]=lead_deleted&filter[entity]=lead&filter[entity_id]=${leadId}`);
    assert.equal(event?.created_by, acme.account.currentUserId);
    assert.throws(() => emulator.deleteLead('acme', leadId), /already deleted/);
  });

  test('when a deleted lead is restored, then leads[restore] carries the captured fields, the lead is back and lead_restored is recorded', async () => {
    const { emulator, api, json, createLead, events } = world;
    const leadId = await createLead({ name: 'Вернуть' });
    emulator.deleteLead('acme', leadId);
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    emulator.restoreLead('acme', leadId);
    const [hook] = await deliveries();
    assert.equal(hook?.fields.get('leads[restore][0][id]'), String(leadId));
    const ours = [...(hook?.fields.keys() ?? [])].map(shape);
    assert.deepEqual(sampleKeys('lead-webhook-restore.json').filter((key) => !ours.includes(key)), []);
    assert.equal((await json<{ id: number }>(await api(`/leads/${leadId}`))).id, leadId);
    assert.equal((await events(`filter[type]=lead_restored&filter[entity]=lead&filter[entity_id]=${leadId}`)).length, 1);
  });

  test('when a manager deletes and restores a contact, then contacts[delete] is exactly the capture and contacts[restore] has its fields', async () => {
    const { emulator, acme, api } = world;
    const contactId = emulator.createContact('acme', { name: 'Удаляемый', phones: ['+79007770000'] });
    await emulator.webhooks.settle();
    receiver.received.length = 0;
    emulator.deleteContact('acme', contactId);
    const [deleted] = await deliveries();
    assert.deepEqual([...(deleted?.fields.entries() ?? [])], [
      ['contacts[delete][0][id]', String(contactId)],
      ['contacts[delete][0][type]', 'contact'],
      ['account[subdomain]', 'acme'],
      ['account[id]', String(acme.account.id)],
      ['account[_links][self]', 'https://acme.amocrm.ru'],
    ]);
    assert.equal((await api(`/contacts/${contactId}`)).status, 204);
    receiver.received.length = 0;
    emulator.restoreContact('acme', contactId);
    const [restored] = await deliveries();
    const ours = [...(restored?.fields.keys() ?? [])].map(shape);
    // A contact with no lead has no linked_leads_id, as with the add capture.
    const missing = sampleKeys('contact-webhook-restore.json').filter((key) => !ours.includes(key) && !key.includes('linked_leads_id'));
    assert.deepEqual(missing, []);
    assert.equal(restored?.fields.get('contacts[restore][0][type]'), 'contact');
    assert.equal((await api(`/contacts/${contactId}`)).status, 200);
  });

  test('when a form arrives, is accepted, and another is declined, then unsorted[add] and unsorted[delete] with action accept/decline go out', async () => {
    const { api, json, acme } = world;
    const form = (uid: string) => ({
      source_uid: uid, source_name: 'Сайт', metadata: { form_id: 'f', form_name: 'Заявка', form_page: 'https://example.com/' },
      _embedded: { leads: [{ name: `Форма ${uid}` }] },
    });
    const created = await json<{ _embedded: { unsorted: Array<{ uid: string; _embedded: { leads: Array<{ id: number }> } }> } }>(
      await api('/leads/unsorted/forms', { method: 'POST', body: [form('s-1'), form('s-2')] }),
    );
    const [first, second] = created._embedded.unsorted;
    assert.ok(first && second);
    const added = bodyWith(await deliveries(), 'unsorted[add][0][uid]');
    assert.equal(added?.get('unsorted[add][0][uid]'), first.uid);
    assert.equal(added?.get('unsorted[add][1][uid]'), second.uid);
    assert.equal(added?.get('unsorted[add][0][category]'), 'forms');
    assert.equal(added?.get('unsorted[add][0][source_uid]'), 's-1');
    assert.equal(added?.get('unsorted[add][0][lead_id]'), String(first._embedded.leads[0]?.id));
    assert.equal(added?.get('account[id]'), String(acme.account.id));
    assert.ok(![...(added?.keys() ?? [])].some((key) => key.startsWith('leads[add]')), 'an incoming lead is not add_lead');
    receiver.received.length = 0;
    await json(await api(`/leads/unsorted/${first.uid}/accept`, { method: 'POST', body: { user_id: acme.account.currentUserId } }));
    const accepted = bodyWith(await deliveries(), 'unsorted[delete][0][uid]');
    assert.equal(accepted?.get('unsorted[delete][0][action]'), 'accept');
    assert.equal(accepted?.get('unsorted[delete][0][modified_user_id]'), String(acme.account.currentUserId));
    assert.equal(accepted?.get('unsorted[delete][0][uid]'), first.uid);
    receiver.received.length = 0;
    await json(await api(`/leads/unsorted/${second.uid}/decline`, { method: 'DELETE' }));
    const declined = bodyWith(await deliveries(), 'unsorted[delete][0][uid]');
    assert.equal(declined?.get('unsorted[delete][0][action]'), 'decline');
    assert.equal(declined?.get('unsorted[delete][0][modified_user_id]'), '0');
  });

  test('when /leads/complex carries metadata, then unsorted[add] goes out instead of leads[add]', async () => {
    const { api, json } = world;
    const [result] = await json<Array<{ id: number }>>(
      await api('/leads/complex', { method: 'POST', body: [{ name: 'Комплекс', _embedded: { metadata: { category: 'forms', form_id: 'cx', form_name: 'Комплекс' } } }] }),
    );
    const hooks = await deliveries();
    const added = bodyWith(hooks, 'unsorted[add][0][uid]');
    assert.equal(added?.get('unsorted[add][0][lead_id]'), String(result?.id));
    assert.equal(bodyWith(hooks, 'leads[add][0][id]'), undefined);
  });

  test('when price and a custom field change, then sale_field_changed and custom_field_value_changed are recorded (checklist 28)', async () => {
    const { api, json, createLead, events, emulator } = world;
    const leadId = await createLead({ name: 'Поля', price: 100 });
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { price: 250, custom_fields_values: [{ field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] }] } }));
    const [sale] = await events(`filter[type]=sale_field_changed&filter[entity]=lead&filter[entity_id]=${leadId}`);
    assert.deepEqual([sale?.value_before, sale?.value_after], [[{ sale_field_value: { sale: 100 } }], [{ sale_field_value: { sale: 250 } }]]);
    const fieldId = emulator.state.customFieldsOf(emulator.state.accountBySubdomain('acme')?.id ?? 0).find((field) => field.code === 'UTM_SOURCE')?.id;
    const [field] = await events(`filter[type]=custom_field_value_changed&filter[entity]=lead&filter[entity_id]=${leadId}`);
    assert.deepEqual(field?.value_before, []);
    assert.deepEqual(field?.value_after, [{ custom_field_value: { field_id: fieldId, field_type: 'tracking_data', enum_id: null, text: 'yandex' } }]);
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { name: 'Поля 2' } }));
    assert.equal((await events(`filter[type]=custom_field_value_changed&filter[entity]=lead&filter[entity_id]=${leadId}`)).length, 1, 'unchanged values record nothing');
  });
});

describe('amoCRM emulator lifecycle options', () => {
  test('when deleteWebhookFields is with_stage, then leads[delete] also carries status_id and pipeline_id (amocrm.md 4.2 [UNCONFIRMED])', async () => {
    const world = await setup({ deleteWebhookFields: 'with_stage' });
    const receiver = await startReceiver();
    try {
      await world.json(await world.api('/webhooks', { method: 'POST', body: { destination: receiver.url, settings: ['delete_lead'] } }));
      const leadId = await world.createLead();
      const lead = world.emulator.state.leads.get(leadId);
      world.emulator.deleteLead('acme', leadId);
      await world.emulator.webhooks.settle();
      const fields = receiver.received[0]?.fields;
      assert.deepEqual([...(fields?.keys() ?? [])].slice(0, 4), ['leads[delete][0][id]', 'leads[delete][0][status_id]', 'leads[delete][0][pipeline_id]', 'leads[delete][0][type]']);
      assert.equal(fields?.get('leads[delete][0][status_id]'), String(lead?.statusId));
      assert.equal(fields?.get('leads[delete][0][pipeline_id]'), String(lead?.pipelineId));
    } finally {
      await world.emulator.close();
      await receiver.close();
    }
  });

  test('when customFieldEventType is per_field, then a field change is custom_field_{id}_value_changed (amocrm.md 2.10)', async () => {
    const world = await setup({ customFieldEventType: 'per_field' });
    try {
      const leadId = await world.createLead();
      await world.json(await world.api(`/leads/${leadId}`, { method: 'PATCH', body: { custom_fields_values: [{ field_code: 'UTM_MEDIUM', values: [{ value: 'cpc' }] }] } }));
      const fieldId = world.emulator.state.customFieldsOf(world.acme.account.id).find((field) => field.code === 'UTM_MEDIUM')?.id;
      assert.equal((await world.events(`filter[type]=custom_field_${fieldId}_value_changed`)).length, 1);
      assert.equal((await world.events('filter[type]=custom_field_value_changed')).length, 0);
    } finally {
      await world.emulator.close();
    }
  });
});

describe('amoCRM emulator tags and custom-field filters (amocrm.md 2.3, 2.8)', () => {
  let world: Setup;
  before(async () => {
    world = await setup();
  });
  after(async () => world.emulator.close());

  const tagNames = async (leadId: number) =>
    (await world.json<{ _embedded: { tags: Array<{ name: string }> } }>(await world.api(`/leads/${leadId}`)))._embedded.tags.map((tag) => tag.name).sort();

  test('when tags_to_add and tags_to_delete are sent, then only those tags change; _embedded.tags still replaces and null clears', async () => {
    const { api, json, createLead } = world;
    const leadId = await createLead({ name: 'Теги', _embedded: { tags: [{ name: 'site' }, { name: 'old' }] } });
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { tags_to_add: [{ name: 'source:yandex' }] } }));
    assert.deepEqual(await tagNames(leadId), ['old', 'site', 'source:yandex']);
    const oldId = world.emulator.state.leads.get(leadId)?.tagIds.find((id) => world.emulator.state.tags.get(id)?.name === 'old');
    await json(await api('/leads', { method: 'PATCH', body: [{ id: leadId, tags_to_delete: [{ id: oldId }, { name: 'not-there' }] }] }));
    assert.deepEqual(await tagNames(leadId), ['site', 'source:yandex']);
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { _embedded: { tags: [{ name: 'only' }] } } }));
    assert.deepEqual(await tagNames(leadId), ['only']);
    await json(await api(`/leads/${leadId}`, { method: 'PATCH', body: { _embedded: { tags: null } } }));
    assert.deepEqual(await tagNames(leadId), []);
  });

  test('when tags_to_add names a tag id of no tag or is not an array, then the lead is refused', async () => {
    const { api, json, createLead } = world;
    const leadId = await createLead();
    const body = await json<{ 'validation-errors': Array<{ errors: Array<{ code: string; path: string }> }> }>(
      await api(`/leads/${leadId}`, { method: 'PATCH', body: { tags_to_add: [{ id: 999_999_999 }], tags_to_delete: 'x' } }),
      400,
    );
    assert.deepEqual(body['validation-errors'][0]?.errors.map((error) => [error.code, error.path]), [['NotSupportedChoice', 'tags_to_add.0.id'], ['InvalidType', 'tags_to_delete']]);
  });

  test('when leads are filtered by filter[custom_fields_values][id], then values, value lists and from/to ranges select them', async () => {
    const { api, json, createLead, emulator, acme } = world;
    const created = await json<{ _embedded: { custom_fields: Array<{ id: number; enums: Array<{ id: number; value: string }> }> } }>(
      await api('/leads/custom_fields', { method: 'POST', body: [{ name: 'Визиты', type: 'numeric' }, { name: 'Канал', type: 'select', enums: [{ value: 'SEO', sort: 1 }, { value: 'CPC', sort: 2 }] }] }),
      201,
    );
    const [visits, channel] = created._embedded.custom_fields;
    assert.ok(visits && channel);
    const cpc = channel.enums.find((item) => item.value === 'CPC')?.id;
    const source = emulator.state.customFieldsOf(acme.account.id).find((field) => field.code === 'UTM_SOURCE')?.id;
    const lead = (count: string, enumId: number | undefined, utm: string) =>
      createLead({ name: `cf ${count}`, custom_fields_values: [{ field_id: visits.id, values: [{ value: count }] }, { field_id: channel.id, values: [{ enum_id: enumId }] }, { field_id: source, values: [{ value: utm }] }] });
    const one = await lead('1', cpc, 'yandex');
    const five = await lead('5', channel.enums[0]?.id, 'google');
    const nine = await lead('9', cpc, 'vk');
    const ids = async (query: string) => {
      const response = await api(`/leads?${query}`);
      return response.status === 204 ? [] : (await json<{ _embedded: { leads: Array<{ id: number }> } }>(response))._embedded.leads.map((item) => item.id);
    };
    assert.deepEqual(await ids(`filter[custom_fields_values][${source}]=google`), [five]);
    assert.deepEqual(await ids(`filter[custom_fields_values][${source}][]=yandex&filter[custom_fields_values][${source}][]=vk`), [one, nine]);
    assert.deepEqual(await ids(`filter[custom_fields_values][${visits.id}][from]=2&filter[custom_fields_values][${visits.id}][to]=9`), [five, nine]);
    assert.deepEqual(await ids(`filter[custom_fields_values][${channel.id}][]=${cpc}&filter[custom_fields_values][${visits.id}][from]=5`), [nine]);
    assert.deepEqual(await ids(`filter[custom_fields_values][${source}]=bing`), []);
  });
});

describe('amoCRM emulator subscription-expired mode (amocrm.md 3.2, checklist 34)', () => {
  test('when an account\'s subscription has expired, then /api/v4 answers 402 problem+json until it is paid, and other accounts are served', async () => {
    const world = await setup({ paymentRequiredDetail: 'Account is not paid' });
    try {
      const other = world.emulator.setupAccount({ subdomain: 'paid' });
      const otherToken = world.emulator.issueTokens('paid', other.integration.clientId).access_token;
      world.emulator.setPaymentRequired('acme', true);
      const refused = await world.api('/leads');
      assert.equal(refused.status, 402);
      assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(refused.headers.get('x-request-id'));
      assert.deepEqual(await refused.json(), { title: 'Payment Required', type: 'https://httpstatus.es/402', status: 402, detail: 'Account is not paid' });
      assert.equal((await fetch(`${other.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${otherToken}` } })).status, 200);
      assert.equal((await fetch(`${world.acme.baseUrl}/api/v4/account`)).status, 401, 'a request without a token is still 401');
      world.emulator.setPaymentRequired('acme', false);
      assert.equal((await world.api('/account')).status, 200);
    } finally {
      await world.emulator.close();
    }
  });
});
