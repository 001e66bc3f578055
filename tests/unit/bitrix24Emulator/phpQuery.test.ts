import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encodePhpForm, parsePhpQuery, phpJsonMap, phpTruthy } from '../../../integrations/bitrix24/emulator/phpQuery.js';
import { sharedDir } from '../../support/repoRoot.js';

// bitrix24.md 4.1, 3.11: bodies and batch commands are parsed like PHP parse_str.
test('when a query has operator-prefixed filter keys and [] lists, then it parses like parse_str', () => {
  assert.deepEqual(parsePhpQuery('filter[%3E%3DDATE_CREATE]=2024-01-01&select[]=ID&select[]=TITLE&start=50'), {
    filter: { '>=DATE_CREATE': '2024-01-01' },
    select: ['ID', 'TITLE'],
    start: '50',
  });
});

test('when keys nest, repeat or use plus signs, then the last value wins and + is a space', () => {
  assert.deepEqual(parsePhpQuery('cmd[a]=crm.deal.get%3Fid%3D1&cmd[b]=x+y&a=1&a=2&fields[PHONE][0][VALUE]=%2B7&fields[PHONE][0][VALUE_TYPE]=WORK'), {
    cmd: { a: 'crm.deal.get?id=1', b: 'x y' },
    a: '2',
    fields: { PHONE: [{ VALUE: '+7', VALUE_TYPE: 'WORK' }] },
  });
});

test('when a key is __proto__ or the indexes are sparse, then it is skipped or kept as an object', () => {
  const parsed = parsePhpQuery('__proto__[x]=1&a[2]=z&a[5]=y');
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  assert.deepEqual(parsed, { a: { 2: 'z', 5: 'y' } });
});

test('when the stored ONCRMCONTACTADD capture is rebuilt from its fields, then the form body is byte-identical', () => {
  // bitrix24.md 2.3: events are form-encoded with PHP bracket keys; the sample is a raw capture.
  const sample = JSON.parse(readFileSync(path.join(sharedDir, 'data/payloads/bitrix24/event-ONCRMCONTACTADD-raw-b24phpsdk.json'), 'utf8')) as {
    raw_body: string;
    parsed_flat: Record<string, string>;
  };
  const flat = sample.parsed_flat;
  const auth = Object.fromEntries(Object.entries(flat).filter(([key]) => key.startsWith('auth[')).map(([key, value]) => [key.slice(5, -1), value]));
  const body = encodePhpForm({ event: flat['event'], event_handler_id: flat['event_handler_id'], data: { FIELDS: { ID: flat['data[FIELDS][ID]'] } }, ts: flat['ts'], auth });
  assert.equal(body, sample.raw_body);
  assert.deepEqual(parsePhpQuery(body)['auth'], auth);
});

test('when batch result maps are encoded, then empty is [], 0..n-1 is an array and anything else an object', () => {
  // bitrix24.md 3.11: PHP json_encode rules for result maps.
  assert.deepEqual(phpJsonMap([]), []);
  assert.deepEqual(phpJsonMap([['0', 'a'], ['1', 'b']]), ['a', 'b']);
  assert.deepEqual(phpJsonMap([['1', 'b']]), { 1: 'b' });
  assert.deepEqual(phpJsonMap([['deal', 1]]), { deal: 1 });
});

test('when halt arrives as form text, then PHP truthiness decides: "false" halts, "0" and "" do not', () => {
  // bitrix24.md 3.11: the server tests plain PHP truthiness.
  assert.deepEqual(['false', 'true', '1', 1, true].map(phpTruthy), [true, true, true, true, true]);
  assert.deepEqual(['0', '', 0, false, null, undefined, []].map(phpTruthy), [false, false, false, false, false, false, false]);
});
