import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import { restCall, startAcmePortal } from '../support/bitrix24.js';

type BatchResult = Record<'result' | 'result_error' | 'result_total' | 'result_next' | 'result_time', unknown>;

describe('Bitrix24 emulator batch (bitrix24.md 3.11)', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let acme: EmulatedPortal;
  let auth: string;

  before(async () => {
    ({ emulator, acme, auth } = await startAcmePortal({ clock }));
  });

  after(async () => {
    await emulator?.close();
  });

  const batch = async (params: Record<string, unknown>) => {
    const answer = await restCall(acme.restUrl, 'batch', { ...params, auth });
    assert.equal(answer.status, 200);
    return answer.body['result'] as BatchResult;
  };

  test('when commands reference earlier results, then values are substituted, whole references keeping their type', async () => {
    const contactId = emulator.createContact('acme', { NAME: 'Ref' });
    const dealId = emulator.createDeal('acme', { CONTACT_ID: contactId, TITLE: 'Has contact' });
    const result = await batch({
      halt: 0,
      cmd: {
        deal: `crm.deal.get?id=${dealId}`,
        contact: 'crm.contact.get?id=$result[deal][CONTACT_ID]',
        copy: 'crm.deal.add?fields[TITLE]=Copy of $result[deal][TITLE]&fields[CONTACT_IDS][]=$result[deal][CONTACT_ID]',
        stages: 'crm.status.list?filter[ENTITY_ID]=DEAL_STAGE',
      },
    });
    const results = result.result as Record<string, Record<string, unknown>>;
    assert.equal(results['contact']?.['NAME'], 'Ref');
    const copy = results['copy'] as unknown as number;
    const copied = emulator.state.record('deal', copy);
    assert.equal(copied?.values['TITLE'], 'Copy of Has contact');
    assert.equal(copied?.values['CONTACT_ID'], String(contactId));
    assert.deepEqual(result.result_error, []);
    assert.deepEqual(result.result_total, { stages: 8 });
    assert.deepEqual(result.result_next, []);
    assert.deepEqual(Object.keys(result.result_time as object), ['deal', 'contact', 'copy', 'stages']);
  });

  test('when a command fails without halt, then the rest run; with halt (even form "false"), the rest are skipped', async () => {
    const cmd = { a: 'crm.deal.get?id=999999', b: 'crm.deal.list?select[]=ID&start=-1', c: 'crm.nothing' };
    const noHalt = await batch({ halt: 0, cmd });
    assert.deepEqual(noHalt.result_error, {
      a: { error: '', error_description: 'Not found' },
      c: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    assert.deepEqual(Object.keys(noHalt.result as object), ['b']);
    const form = `auth=${auth}&halt=false&cmd[a]=${encodeURIComponent('crm.deal.get?id=999999')}&cmd[b]=${encodeURIComponent('crm.deal.list?select[]=ID')}`;
    const halted = (await restCall(acme.restUrl, 'batch', {}, form)).body['result'] as BatchResult;
    assert.deepEqual(halted.result, []);
    assert.deepEqual(Object.keys(halted.result_error as object), ['a']);
  });

  test('when cmd is an array and command 0 fails, then result is an object keyed "1"', async () => {
    const result = await batch({ cmd: ['crm.deal.get?id=999999', 'user.current'] });
    assert.deepEqual(Object.keys(result.result as object), ['1']);
    assert.ok(!Array.isArray(result.result));
    // result_error has exactly key 0, which PHP encodes as a list.
    assert.deepEqual(result.result_error, [{ error: '', error_description: 'Not found' }]);
  });

  test('when a batch has 52 commands, then 50 run and the rest get ERROR_BATCH_LENGTH_EXCEEDED with status 200', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 52 }, (_, index) => [`c${index}`, 'user.current']));
    const result = await batch({ cmd });
    assert.equal(Object.keys(result.result as object).length, 50);
    assert.deepEqual(result.result_error, {
      c50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
      c51: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    });
  });

  test('when a batch nests a batch or lacks a scope, then that command fails alone', async () => {
    const narrow = emulator.createApp('acme', { installUrl: 'https://app.example.com/i', scopes: ['user'] });
    const narrowAuth = emulator.issueTokens('acme', narrow.clientId).access_token;
    const answer = await restCall(acme.restUrl, 'batch', { auth: narrowAuth, cmd: { inner: 'batch?cmd[x]=user.current', deals: 'crm.deal.list', me: 'user.current' } });
    const result = answer.body['result'] as BatchResult;
    assert.deepEqual(result.result_error, {
      inner: { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' },
      deals: { error: 'insufficient_scope', error_description: '' },
    });
    assert.deepEqual(Object.keys(result.result as object), ['me']);
  });
});

describe('Bitrix24 emulator limits (bitrix24.md 4.4)', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let acme: EmulatedPortal;
  let auth: string;

  before(async () => {
    emulator = await startBitrix24Emulator({ clock, operatingLimit: { methodCostSeconds: { 'crm.deal.list': 100 } } });
    acme = emulator.setupPortal({ name: 'acme' });
    const app = emulator.createApp('acme', { installUrl: 'https://app.example.com/install' });
    auth = emulator.issueTokens('acme', app.clientId).access_token;
  });

  after(async () => {
    await emulator?.close();
  });

  test('when 51 requests arrive at once, then the 51st gets 503 QUERY_LIMIT_EXCEEDED and the counter says 1', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 50; index += 1) statuses.push((await restCall(acme.restUrl, 'user.current', { auth })).status);
    assert.deepEqual(new Set(statuses), new Set([200]));
    const refused = await restCall(acme.restUrl, 'user.current', { auth });
    assert.equal(refused.status, 503);
    assert.deepEqual(refused.body, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    assert.equal(emulator.limits.queryLimitExceeded, 1);
    clock.advance(500);
    assert.equal((await restCall(acme.restUrl, 'user.current', { auth })).status, 200);
    clock.advance(30_000);
  });

  test('when a batch of 50 commands is sent, then it counts as one request', async () => {
    clock.advance(60_000);
    const cmd = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`c${index}`, 'user.current']));
    for (let index = 0; index < 50; index += 1) assert.equal((await restCall(acme.restUrl, 'batch', { auth, cmd })).status, 200);
    assert.equal((await restCall(acme.restUrl, 'batch', { auth, cmd })).status, 503);
    clock.advance(60_000);
  });

  test('when a method has used more than 480 s in 10 minutes, then it gets 429 while others still work', async () => {
    // 100 s per call (configured cost): calls 1-5 run (the 5th crosses 480), the 6th is refused.
    for (let index = 0; index < 5; index += 1) {
      const answer = await restCall(acme.restUrl, 'crm.deal.list', { auth });
      assert.equal(answer.status, 200);
      assert.equal((answer.body['time'] as { operating: number }).operating, (index + 1) * 100);
    }
    const blocked = await restCall(acme.restUrl, 'crm.deal.list', { auth });
    assert.equal(blocked.status, 429);
    assert.deepEqual(blocked.body, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' });
    assert.equal((await restCall(acme.restUrl, 'crm.deal.get', { auth, id: 1 })).status, 400);
    const inBatch = (await restCall(acme.restUrl, 'batch', { auth, cmd: { a: 'crm.deal.list' } })).body['result'] as BatchResult;
    assert.equal((inBatch.result_error as Record<string, { error: string }>)['a']?.error, 'OPERATION_TIME_LIMIT');
    assert.equal(emulator.limits.operationTimeLimit, 2);
    clock.advance(10 * 60_000);
    assert.equal((await restCall(acme.restUrl, 'crm.deal.list', { auth })).status, 200);
  });
});
