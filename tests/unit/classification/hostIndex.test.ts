import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostIndex } from '../../../server/tracking/classification/hostIndex.js';

function indexOf(patterns: Array<[string, string]>): HostIndex<string> {
  const index = new HostIndex<string>();
  for (const [pattern, value] of patterns) index.add(pattern, value);
  return index;
}

const index = indexOf([
  ['google.{}', 'google'],
  ['mail.google.com', 'gmail'],
  ['google.{}/maps', 'google-maps'],
  ['{}.bing.com', 'bing'],
  ['vk.com', 'vk'],
  ['vk.com', 'shadowed'],
]);

const cases: Array<[when: string, host: string, path: string, expected: { value: string; viaParentDomain: boolean } | undefined]> = [
  ['the host is listed', 'vk.com', '/', { value: 'vk', viaParentDomain: false }],
  ['the host has www', 'www.vk.com', '/', { value: 'vk', viaParentDomain: false }],
  ['the host is a subdomain of a listed host', 'm.vk.com', '/', { value: 'vk', viaParentDomain: true }],
  ['the pattern covers subdomains with {}.', 'ca.bing.com', '/search', { value: 'bing', viaParentDomain: false }],
  ['the top-level domain is a wildcard', 'google.de', '/', { value: 'google', viaParentDomain: false }],
  ['the wildcard meets a two-label suffix', 'www.google.co.uk', '/', { value: 'google', viaParentDomain: false }],
  ['a long second label is not a public suffix', 'google.blogspot.com', '/', undefined],
  ['a more specific host is listed', 'mail.google.com', '/', { value: 'gmail', viaParentDomain: false }],
  ['a path prefix matches', 'www.google.com', '/maps/place/x', { value: 'google-maps', viaParentDomain: false }],
  ['the path prefix differs in case', 'google.com', '/Maps', { value: 'google-maps', viaParentDomain: false }],
  ['the host is unknown', 'example.org', '/', undefined],
  ['the host ends with a dot and capitals', 'VK.COM.', '/', { value: 'vk', viaParentDomain: false }],
];

for (const [when, host, path, expected] of cases) {
  test(`when ${when}, then the lookup of ${host}${path} gives ${expected?.value ?? 'nothing'}`, () => {
    assert.deepEqual(index.lookup(host, path), expected);
  });
}

test('when a pattern has no dot or a wildcard in the middle, then it is refused', () => {
  const refusing = new HostIndex<string>();
  assert.equal(refusing.add('android-app//com.google.android.googlequicksearchbox/https/www.google.com', 'x'), false);
  assert.equal(refusing.add('images.{}.ask.com', 'x'), false);
  assert.equal(refusing.add('ask.com', 'x'), true);
});
