import { test } from 'node:test';
import assert from 'node:assert/strict';
import { landingParams } from '../../../server/tracking/collector/landingParams.js';
import { trackerPayloadSchema } from '../../../server/tracking/collector/payloadSchema.js';

test('when a landing has marketing and other parameters, then only the marketing ones are kept, as they came', () => {
  assert.deepEqual(
    landingParams('https://a.example/?utm_source=VK&UTM_Medium=cpc&utm_custom=x&page=2&yclid=5&_openstat=ZGlyZWN0&from=yandex&roistat=r1&vkclid=v'),
    { utm_source: 'VK', utm_medium: 'cpc', utm_custom: 'x', yclid: '5', _openstat: 'ZGlyZWN0', from: 'yandex', roistat: 'r1', vkclid: 'v' },
  );
});

test('when a landing is not a URL, then there are no parameters', () => {
  assert.deepEqual(landingParams('not a url'), {});
});

const valid = {
  v: 1,
  site: 'lf_AbCdEfGhIjKlMnOpQrStUvWx',
  type: 'goal',
  visitor: 'abcdefgh12',
  visit: 'ijklmnop34',
  url: 'https://a.example/',
  landing: 'https://a.example/?utm_source=x',
  goal: 'order',
  value: 10.5,
  ts: 1,
};

test('when a goal payload is complete, then it is valid', () => {
  assert.equal(trackerPayloadSchema.validate(valid).error, undefined);
});

test('when a version 2 payload asks for the visit\'s swap, then it is valid, and version 1 payloads still are', () => {
  assert.equal(trackerPayloadSchema.validate({ ...valid, v: 2, swap: 1 }).error, undefined);
  assert.equal(trackerPayloadSchema.validate({ ...valid, v: 1 }).error, undefined);
});

const invalid: Array<[string, Record<string, unknown>]> = [
  ['a protocol version the collector does not know', { v: 3 }],
  ['a swap request other than 1', { v: 2, swap: true }],
  ['a goal without its name', { goal: undefined }],
  ['a javascript: URL', { url: 'javascript:alert(1)' }],
  ['a string value', { value: '10' }],
  ['a malformed GA client id', { ga_cid: 'GA1.1.123.456' }],
];

for (const [what, change] of invalid) {
  test(`when a payload has ${what}, then it is refused`, () => {
    assert.ok(trackerPayloadSchema.validate({ ...valid, ...change }).error);
  });
}
