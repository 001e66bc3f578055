import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEmulatorOptions } from '../../../integrations/amocrm/emulator/options.js';
import { pageLinks, pageOf, readPaging } from '../../../integrations/amocrm/emulator/paging.js';
import { bracketValues, withValues } from '../../../integrations/amocrm/emulator/query.js';

const pagingCases: Array<[string, string, { page: number; limit: number }]> = [
  ['nothing', '', { page: 1, limit: 50 }],
  ['limit 250', 'limit=250', { page: 1, limit: 250 }],
  ['limit 251', 'limit=251', { page: 1, limit: 250 }],
  ['limit 0', 'limit=0', { page: 1, limit: 50 }],
  ['a page that is not a number', 'page=x&limit=10', { page: 1, limit: 10 }],
  ['page 3', 'page=3&limit=10', { page: 3, limit: 10 }],
];

for (const [what, query, expected] of pagingCases) {
  test(`when the query has ${what}, then paging is ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(readPaging(new URLSearchParams(query), defaultEmulatorOptions), expected);
  });
}

test('when the last item fills the page exactly, then there is no next page', () => {
  assert.deepEqual(pageOf([1, 2, 3, 4], { page: 2, limit: 2 }), { items: [3, 4], hasNext: false });
  assert.deepEqual(pageOf([1, 2, 3, 4, 5], { page: 2, limit: 2 }), { items: [3, 4], hasNext: true });
});

test('when links are built, then they keep the filters and set page and limit', () => {
  const links = pageLinks('http://x/api/v4/leads', new URLSearchParams('filter[id][]=1&page=2'), { page: 2, limit: 10 }, true);
  assert.deepEqual(Object.keys(links), ['self', 'next', 'prev']);
  assert.equal(decodeURIComponent(links['next']?.href ?? ''), 'http://x/api/v4/leads?filter[id][]=1&page=3&limit=10');
});

test('when PHP bracket filters are used in any form, then all values are read', () => {
  const query = new URLSearchParams('filter[id][]=1&filter[id][]=2&filter[id][5]=3&filter[idx]=9&filter[id]=4');
  assert.deepEqual(bracketValues(query, 'filter[id]'), ['1', '2', '3', '4']);
});

test('when with lists names with spaces, then they are trimmed', () => {
  assert.deepEqual([...withValues(new URLSearchParams('with=contacts, loss_reason'))], ['contacts', 'loss_reason']);
});
