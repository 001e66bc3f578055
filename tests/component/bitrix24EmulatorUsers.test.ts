/**
 * Bitrix24 emulator: `user.get` (users of the portal, 50 a page with `next` and `total`; any of the
 * `user`, `user_basic`, `user_brief` scopes; `user_brief` answers names without e-mail).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import { restCall } from '../support/bitrix24.js';

describe('Bitrix24 emulator user.get', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let acme: EmulatedPortal;
  let full: string;
  let brief: string;
  let crmOnly: string;
  const ids: number[] = [];

  before(async () => {
    emulator = await startBitrix24Emulator({ clock, leakyBucket: { enabled: false } });
    acme = emulator.setupPortal({ name: 'acme' });
    emulator.setupPortal({ name: 'other' });
    const token = (scopes: string[]) => emulator.issueTokens('acme', emulator.createApp('acme', { installUrl: 'https://app.example.com/install', scopes }).clientId).access_token;
    full = token(['crm', 'user']);
    brief = token(['crm', 'placement', 'user_brief']);
    crmOnly = token(['crm']);
    ids.push(emulator.addUser('acme', { name: 'Анна', lastName: 'Петрова' }));
    ids.push(emulator.addUser('acme', { name: 'Олег', lastName: 'Сидоров', active: false }));
    for (let index = 0; index < 55; index += 1) ids.push(emulator.addUser('acme', { name: `Manager ${index}` }));
    emulator.addUser('other', { name: 'Чужой' });
  });

  after(async () => {
    await emulator?.close();
  });

  const call = (auth: string, params: Record<string, unknown> = {}) => restCall(acme.restUrl, 'user.get', { ...params, auth });

  test('when users are listed, then 50 come a page with next and total, inactive ones included, by ID', async () => {
    const first = await call(full, { sort: 'ID', order: 'ASC' });
    assert.equal(first.status, 200);
    const rows = first.body['result'] as Array<Record<string, unknown>>;
    assert.equal(rows.length, 50);
    assert.equal(first.body['next'], 50);
    assert.equal(first.body['total'], 58);
    assert.deepEqual(rows.slice(0, 3).map((row) => [row['ID'], row['NAME'], row['LAST_NAME'], row['ACTIVE']]), [
      ['1', 'Admin', 'Portal', true],
      [String(ids[0]), 'Анна', 'Петрова', true],
      [String(ids[1]), 'Олег', 'Сидоров', false],
    ]);
    assert.equal(typeof rows[0]!['EMAIL'], 'string');
    const second = await call(full, { sort: 'ID', order: 'ASC', start: 50 });
    assert.equal((second.body['result'] as unknown[]).length, 8);
    assert.equal(second.body['next'], undefined);
  });

  test('when filtered by ID or ACTIVE, then only those users come back', async () => {
    const one = await call(full, { FILTER: { ID: ids[0] } });
    assert.deepEqual((one.body['result'] as Array<Record<string, unknown>>).map((row) => row['NAME']), ['Анна']);
    const inactive = await call(full, { FILTER: { ACTIVE: false } });
    assert.deepEqual((inactive.body['result'] as Array<Record<string, unknown>>).map((row) => row['NAME']), ['Олег']);
  });

  test('when the app has user_brief, then names come without e-mail; without any user scope the call is refused', async () => {
    const answer = await call(brief, { FILTER: { ID: ids[0] } });
    assert.equal(answer.status, 200);
    const row = (answer.body['result'] as Array<Record<string, unknown>>)[0]!;
    assert.deepEqual([row['NAME'], row['LAST_NAME'], 'EMAIL' in row], ['Анна', 'Петрова', false]);
    const refused = await call(crmOnly);
    assert.equal(refused.body['error'], 'insufficient_scope');
  });
});
