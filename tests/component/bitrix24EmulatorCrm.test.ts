import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import type { Bitrix24Emulator, EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import { restCall, startAcmePortal, type AcmePortal } from '../support/bitrix24.js';

describe('Bitrix24 emulator legacy CRM methods (bitrix24.md 3.1-3.10)', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let acme: EmulatedPortal;
  let auth: string;
  let call: AcmePortal['call'];

  before(async () => {
    ({ emulator, acme, auth, call } = await startAcmePortal({ clock, leakyBucket: { enabled: false } }, { timezoneOffset: '+02:00' }));
  });

  after(async () => {
    await emulator?.close();
  });

  test('when a deal is added, then the id is an integer and get returns strings, defaults and the UTM fields', async () => {
    // §3.1: add returns an integer; reads are strings; §3.2 add defaults; §3.3 UTM fields.
    const added = await call('crm.deal.add', { fields: { TITLE: 'Promo', OPPORTUNITY: 1000000, UTM_SOURCE: 'google', UTM_MEDIUM: 'cpc', NOT_A_FIELD: 'x', DATE_CREATE: '2020-01-01' } });
    assert.equal(added.status, 200);
    assert.equal(typeof added.body['result'], 'number');
    assert.deepEqual(Object.keys(added.body), ['result', 'time']);
    const deal = (await call('crm.deal.get', { id: added.body['result'] })).body['result'] as Record<string, unknown>;
    assert.equal(deal['ID'], String(added.body['result']));
    assert.equal(deal['OPPORTUNITY'], '1000000.00');
    assert.equal(deal['CATEGORY_ID'], '0');
    assert.equal(deal['STAGE_ID'], 'NEW');
    assert.equal(deal['STAGE_SEMANTIC_ID'], 'P');
    assert.equal(deal['OPENED'], 'Y');
    assert.equal(deal['ASSIGNED_BY_ID'], '1');
    assert.equal(deal['UTM_SOURCE'], 'google');
    assert.equal(deal['UTM_CAMPAIGN'], null);
    assert.equal(deal['DATE_CREATE'], '2026-05-14T10:00:00+02:00');
    assert.equal(deal['BEGINDATE'], '2026-05-14T02:00:00+02:00');
    assert.equal(deal['CLOSEDATE'], '2026-05-21T02:00:00+02:00');
    assert.equal('NOT_A_FIELD' in deal, false);
    const untitled = await call('crm.deal.add', { fields: {} });
    const titled = (await call('crm.deal.get', { id: untitled.body['result'] })).body['result'] as Record<string, unknown>;
    assert.equal(titled['TITLE'], `Deal #${String(untitled.body['result'])}`);
  });

  test('when a deal is updated, then read-only and immutable fields are ignored and a stage move is recorded', async () => {
    // §3.2: CATEGORY_ID ignored on update; STAGE_ID maintains semantics, CLOSED, MOVED_TIME; §3.8 history.
    emulator.addDealCategory('acme', 'Wholesale');
    const id = (await call('crm.deal.add', { fields: { TITLE: 'Move me' } })).body['result'] as number;
    clock.advance(60_000);
    const updated = await call('crm.deal.update', { id, fields: { CATEGORY_ID: 1, STAGE_ID: 'WON', ID: 999, UTM_TERM: 'shoes' } });
    assert.deepEqual(updated.body['result'], true);
    const deal = (await call('crm.deal.get', { id })).body['result'] as Record<string, unknown>;
    assert.equal(deal['ID'], String(id));
    assert.equal(deal['CATEGORY_ID'], '0');
    assert.equal(deal['STAGE_ID'], 'WON');
    assert.equal(deal['STAGE_SEMANTIC_ID'], 'S');
    assert.equal(deal['CLOSED'], 'Y');
    assert.equal(deal['MOVED_TIME'], '2026-05-14T10:01:00+02:00');
    assert.equal(deal['UTM_TERM'], 'shoes');
    const history = await call('crm.stagehistory.list', { entityTypeId: 2, filter: { OWNER_ID: id } });
    const items = (history.body['result'] as { items: Array<Record<string, unknown>> }).items;
    assert.deepEqual(
      items.map((item) => [item['TYPE_ID'], item['STAGE_ID'], item['STAGE_SEMANTIC_ID'], item['CATEGORY_ID']]),
      [
        [1, 'NEW', 'P', 0],
        [3, 'WON', 'S', 0],
      ],
    );
    assert.equal(typeof items[0]?.['ID'], 'number');
    assert.equal(typeof items[0]?.['OWNER_ID'], 'number');
    assert.equal(history.body['total'], 2);
  });

  test('when a deal starts in another funnel, then its stage is C{n}:NEW and stage history says so', async () => {
    const category = emulator.addDealCategory('acme', 'Retail');
    const id = (await call('crm.deal.add', { fields: { CATEGORY_ID: category.id } })).body['result'] as number;
    const deal = (await call('crm.deal.get', { id })).body['result'] as Record<string, unknown>;
    assert.equal(deal['STAGE_ID'], `C${category.id}:NEW`);
    await call('crm.deal.update', { id, fields: { STAGE_ID: `C${category.id}:PREPARATION` } });
    const items = ((await call('crm.stagehistory.list', { entityTypeId: 2, filter: { OWNER_ID: id } })).body['result'] as { items: Array<Record<string, unknown>> }).items;
    assert.deepEqual(items.map((item) => [item['TYPE_ID'], item['STAGE_ID'], item['CATEGORY_ID']]), [
      [1, `C${category.id}:NEW`, category.id],
      [2, `C${category.id}:PREPARATION`, category.id],
    ]);
  });

  test('when stage history is filtered by a field it does not allow, then INVALID_ARG_VALUE', async () => {
    // §3.8
    const answer = await call('crm.stagehistory.list', { entityTypeId: 2, filter: { TITLE: 'x' } });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'INVALID_ARG_VALUE', error_description: "Invalid filter: field 'TITLE' is not allowed in filter" });
  });

  test('when a missing or invalid id is asked for, then the legacy empty-code errors', async () => {
    // §3.1
    const missing = await call('crm.deal.get', { id: 999_999 });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error: '', error_description: 'Not found' });
    assert.deepEqual((await call('crm.deal.get', {})).body, { error: '', error_description: 'ID is not defined or invalid.' });
    assert.deepEqual((await call('crm.deal.list', { filter: 'x' })).body, { error: '', error_description: "Parameter 'filter' must be array." });
    assert.deepEqual((await call('crm.deal.update', { id: 999_999, fields: { TITLE: 'x' } })).body, { error: '', error_description: 'Not found' });
  });

  test('when 120 leads exist, then lists page by 50 with next and total, and start=-1 skips the count', async () => {
    // §3.2 paging; §4.2 key order result, next, total, time.
    for (let index = 0; index < 120; index += 1) await call('crm.lead.add', { fields: { TITLE: `Lead ${index}`, UTM_CAMPAIGN: index % 2 === 0 ? 'even' : 'odd' } });
    const first = await call('crm.lead.list', { select: ['ID', 'TITLE'] });
    assert.deepEqual(Object.keys(first.body), ['result', 'next', 'total', 'time']);
    assert.equal((first.body['result'] as unknown[]).length, 50);
    assert.equal(first.body['next'], 50);
    assert.equal(first.body['total'], 120);
    assert.deepEqual(Object.keys((first.body['result'] as Array<Record<string, unknown>>)[0] ?? {}), ['ID', 'TITLE']);
    const last = await call('crm.lead.list', { select: ['ID'], start: 100 });
    assert.equal((last.body['result'] as unknown[]).length, 20);
    assert.equal(last.body['next'], undefined);
    assert.equal(last.body['total'], 120);
    const filtered = await call('crm.lead.list', { filter: { UTM_CAMPAIGN: 'even', '>ID': 10 }, order: { ID: 'DESC' }, select: ['ID'] });
    const ids = (filtered.body['result'] as Array<{ ID: string }>).map((row) => Number(row.ID));
    assert.equal(filtered.body['total'], 55);
    assert.equal(filtered.body['next'], 50);
    assert.equal(ids[0], 119);
    assert.ok(ids.every((id, index) => id > 10 && (index === 0 || id < (ids[index - 1] ?? 0))));
    const keyset = await call('crm.lead.list', { start: -1, order: { ID: 'ASC' }, filter: { '>ID': 100 }, select: ['ID'] });
    assert.equal(keyset.body['total'], 0);
    assert.equal(keyset.body['next'], undefined);
    assert.equal((keyset.body['result'] as Array<{ ID: string }>)[0]?.ID, '101');
  });

  test('when a list is read form-encoded with bracket keys, then filters and select work the same', async () => {
    // §4.1: form bodies in PHP bracket syntax, query and body merged.
    const form = `auth=${auth}&filter%5B%3E%3DID%5D=115&select%5B%5D=ID&order%5BID%5D=ASC`;
    const answer = await restCall(acme.restUrl, 'crm.lead.list', {}, form);
    assert.deepEqual(answer.body['result'], [{ ID: '115' }, { ID: '116' }, { ID: '117' }, { ID: '118' }, { ID: '119' }, { ID: '120' }]);
    const viaQuery = await fetch(`${acme.restUrl}crm.lead.list?auth=${auth}&filter[ID]=7&select[]=TITLE`);
    assert.deepEqual(((await viaQuery.json()) as { result: unknown }).result, [{ TITLE: 'Lead 6' }]);
  });

  test('when contacts have phones and e-mails, then get shows multifield arrays and list filters by them', async () => {
    // §3.7 multifields; filter by PHONE/EMAIL.
    const id = (await call('crm.contact.add', { fields: { NAME: 'Ivan', PHONE: [{ VALUE: '+79001234567', VALUE_TYPE: 'MOBILE' }], EMAIL: [{ VALUE: 'ivan@example.com' }] } })).body['result'] as number;
    await call('crm.contact.add', { fields: { NAME: 'Petr', PHONE: [{ VALUE: '+79007654321' }] } });
    const contact = (await call('crm.contact.get', { id })).body['result'] as Record<string, unknown>;
    const phones = contact['PHONE'] as Array<Record<string, unknown>>;
    assert.deepEqual(phones.map(({ VALUE_TYPE, VALUE, TYPE_ID }) => ({ VALUE_TYPE, VALUE, TYPE_ID })), [{ VALUE_TYPE: 'MOBILE', VALUE: '+79001234567', TYPE_ID: 'PHONE' }]);
    assert.equal(typeof phones[0]?.['ID'], 'string');
    assert.deepEqual((contact['EMAIL'] as Array<Record<string, unknown>>).map((entry) => entry['VALUE_TYPE']), ['WORK']);
    assert.equal(contact['HAS_PHONE'], 'Y');
    assert.equal('WEB' in contact, false);
    const byPhone = await call('crm.contact.list', { filter: { PHONE: '+79001234567' }, select: ['ID', 'NAME'] });
    assert.deepEqual(byPhone.body['result'], [{ ID: String(id), NAME: 'Ivan' }]);
    const byEmail = await call('crm.contact.list', { filter: { EMAIL: 'IVAN@example.com' }, select: ['ID', 'EMAIL'] });
    assert.equal((byEmail.body['result'] as Array<Record<string, unknown>>)[0]?.['ID'], String(id));
    assert.ok(Array.isArray((byEmail.body['result'] as Array<Record<string, unknown>>)[0]?.['EMAIL']));
    const starOnly = await call('crm.contact.list', { filter: { ID: id }, select: ['*'] });
    assert.equal('PHONE' in ((starOnly.body['result'] as Array<Record<string, unknown>>)[0] ?? {}), false);
  });

  test('when a contact multifield is updated, then ID edits, DELETE/empty removes, and no ID appends', async () => {
    // §3.7 update semantics.
    const id = (await call('crm.contact.add', { fields: { NAME: 'Multi', PHONE: [{ VALUE: '+1' }, { VALUE: '+2' }, { VALUE: '+3' }] } })).body['result'] as number;
    const before = ((await call('crm.contact.get', { id })).body['result'] as { PHONE: Array<{ ID: string }> }).PHONE.map((entry) => entry.ID);
    await call('crm.contact.update', { id, fields: { PHONE: [{ ID: before[0], VALUE: '+10' }, { ID: before[1], DELETE: 'Y' }, { ID: before[2], VALUE: '' }, { VALUE: '+4' }] } });
    const after = ((await call('crm.contact.get', { id })).body['result'] as { PHONE: Array<{ VALUE: string }> }).PHONE.map((entry) => entry.VALUE);
    assert.deepEqual(after, ['+10', '+4']);
  });

  test('when a lead names a contact, then IS_RETURN_CUSTOMER is set and STATUS_ID starts at NEW', async () => {
    // §3.6
    const id = (await call('crm.lead.add', { fields: { CONTACT_ID: 1, PHONE: [{ VALUE: '+15550001' }] } })).body['result'] as number;
    const lead = (await call('crm.lead.get', { id })).body['result'] as Record<string, unknown>;
    assert.equal(lead['IS_RETURN_CUSTOMER'], 'Y');
    assert.equal(lead['STATUS_ID'], 'NEW');
    assert.equal(lead['STATUS_SEMANTIC_ID'], 'P');
    await call('crm.lead.update', { id, fields: { STATUS_ID: 'JUNK' } });
    const items = ((await call('crm.stagehistory.list', { entityTypeId: 1, filter: { OWNER_ID: id } })).body['result'] as { items: Array<Record<string, unknown>> }).items;
    assert.deepEqual(items.map((item) => [item['TYPE_ID'], item['STATUS_ID'], item['STATUS_SEMANTIC_ID']]), [
      [1, 'NEW', 'P'],
      [3, 'JUNK', 'F'],
    ]);
  });

  test('when user fields are added, then names are normalised, XML_ID finds them, and labels need LANG', async () => {
    // §3.4
    const added = await call('crm.deal.userfield.add', { fields: { FIELD_NAME: 'lf_visit_id', USER_TYPE_ID: 'string', XML_ID: 'lf_visit_id', LABEL: 'Visit id', SHOW_FILTER: 'Y' } });
    assert.equal(typeof added.body['result'], 'number');
    const duplicate = await call('crm.deal.userfield.add', { fields: { FIELD_NAME: 'UF_CRM_LF_VISIT_ID', USER_TYPE_ID: 'string' } });
    assert.equal(duplicate.status, 400);
    assert.equal(duplicate.body['error'], 'ERROR_CORE');
    assert.deepEqual((await call('crm.deal.userfield.add', { fields: { USER_TYPE_ID: 'string' } })).body, { error: '', error_description: "The 'FIELD_NAME' field is not found." });
    assert.equal((await call('crm.deal.userfield.add', { fields: { FIELD_NAME: 'X'.repeat(44), USER_TYPE_ID: 'string' } })).body['error_description'], 'Field name is too long (more than 50 characters).');
    assert.equal((await call('crm.deal.userfield.add', { fields: { FIELD_NAME: 'bad-name', USER_TYPE_ID: 'string' } })).body['error'], 'ERROR_CORE');
    const list = await call('crm.deal.userfield.list', { filter: { XML_ID: 'lf_visit_id' } });
    const rows = list.body['result'] as Array<Record<string, unknown>>;
    assert.equal(list.body['total'], 1);
    assert.equal(rows[0]?.['FIELD_NAME'], 'UF_CRM_LF_VISIT_ID');
    assert.equal(rows[0]?.['ENTITY_ID'], 'CRM_DEAL');
    assert.equal(rows[0]?.['SHOW_FILTER'], 'E');
    assert.equal(rows[0]?.['SORT'], '100');
    assert.equal('EDIT_FORM_LABEL' in (rows[0] ?? {}), false);
    const withLang = await call('crm.deal.userfield.list', { filter: { XML_ID: 'lf_visit_id', LANG: 'en' } });
    assert.equal((withLang.body['result'] as Array<Record<string, unknown>>)[0]?.['EDIT_FORM_LABEL'], 'Visit id');
    const id = (await call('crm.deal.add', { fields: { UF_CRM_LF_VISIT_ID: 'v-123' } })).body['result'] as number;
    assert.equal(((await call('crm.deal.get', { id })).body['result'] as Record<string, unknown>)['UF_CRM_LF_VISIT_ID'], 'v-123');
    const found = await call('crm.deal.list', { filter: { UF_CRM_LF_VISIT_ID: 'v-123' }, select: ['ID', 'UF_*'] });
    assert.deepEqual(found.body['result'], [{ ID: String(id), UF_CRM_LF_VISIT_ID: 'v-123' }]);
    const fields = (await call('crm.deal.fields')).body['result'] as Record<string, Record<string, unknown>>;
    assert.equal(fields['UF_CRM_LF_VISIT_ID']?.['isDynamic'], true);
    assert.equal(fields['CATEGORY_ID']?.['isImmutable'], true);
    assert.equal(fields['STAGE_ID']?.['statusType'], 'DEAL_STAGE');
  });

  test('when funnels and stages are listed, then category 0 is default and stage rows carry semantics', async () => {
    // §3.5
    const categories = await call('crm.category.list', { entityTypeId: 2 });
    const list = (categories.body['result'] as { categories: Array<Record<string, unknown>> }).categories;
    assert.deepEqual(list.find((category) => category['id'] === 0), { id: 0, name: 'General', sort: 300, entityTypeId: 2, isDefault: 'Y' });
    const legacy = (await call('crm.dealcategory.list')).body['result'] as Array<Record<string, unknown>>;
    assert.equal(legacy.some((row) => row['ID'] === '0'), false);
    assert.equal((await call('crm.dealcategory.status', { id: 1 })).body['result'], 'DEAL_STAGE_1');
    const stages = (await call('crm.dealcategory.stage.list', { id: 1 })).body['result'] as Array<Record<string, unknown>>;
    assert.deepEqual(stages[0], { NAME: 'New', SORT: 10, STATUS_ID: 'C1:NEW' });
    assert.deepEqual((await call('crm.dealcategory.stage.list', { id: 99 })).body['result'], []);
    const statuses = await call('crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE' }, order: { SORT: 'ASC' } });
    const rows = statuses.body['result'] as Array<Record<string, unknown>>;
    assert.equal(statuses.body['total'], 8);
    const won = rows.find((row) => row['STATUS_ID'] === 'WON');
    assert.deepEqual(Object.keys(won ?? {}), ['ID', 'ENTITY_ID', 'STATUS_ID', 'NAME', 'NAME_INIT', 'SORT', 'SYSTEM', 'CATEGORY_ID', 'COLOR', 'SEMANTICS', 'EXTRA']);
    assert.equal(won?.['SORT'], '60');
    assert.equal(won?.['SEMANTICS'], 'S');
    assert.equal(rows[0]?.['SEMANTICS'], null);
    const sources = (await call('crm.status.list', { filter: { ENTITY_ID: 'SOURCE' } })).body['result'] as Array<Record<string, unknown>>;
    assert.ok(sources.some((row) => row['STATUS_ID'] === 'WEBFORM'));
  });

  test('when the CRM mode is asked for, then Classic portals answer 1 and Simple (deals-only) portals 2', async () => {
    // §3.6: `crm.settings.mode.get` returns 1 (Classic CRM) or 2 (Simple CRM, no leads).
    assert.equal((await call('crm.settings.mode.get')).body['result'], 1);
    const simple = emulator.setupPortal({ name: 'simple', crmMode: 2 });
    const simpleApp = emulator.createApp('simple', { installUrl: 'https://app.example.com/install' });
    const simpleAuth = emulator.issueTokens('simple', simpleApp.clientId).access_token;
    assert.equal((await restCall(simple.restUrl, 'crm.settings.mode.get', { auth: simpleAuth })).body['result'], 2);
  });

  test('when a timeline comment is added, then it needs lower-case fields and an existing owner', async () => {
    // §3.8
    const id = (await call('crm.deal.add', { fields: {} })).body['result'] as number;
    const added = await call('crm.timeline.comment.add', { fields: { ENTITY_ID: id, ENTITY_TYPE: 'deal', COMMENT: 'Source: google / cpc' } });
    assert.equal(typeof added.body['result'], 'number');
    assert.equal(emulator.state.commentsOf(acme.portal.id, 'deal', id)[0]?.comment, 'Source: google / cpc');
    assert.equal((await call('crm.timeline.comment.add', { FIELDS: { ENTITY_ID: id, ENTITY_TYPE: 'deal', COMMENT: 'x' } })).status, 400);
    assert.equal((await call('crm.timeline.comment.add', { fields: { ENTITY_ID: 999_999, ENTITY_TYPE: 'deal', COMMENT: 'x' } })).body['error'], 'OWNER_NOT_FOUND');
    assert.equal((await call('crm.timeline.comment.add', { fields: { ENTITY_ID: id, ENTITY_TYPE: 'deal', COMMENT: '' } })).body['error'], 'INVALID_ARG_VALUE');
  });

  test('when a trace is attached, then TRACE and ENTITIES are validated with the documented texts', async () => {
    // §3.10
    const id = (await call('crm.deal.add', { fields: {} })).body['result'] as number;
    const trace = JSON.stringify({ tags: { list: { utm_source: 'google' } } });
    const added = await call('crm.tracking.trace.add', { TRACE: trace, ENTITIES: [{ TYPE: 'DEAL', ID: id }] });
    assert.equal(typeof added.body['result'], 'number');
    assert.deepEqual(emulator.state.traces.get(added.body['result'] as number)?.entities, [{ TYPE: 'DEAL', ID: id }]);
    assert.deepEqual((await call('crm.tracking.trace.add', { ENTITIES: [] })).body, { error: 'ERROR_CORE', error_description: 'Parameter `TRACE` required.' });
    assert.equal((await call('crm.tracking.trace.add', { TRACE: '{nope' })).body['error_description'], 'Can not parse JSON in parameter `TRACE`.');
    assert.equal(
      (await call('crm.tracking.trace.add', { TRACE: trace, ENTITIES: [{ TYPE: 'TASK', ID: 1 }] })).body['error_description'],
      'Wrong TYPE in parameter `ENTITIES`. Allowed types: COMPANY,CONTACT,DEAL,LEAD,QUOTE',
    );
    assert.equal((await call('crm.tracking.trace.add', { TRACE: trace, ENTITIES: [{ TYPE: 'DEAL', ID: 999_999 }] })).body['error_description'], 'You have no access to entity `DEAL` with ID `999999`.');
    assert.deepEqual((await call('crm.tracking.trace.delete', { id: added.body['result'] })).body['result'], null);
  });

  test('when answers are read, then they carry the JSON content type, CORS headers and a full time object', async () => {
    // §4.1, §4.2
    const answer = await call('crm.deal.list', { select: ['ID'] });
    assert.equal(answer.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(answer.headers.get('access-control-allow-origin'), '*');
    assert.equal(answer.headers.get('access-control-allow-headers'), 'origin, content-type, accept');
    const time = answer.body['time'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(time), ['start', 'finish', 'duration', 'processing', 'date_start', 'date_finish', 'operating_reset_at', 'operating']);
    assert.equal(time['date_start'], new Date(clock.now() + 2 * 3_600_000).toISOString().slice(0, 19) + '+02:00');
  });
});
