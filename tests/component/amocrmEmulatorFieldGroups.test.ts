/** Lead field groups (amocrm.md 2.7 "field groups `.../custom_fields/groups`"; shape from the SDK's CustomFieldGroupModel). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';

let emulator: AmocrmEmulator;
let acme: EmulatedAccount;
let token: string;

before(async () => {
  emulator = await startAmocrmEmulator({ clock: createManualClock() });
  acme = emulator.setupAccount({ subdomain: 'acme', redirectUri: 'https://app.example.com/cb' });
  token = emulator.issueTokens('acme', acme.integration.clientId).access_token;
});

after(async () => {
  await emulator.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${acme.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
};

test('when there are no groups, then the list answers 204; a created group has a string id and is listed with its fields', async () => {
  assert.equal((await call('GET', '/api/v4/leads/custom_fields/groups')).status, 204);
  const created = await call('POST', '/api/v4/leads/custom_fields/groups', [{ name: 'LongFunnel', sort: 600, request_id: 'g1' }]);
  assert.equal(created.status, 200);
  assert.match(created.type ?? '', /application\/hal\+json/);
  const group = created.body?._embedded.custom_field_groups[0];
  assert.equal(typeof group.id, 'string');
  assert.equal(group.request_id, 'g1');
  assert.equal(group.name, 'LongFunnel');

  const field = await call('POST', '/api/v4/leads/custom_fields', [{ name: 'In the group', type: 'text', code: 'IN_GROUP', group_id: group.id }]);
  assert.equal(field.status, 201);
  assert.equal(field.body?._embedded.custom_fields[0].group_id, group.id);

  const listed = await call('GET', '/api/v4/leads/custom_fields/groups');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body?._embedded.custom_field_groups.map((item: { name: string; fields: number[] }) => [item.name, item.fields]), [
    ['LongFunnel', [field.body?._embedded.custom_fields[0].id]],
  ]);
});

test('when a field names a group that does not exist, or a group has no name, then the request is refused with validation errors', async () => {
  const field = await call('POST', '/api/v4/leads/custom_fields', [{ name: 'Lost', type: 'text', group_id: 'leads_999999' }]);
  assert.equal(field.status, 400);
  assert.equal(field.body?.['validation-errors'][0].errors[0].path, 'group_id');
  const group = await call('POST', '/api/v4/leads/custom_fields/groups', [{ name: ' ' }]);
  assert.equal(group.status, 400);
  assert.equal(group.body?.['validation-errors'][0].errors[0].code, 'NotBlank');
});
