import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../server/errors.js';
import { isSiteOrigin, newSiteKey, normaliseHost } from '../../../server/tracking/sites/siteStore.js';

const site = { hosts: ['shop.example', 'www.shop.example'] };

const origins: Array<[string, boolean]> = [
  ['https://shop.example', true],
  ['http://shop.example:8080', true],
  ['https://m.shop.example', true],
  ['https://evilshop.example', false],
  ['https://shop.example.evil.example', false],
  ['ftp://shop.example', false],
  ['null', false],
  ['not a url', false],
];

for (const [origin, allowed] of origins) {
  test(`when a hit comes from ${origin}, then it is ${allowed ? 'allowed' : 'refused'}`, () => {
    assert.equal(isSiteOrigin(site, origin), allowed);
  });
}

test('when a domain is typed as a URL or in capitals, then the host name is kept', () => {
  assert.equal(normaliseHost('127.0.0.1', 'domain'), '127.0.0.1');
  assert.equal(normaliseHost('localhost', 'domain'), 'localhost');
  assert.equal(normaliseHost('https://Shop.Example/path?x=1', 'domain'), 'shop.example');
  assert.equal(normaliseHost('shop.example.', 'domain'), 'shop.example');
});

test('when a Cyrillic domain is typed, then it is kept in punycode, as browsers send it in Origin', () => {
  assert.equal(normaliseHost('Магазин.рф', 'domain'), 'xn--80aairftm.xn--p1ai');
  assert.equal(isSiteOrigin({ hosts: [normaliseHost('магазин.рф', 'domain')] }, 'https://xn--80aairftm.xn--p1ai'), true);
});

test('when a domain is not a host name, then it is refused with the field named', () => {
  assert.throws(() => normaliseHost('shop example', 'domain'), (error: unknown) => error instanceof AppError && /domain must be a host name/.test(error.message));
  assert.throws(() => normaliseHost('', 'hosts'), AppError);
  assert.throws(() => normaliseHost('user@shop.example', 'domain'), AppError);
});

test('when site keys are made, then they are distinct and of the documented form', () => {
  const keys = new Set(Array.from({ length: 1000 }, () => newSiteKey()));
  assert.equal(keys.size, 1000);
  for (const key of keys) assert.match(key, /^lf_[A-Za-z0-9]{24}$/);
});
