import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideVisit,
  formatVisitState,
  isNewVisit,
  parseLanding,
  parseVisitState,
  VISIT_TIMEOUT_MS,
  type VisitLanding,
  type VisitState,
} from '../../../tracker/src/visit.js';

const NOW = 1_795_347_547_738;
const MINUTE = 60_000;
const CURRENT: VisitState = { id: 'visit-current', lastActivity: NOW - 5 * MINUTE, sourceKey: 'utm:yandex|cpc|spring' };
const CURRENT_LANDING: VisitLanding = { visit: 'visit-current', landing: 'https://shop.example/?utm_source=yandex&utm_medium=cpc&utm_campaign=spring', referrer: 'https://yandex.ru/' };

interface NewVisitCase {
  readonly when: string;
  readonly current: VisitState | null;
  readonly sourceKey: string;
  readonly expected: boolean;
}

const newVisitCases: readonly NewVisitCase[] = [
  { when: 'there is no current visit', current: null, sourceKey: '', expected: true },
  { when: 'the last activity was 29 minutes ago and the arrival is direct', current: { ...CURRENT, lastActivity: NOW - 29 * MINUTE }, sourceKey: '', expected: false },
  { when: 'the last activity was exactly 30 minutes ago', current: { ...CURRENT, lastActivity: NOW - VISIT_TIMEOUT_MS }, sourceKey: '', expected: true },
  { when: 'the last activity was 31 minutes ago', current: { ...CURRENT, lastActivity: NOW - 31 * MINUTE }, sourceKey: '', expected: true },
  { when: 'the arrival has the same source key', current: CURRENT, sourceKey: 'utm:yandex|cpc|spring', expected: false },
  { when: 'the arrival has a different campaign', current: CURRENT, sourceKey: 'utm:yandex|cpc|autumn', expected: true },
  { when: 'the arrival has a different source', current: CURRENT, sourceKey: 'ref:google.com', expected: true },
  { when: 'the arrival is direct or internal', current: CURRENT, sourceKey: '', expected: false },
  { when: 'the visit began direct and the arrival now has a source', current: { ...CURRENT, sourceKey: '' }, sourceKey: 'ref:google.com', expected: true },
  { when: 'the last activity lies in the future (the clock went back)', current: { ...CURRENT, lastActivity: NOW + 10 * MINUTE }, sourceKey: '', expected: false },
];

for (const item of newVisitCases) {
  test(`when ${item.when}, then ${item.expected ? 'a new visit starts' : 'the hit belongs to the current visit'}`, () => {
    assert.equal(isNewVisit(item.current, item.sourceKey, NOW), item.expected);
  });
}

const newId = (): string => 'visit-new-id';

test('when a new visit starts, then it gets a new id, the hit\'s URL and referrer as landing, and the arrival\'s key', () => {
  const decision = decideVisit(CURRENT, CURRENT_LANDING, { now: NOW, url: 'https://shop.example/?gclid=x', sourceKey: 'param:gclid=', referrer: 'https://www.google.com/' }, newId);
  assert.deepEqual(decision, {
    state: { id: 'visit-new-id', lastActivity: NOW, sourceKey: 'param:gclid=' },
    landing: { visit: 'visit-new-id', landing: 'https://shop.example/?gclid=x', referrer: 'https://www.google.com/' },
  });
});

test('when the hit continues the visit, then the stored landing and referrer are kept and only the activity time moves', () => {
  const decision = decideVisit(CURRENT, CURRENT_LANDING, { now: NOW, url: 'https://shop.example/price', sourceKey: '', referrer: '' }, newId);
  assert.deepEqual(decision, { state: { ...CURRENT, lastActivity: NOW }, landing: CURRENT_LANDING });
});

test('when the hit continues the visit but the stored landing is another visit\'s, then the hit\'s URL stands in', () => {
  const stale: VisitLanding = { ...CURRENT_LANDING, visit: 'visit-older' };
  const decision = decideVisit(CURRENT, stale, { now: NOW, url: 'https://sub.shop.example/cart', sourceKey: '', referrer: '' }, newId);
  assert.deepEqual(decision.landing, { visit: 'visit-current', landing: 'https://sub.shop.example/cart', referrer: '' });
  assert.equal(decision.state.id, 'visit-current');
});

test('when the hit continues the visit and no landing is stored, then the hit\'s URL stands in', () => {
  const decision = decideVisit(CURRENT, null, { now: NOW, url: 'https://shop.example/cart', sourceKey: '', referrer: '' }, newId);
  assert.equal(decision.landing.landing, 'https://shop.example/cart');
});

test('when a visit state is formatted and parsed, then it round-trips, dots, semicolons and Cyrillic included', () => {
  const state: VisitState = { id: 'AbC_-123xyz', lastActivity: NOW, sourceKey: 'param:_openstat=direct.yandex.ru;555; весна,x' };
  const cookie = formatVisitState(state);
  assert.doesNotMatch(cookie, /[;,\s]/);
  assert.deepEqual(parseVisitState(cookie), state);
});

test('when a visit state has an empty source key, then it round-trips', () => {
  const state: VisitState = { id: 'abcdefgh', lastActivity: NOW, sourceKey: '' };
  assert.equal(formatVisitState(state), `abcdefgh.${NOW}.`);
  assert.deepEqual(parseVisitState(formatVisitState(state)), state);
});

for (const [when, cookie] of [
  ['the cookie is absent', ''],
  ['the id is too short', `abc.${NOW}.`],
  ['the time is not a number', 'abcdefgh.soon.'],
  ['the key has a broken escape', `abcdefgh.${NOW}.%E0%A4%A`],
  ['the parts are missing', 'abcdefgh'],
] as const) {
  test(`when ${when}, then the visit state is null (a new visit starts)`, () => {
    assert.equal(parseVisitState(cookie), null);
  });
}

test('when the stored landing is our JSON, then it is read back', () => {
  assert.deepEqual(parseLanding(JSON.stringify(CURRENT_LANDING)), CURRENT_LANDING);
});

test('when the stored landing has no referrer, then the referrer is empty', () => {
  assert.deepEqual(parseLanding('{"visit":"v1234567","landing":"https://a.example/"}'), { visit: 'v1234567', landing: 'https://a.example/', referrer: '' });
});

for (const [when, json] of [
  ['nothing is stored', ''],
  ['the value is not JSON', 'not json'],
  ['the value is JSON null', 'null'],
  ['the landing is not a string', '{"visit":"v1234567","landing":5}'],
] as const) {
  test(`when ${when}, then there is no stored landing`, () => {
    assert.equal(parseLanding(json), null);
  });
}
