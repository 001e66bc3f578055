import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount } from '../../../integrations/amocrm/emulator/accounts.js';
import { createManualClock } from '../../../integrations/amocrm/emulator/clock.js';
import { eventId } from '../../../integrations/amocrm/emulator/events.js';
import { FaultInjector, noFaults } from '../../../integrations/amocrm/emulator/faults.js';
import { EmulatorState, type Lead } from '../../../integrations/amocrm/emulator/state.js';
import { encodeWebhookBody, webhookPairs } from '../../../integrations/amocrm/emulator/webhookPayload.js';

function lead(accountId: number, overrides: Partial<Lead> = {}): Lead {
  return {
    id: 25_000_001, accountId, name: 'Тест & co', price: 0, responsibleUserId: 9, groupId: 0, statusId: 58_000_002, pipelineId: 7_000_001,
    lossReasonId: null, createdBy: 0, updatedBy: 0, createdAt: 1_748_268_669, updatedAt: 1_748_268_700, closedAt: null, closestTaskAt: null,
    isDeleted: false, score: null, laborCost: null, customFieldsValues: [], tagIds: [], contacts: [], companyIds: [], ...overrides,
  };
}

test('when two leads are added in one body, then indexes count from 0 per action and account fields come last', () => {
  const state = new EmulatorState();
  const account = createAccount(state, createManualClock(0), { subdomain: 'etesttask' });
  const pairs = webhookPairs(state, account, [
    { entity: 'leads', action: 'add', lead: lead(account.id) },
    { entity: 'leads', action: 'add', lead: lead(account.id, { id: 25_000_002 }) },
    { entity: 'leads', action: 'status', lead: lead(account.id), oldStatusId: 1, oldPipelineId: 2 },
  ]);
  const keys = pairs.map(([key]) => key);
  assert.equal(keys[0], 'leads[add][0][id]');
  assert.ok(keys.includes('leads[add][1][id]'));
  assert.ok(keys.includes('leads[status][0][old_status_id]'));
  assert.deepEqual(pairs.slice(-3), [['account[subdomain]', 'etesttask'], ['account[id]', String(account.id)], ['account[_links][self]', 'https://etesttask.amocrm.ru']]);
  assert.ok(pairs.every(([, value]) => typeof value === 'string'));
});

test('when a body is encoded, then brackets are percent-encoded and spaces become plus signs like the captures', () => {
  const body = encodeWebhookBody([['leads[add][0][name]', 'Тест & co'], ['account[subdomain]', 'test']]);
  assert.equal(body, 'leads%5Badd%5D%5B0%5D%5Bname%5D=%D0%A2%D0%B5%D1%81%D1%82+%26+co&account%5Bsubdomain%5D=test');
});

test('when a lead has an enum and a date field, then enums go under [enum] and dates are bare values', () => {
  const state = new EmulatorState();
  const account = createAccount(state, createManualClock(0), { subdomain: 'acme' });
  state.customFields.set(1, { id: 1, accountId: account.id, entityType: 'leads', name: 'Дата', type: 'date', code: null, sort: 1, isApiOnly: false, isPredefined: false, isDeletable: true, enums: null, trackingCallback: null });
  const pairs = new Map(webhookPairs(state, account, [{ entity: 'leads', action: 'update', lead: lead(account.id, { customFieldsValues: [{ fieldId: 1, values: [{ value: 1_542_067_200 }] }], tagIds: [] }) }]));
  assert.equal(pairs.get('leads[update][0][custom_fields][0][values][0]'), '1542067200');
  assert.equal(pairs.has('leads[update][0][custom_fields][0][code]'), false);
});

test('when event ids are made, then they are 26 lowercase base32 characters that sort by time', () => {
  const early = eventId(1_700_000_000_000, 5);
  const late = eventId(1_700_000_000_001, 1);
  assert.match(early, /^[0-9a-hjkmnp-tv-z]{26}$/);
  assert.ok(early < late);
});

test('when a probability plan has a seed, then the same seed gives the same faults', () => {
  const draw = (seed: number) => {
    const injector = new FaultInjector({ ...noFaults, seed, serverError: 0.3 });
    return Array.from({ length: 50 }, () => injector.next('serverError'));
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  assert.ok(draw(42).some(Boolean) && !draw(42).every(Boolean));
});

test('when a plan is scripted, then the n-th decision reads the n-th entry and false afterwards', () => {
  const injector = new FaultInjector({ ...noFaults, webhookDrop: [false, true] });
  assert.deepEqual([1, 2, 3].map(() => injector.next('webhookDrop')), [false, true, false]);
  assert.equal(injector.next('webhookDuplicate'), false);
});
