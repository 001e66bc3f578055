import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieDomainFor, hostOf, isInternalHost } from '../../../tracker/src/hosts.js';

const hostCases: readonly (readonly [when: string, url: string, expected: string])[] = [
  ['the URL is a search page', 'https://yandex.ru/search/?text=x', 'yandex.ru'],
  ['the host has capitals, a port and credentials', 'http://user:pw@Shop.Example:8080/a', 'shop.example'],
  ['the URL is an app referrer', 'android-app://com.google.android.gm/', 'com.google.android.gm'],
  ['the URL has only an origin', 'https://t.me', 't.me'],
  ['the referrer is empty', '', ''],
  ['the value is not a URL', 'about:blank', ''],
];

for (const [when, url, expected] of hostCases) {
  test(`when ${when}, then its host is "${expected}"`, () => {
    assert.equal(hostOf(url), expected);
  });
}

const domainCases: readonly (readonly [when: string, configured: string, pageHost: string, expected: string])[] = [
  ['the cookie domain is the page host\'s parent', 'example.com', 'shop.example.com', 'example.com'],
  ['the cookie domain has a leading dot and capitals', '.Example.com', 'www.example.com', 'example.com'],
  ['the cookie domain is the page host itself', 'example.com', 'example.com', 'example.com'],
  ['no cookie domain is given', '', 'example.com', ''],
  ['the cookie domain does not cover the page host', 'example.com', 'example.ru', ''],
  ['the cookie domain only ends like the page host', 'ample.com', 'example.com', ''],
];

for (const [when, configured, pageHost, expected] of domainCases) {
  test(`when ${when}, then cookies are written with domain "${expected}"`, () => {
    assert.equal(cookieDomainFor(configured, pageHost), expected);
  });
}

const internalCases: readonly (readonly [when: string, host: string, cookieDomain: string, expected: boolean])[] = [
  ['the referrer is the page host', 'shop.example.com', '', true],
  ['the referrer is a sibling subdomain without a cookie domain', 'blog.example.com', '', false],
  ['the referrer is a sibling subdomain under the cookie domain', 'blog.example.com', 'example.com', true],
  ['the referrer is the cookie domain itself', 'example.com', 'example.com', true],
  ['the referrer only ends like the cookie domain', 'notexample.com', 'example.com', false],
  ['the referrer is another site', 'yandex.ru', 'example.com', false],
];

for (const [when, host, cookieDomain, expected] of internalCases) {
  test(`when ${when}, then it is ${expected ? 'internal' : 'another site'}`, () => {
    assert.equal(isInternalHost(host, 'shop.example.com', cookieDomain), expected);
  });
}
