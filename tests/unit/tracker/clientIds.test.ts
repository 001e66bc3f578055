import { test } from 'node:test';
import assert from 'node:assert/strict';
import { googleAnalyticsClientId, yandexMetricaUid } from '../../../tracker/src/clientIds.js';

const gaCases: readonly (readonly [when: string, cookie: string, expected: string | undefined])[] = [
  ['the _ga cookie is GA4\'s GA1.1 form', 'GA1.1.123.456', '123.456'],
  ['the _ga cookie is Universal Analytics\' GA1.2 form', 'GA1.2.1234567890.1699999999', '1234567890.1699999999'],
  ['the _ga cookie has a path depth', 'GA1.3-2.987654321.1700000000', '987654321.1700000000'],
  ['there is no _ga cookie', '', undefined],
  ['the _ga cookie holds a custom client id', 'GA1.1.my-client', undefined],
  ['the _ga cookie is something else', 'hello', undefined],
];

for (const [when, cookie, expected] of gaCases) {
  test(`when ${when}, then ga_cid is ${expected ?? 'left out'}`, () => {
    assert.equal(googleAnalyticsClientId(cookie), expected);
  });
}

const ymCases: readonly (readonly [when: string, cookie: string, expected: string | undefined])[] = [
  ['the _ym_uid cookie holds digits', '1699999999123456789', '1699999999123456789'],
  ['there is no _ym_uid cookie', '', undefined],
  ['the _ym_uid cookie holds other text', '16999<script>', undefined],
];

for (const [when, cookie, expected] of ymCases) {
  test(`when ${when}, then ym_uid is ${expected ?? 'left out'}`, () => {
    assert.equal(yandexMetricaUid(cookie), expected);
  });
}
