import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOf, splitFilterKey, startParam } from '../../../integrations/bitrix24/emulator/crm/listQuery.js';
import { renderDate } from '../../../integrations/bitrix24/emulator/crm/values.js';
import { defaultBitrix24EmulatorOptions, resolveBitrix24Options } from '../../../integrations/bitrix24/emulator/options.js';
import { normaliseFieldName } from '../../../integrations/bitrix24/emulator/methods/userFields.js';

const rows = Array.from({ length: 126 }, (_, index) => index + 1);

// bitrix24.md 3.2: page = floor(start/50)+1, next = page*50 only when more, total always for start >= 0.
test('when pages are read by start, then they are page-aligned with next and total', () => {
  const table = [
    { start: 0, first: 1, count: 50, next: 50 },
    { start: 30, first: 1, count: 50, next: 50 },
    { start: 50, first: 51, count: 50, next: 100 },
    { start: 100, first: 101, count: 26, next: undefined },
  ];
  for (const row of table) {
    const page = pageOf(rows, row.start, defaultBitrix24EmulatorOptions);
    assert.equal(page.rows[0], row.first, `start=${row.start}`);
    assert.equal(page.rows.length, row.count, `start=${row.start}`);
    assert.equal(page.next, row.next, `start=${row.start}`);
    assert.equal(page.total, 126);
  }
});

test('when start is -1, then at most 50 rows come without next and with total 0', () => {
  assert.deepEqual(pageOf(rows, -1, defaultBitrix24EmulatorOptions), { rows: rows.slice(0, 50), total: 0 });
});

test('when start is past the end, then page 1 comes back (file 8.10), or an empty page when so configured', () => {
  assert.equal(pageOf(rows, 500, defaultBitrix24EmulatorOptions).rows[0], 1);
  assert.deepEqual(pageOf(rows, 500, resolveBitrix24Options({ outOfRangeStart: 'empty' })), { rows: [], total: 126 });
});

test('when start is missing or junk, then it is 0; negative is -1', () => {
  assert.deepEqual([undefined, '', 'x', '50', 50.7, '-1', -5].map(startParam), [0, 0, 0, 50, 50, -1, -1]);
});

test('when filter keys carry operator prefixes, then the longest prefix wins', () => {
  // bitrix24.md 3.2: >=, >, <=, <, @, !@, %, =%, %=, =, !=, !
  const table: Array<[string, string, string]> = [
    ['>=DATE_CREATE', '>=', 'DATE_CREATE'],
    ['>ID', '>', 'ID'],
    ['!@ID', '!@', 'ID'],
    ['!=STAGE_ID', '!=', 'STAGE_ID'],
    ['!STAGE_SEMANTIC_ID', '!', 'STAGE_SEMANTIC_ID'],
    ['=%TITLE', '=%', 'TITLE'],
    ['%TITLE', '%', 'TITLE'],
    ['UTM_SOURCE', '', 'UTM_SOURCE'],
  ];
  for (const [key, operator, name] of table) assert.deepEqual(splitFilterKey(key), { operator, name }, key);
});

test('when a date-only value is rendered, then its date part is the stored date', () => {
  // bitrix24.md 3.1: "2024-08-30T02:00:00+02:00" for a date in a +02:00 portal.
  assert.equal(renderDate('2024-08-30', '+02:00'), '2024-08-30T02:00:00+02:00');
  assert.equal(renderDate('2024-08-30', '-05:00'), '2024-08-30T00:00:00-05:00');
});

test('when user-field names are normalised, then UF_CRM_ is prefixed once and case is upper', () => {
  // bitrix24.md 3.4
  assert.deepEqual(['MANAGER_NOTE', 'UF_MANAGER_NOTE', 'UF_CRM_MANAGER_NOTE', 'lf_visit'].map(normaliseFieldName), [
    'UF_CRM_MANAGER_NOTE',
    'UF_CRM_MANAGER_NOTE',
    'UF_CRM_MANAGER_NOTE',
    'UF_CRM_LF_VISIT',
  ]);
});
