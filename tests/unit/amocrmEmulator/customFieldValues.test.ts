import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount } from '../../../integrations/amocrm/emulator/accounts.js';
import { createManualClock } from '../../../integrations/amocrm/emulator/clock.js';
import { parseCustomFieldsValues } from '../../../integrations/amocrm/emulator/customFieldValues.js';
import { EmulatorState } from '../../../integrations/amocrm/emulator/state.js';

function setup() {
  const state = new EmulatorState();
  const account = createAccount(state, createManualClock(0), { subdomain: 'acme' });
  const addField = (type: string, enums: string[] | null = null) => {
    const id = state.nextId('customField');
    state.customFields.set(id, {
      id, accountId: account.id, entityType: 'leads', name: type, type, code: null, sort: 1, isApiOnly: false,
      isPredefined: false, isDeletable: true, trackingCallback: null,
      enums: enums?.map((value, index) => ({ id: 100 + index, value, sort: index, code: null })) ?? null,
    });
    return id;
  };
  return { state, account, addField };
}

const errorsOf = (result: ReturnType<typeof parseCustomFieldsValues>) => result.errors.map((error) => `${error.code}:${error.path}`);

test('when a tracking field is written by code, then it resolves to that account field id', () => {
  const { state, account } = setup();
  const result = parseCustomFieldsValues(state, account.id, [{ field_code: 'UTM_SOURCE', values: [{ value: 'yandex' }] }]);
  const field = state.customFieldsOf(account.id).find((candidate) => candidate.code === 'UTM_SOURCE');
  assert.deepEqual(result, { updates: [{ fieldId: field?.id, values: [{ value: 'yandex' }] }], errors: [] });
});

test('when another account writes by field_id of this account, then the field is not a valid choice', () => {
  const { state, account } = setup();
  const other = createAccount(state, createManualClock(0), { subdomain: 'other' });
  const foreignId = state.customFieldsOf(account.id)[0]?.id;
  assert.deepEqual(errorsOf(parseCustomFieldsValues(state, other.id, [{ field_id: foreignId, values: [{ value: 'x' }] }])), ['NotSupportedChoice:custom_fields_values.0.field_id']);
});

const typeCases: Array<[string, string[] | null, unknown, string[]]> = [
  ['numeric', null, { value: '12.5' }, []],
  ['numeric', null, { value: 'twelve' }, ['InvalidType:custom_fields_values.0.values.0.value']],
  ['checkbox', null, { value: true }, []],
  ['checkbox', null, { value: 'yes' }, ['InvalidType:custom_fields_values.0.values.0.value']],
  ['date', null, { value: 1_730_000_000 }, []],
  ['date', null, { value: 'not a date' }, ['InvalidType:custom_fields_values.0.values.0.value']],
  ['select', ['A', 'B'], { enum_id: 101 }, []],
  ['select', ['A', 'B'], { value: 'B' }, []],
  ['select', ['A', 'B'], { enum_id: 999 }, ['NotSupportedChoice:custom_fields_values.0.values.0.enum_id']],
  ['text', null, 'bare string', ['InvalidType:custom_fields_values.0.values.0.value']],
];

for (const [type, enums, value, expected] of typeCases) {
  test(`when a ${type} field gets ${JSON.stringify(value)}, then the errors are ${JSON.stringify(expected)}`, () => {
    const { state, account, addField } = setup();
    const fieldId = addField(type, enums);
    assert.deepEqual(errorsOf(parseCustomFieldsValues(state, account.id, [{ field_id: fieldId, values: [value] }])), expected);
  });
}

test('when values is null or empty, then the field is cleared', () => {
  const { state, account } = setup();
  const result = parseCustomFieldsValues(state, account.id, [{ field_code: 'UTM_SOURCE', values: null }, { field_code: 'UTM_MEDIUM', values: [] }]);
  assert.deepEqual(result.updates.map((update) => update.values), [[], []]);
});

test('when neither field_id nor field_code is given, then field_id must not be blank', () => {
  const { state, account } = setup();
  assert.deepEqual(errorsOf(parseCustomFieldsValues(state, account.id, [{ values: [{ value: 'x' }] }])), ['NotBlank:custom_fields_values.0.field_id']);
});
