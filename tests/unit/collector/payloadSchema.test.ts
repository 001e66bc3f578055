import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trackerPayloadSchema, validatePayload } from '../../../server/tracking/collector/payloadSchema.js';

const pageview = {
  v: 1,
  site: 'lf_abcdefghijklmnopqrstuvwx',
  type: 'pageview',
  visitor: 'visitor-0001',
  visit: 'visit-0001',
  url: 'https://shop.example/p?filter[color]=red',
  landing: 'https://shop.example/?utm_source=yandex',
  ts: 1,
};
const goal = { ...pageview, type: 'goal', goal: 'callback_form', value: 1500 };

const payloads: Array<[string, unknown]> = [
  ['a pageview', pageview],
  ['a pageview with every optional field', { ...pageview, title: '', referrer: '', ym_uid: '123', ga_cid: '1.2', screen: '1920x1080' }],
  ['a pageview with a goal', { ...pageview, goal: 'g' }],
  ['a pageview with a value', { ...pageview, value: 1 }],
  ['a goal', goal],
  ['a goal without a value', { ...goal, value: undefined }],
  ['a goal without a name', { ...goal, goal: undefined }],
  ['a goal with an empty name', { ...goal, goal: '' }],
  ['a goal with a string value', { ...goal, value: '1500' }],
  ['an unknown type', { ...pageview, type: 'click' }],
  ['no type', { ...pageview, type: undefined }],
  ['an unknown field', { ...pageview, colour: 'red' }],
  ['a goal with an unknown field', { ...goal, colour: 'red' }],
  ['a bad URL', { ...pageview, url: 'javascript:alert(1)' }],
  ['a bad goal URL', { ...goal, landing: 'ftp://x' }],
  ['not an object', 'pageview'],
  ['null', null],
  ['an array', [pageview]],
];

for (const [what, payload] of payloads) {
  test(`when ${what} is validated, then validatePayload answers exactly as the schema does`, () => {
    const fast = validatePayload(payload);
    const schema = trackerPayloadSchema.validate(payload);
    assert.deepEqual(fast.value, schema.value);
    assert.equal(fast.error?.message, schema.error?.message);
  });
}

test('when the table is read, then it holds accepted and refused payloads of both types', () => {
  const accepted = payloads.filter(([, payload]) => !trackerPayloadSchema.validate(payload).error).map(([what]) => what);
  assert.deepEqual(accepted, ['a pageview', 'a pageview with every optional field', 'a goal', 'a goal without a value']);
});
