import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bracketPath, encodeForm, formText, indexedItems, parseFormBody } from '../../integrations/formBrackets.js';

test('when a key has brackets, then its path is the base name and every bracketed segment', () => {
  assert.deepEqual(bracketPath('leads[add][0][id]'), ['leads', 'add', '0', 'id']);
  assert.deepEqual(bracketPath('auth[application_token]'), ['auth', 'application_token']);
  assert.deepEqual(bracketPath('select[]'), ['select', '']);
  assert.equal(bracketPath('a[b'), undefined);
  assert.equal(bracketPath('[x]'), undefined);
  assert.equal(bracketPath('a[__proto__]'), undefined);
  assert.equal(bracketPath('a[b][c][d][e][f][g][h][i][j][k]'), undefined, 'deeper than 10 levels');
});

test('when the bitrix24.md 2.3 event body is parsed, then every value is a string at its nested place', () => {
  const body =
    'event=ONCRMDEALADD&event_handler_id=185&data%5BFIELDS%5D%5BID%5D=7405&ts=1766047124' +
    '&auth%5Bdomain%5D=acme.bitrix24.com&auth%5Bmember_id%5D=d897063e1ce7c5eb9f04b9751eef5915' +
    '&auth%5Bapplication_token%5D=51856fefc120afa4b628cc82d3935cce';
  const tree = parseFormBody(body);
  assert.equal(tree.event, 'ONCRMDEALADD');
  assert.deepEqual({ ...(tree.data as object) }, { FIELDS: Object.assign(Object.create(null), { ID: '7405' }) });
  assert.equal(formText(tree.auth as never, 'application_token'), '51856fefc120afa4b628cc82d3935cce');
  assert.equal(formText(tree.auth as never, 'missing'), undefined);
});

test('when indexes pass 9, then items keep numeric order', () => {
  const pairs = Array.from({ length: 12 }, (_, index) => `items[${index}][id]=${index}`).join('&');
  const items = indexedItems(parseFormBody(pairs).items as never);
  assert.deepEqual(items.map((item) => item.id), Array.from({ length: 12 }, (_, index) => String(index)));
});

test('when keys try to reach the prototype, then they are skipped and nothing is polluted', () => {
  const tree = parseFormBody('__proto__[polluted]=1&a[constructor][x]=2&ok=1');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(tree), ['ok']);
});

test('when values are encoded, then nested keys come out as PHP http_build_query writes them', () => {
  const encoded = encodeForm({ id: 7, fields: { UTM_SOURCE: 'google & co', UF_CRM_LF_VISITS: 3 }, filter: { '@ID': [1, 2] }, skip: undefined, flag: true });
  assert.equal(encoded, 'id=7&fields%5BUTM_SOURCE%5D=google%20%26%20co&fields%5BUF_CRM_LF_VISITS%5D=3&filter%5B%40ID%5D%5B0%5D=1&filter%5B%40ID%5D%5B1%5D=2&flag=1');
  assert.deepEqual(parseFormBody(encoded).filter, Object.assign(Object.create(null), { '@ID': Object.assign(Object.create(null), { 0: '1', 1: '2' }) }));
});
