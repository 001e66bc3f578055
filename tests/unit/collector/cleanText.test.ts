import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanText } from '../../../server/tracking/collector/cleanText.js';
import { rateLimitKey } from '../../../server/tracking/collector/clientAddress.js';

test('when a text holds NUL characters or half an emoji, then PostgreSQL-safe text remains', () => {
  assert.equal(cleanText('a\u0000b'), 'ab');
  assert.equal(cleanText('sale \ud83d'), 'sale \ufffd');
  assert.equal(cleanText('\ude00 x'), '\ufffd x');
  assert.equal(cleanText('fire 🔥 ok'), 'fire 🔥 ok');
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(cleanText('x\ud83d'))));
});

const addresses: Array<[string | undefined, string]> = [
  ['203.0.113.7', '203.0.113.7'],
  ['::ffff:203.0.113.7', '203.0.113.7'],
  ['2001:db8:85a3:0042:1000:8a2e:0370:7334', '2001:db8:85a3:42::/64'],
  ['2001:db8:85a3:42::1', '2001:db8:85a3:42::/64'],
  ['2001:db8::', '2001:db8:0:0::/64'],
  [undefined, 'unknown'],
];

for (const [address, key] of addresses) {
  test(`when a hit comes from ${address}, then it is limited under ${key}`, () => {
    assert.equal(rateLimitKey(address), key);
  });
}
