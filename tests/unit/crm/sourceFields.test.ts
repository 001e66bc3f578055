/** What enrichment writes into a deal: computed values, the never-overwrite rule, and the note. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dealNoteText, dealSourceValues, valuesToWrite, type DealMatch, type TouchVisit } from '../../../server/crm/sourceFields.js';

const byVisitorId: DealMatch = { method: 'visitor_id', visitorId: 'v-1', confidence: 1, reason: null };
const byPhone: DealMatch = { method: 'phone', visitorId: 'v-2', confidence: 0.9, reason: null };
const noMatch: DealMatch = { method: 'none', visitorId: null, confidence: 0, reason: 'no_identity' };

let minute = 0;
function visit(fields: Partial<TouchVisit>): TouchVisit {
  minute += 1;
  return {
    startedAt: new Date(Date.UTC(2025, 2, 1, 10, minute, 30, 250)),
    source: '(direct)',
    medium: '(none)',
    campaign: null,
    content: null,
    term: null,
    channel: 'Direct',
    referrer: null,
    clickIdType: null,
    clickId: null,
    landingParams: {},
    ymUid: null,
    gaCid: null,
    ...fields,
  };
}

const paidGoogle = (fields: Partial<TouchVisit> = {}) =>
  visit({ source: 'google', medium: 'cpc', campaign: 'brand', term: 'sofa', channel: 'Paid Search', clickIdType: 'gclid', clickId: 'g-1', ...fields });
const organicYandex = (fields: Partial<TouchVisit> = {}) =>
  visit({ source: 'yandex', medium: 'organic', channel: 'Organic Search', referrer: 'https://yandex.ru/', ...fields });
const direct = (fields: Partial<TouchVisit> = {}) => visit(fields);

test('when direct visits follow a paid one, then the paid visit is credited (last non-direct) and the first touch is the first visit', () => {
  const path = [organicYandex(), paidGoogle(), direct(), direct()];
  const values = dealSourceValues(path, byVisitorId);
  assert.equal(values.utm_source, 'google');
  assert.equal(values.utm_medium, 'cpc');
  assert.equal(values.utm_campaign, 'brand');
  assert.equal(values.utm_term, 'sofa');
  assert.equal(values.gclid, 'g-1');
  assert.equal(values.referrer, undefined, "the credited visit's referrer, not the first one's");
  assert.equal(values.lf_channel, 'Paid Search');
  assert.equal(values.lf_first_touch, 'yandex / organic');
  assert.equal(values.lf_last_touch, 'google / cpc / brand');
  assert.equal(values.lf_visits, '4');
  assert.equal(values.lf_visitor_id, 'v-1');
  assert.equal(values.lf_match, 'visitor id (100%)');
  assert.equal(values.lf_first_visit, '2025-03-01T10:01:30.000Z', 'whole seconds of the first visit');
});

test('when a later non-direct visit comes, then it is credited over an earlier one', () => {
  const values = dealSourceValues([paidGoogle(), direct(), organicYandex()], byPhone);
  assert.equal(values.utm_source, 'yandex');
  assert.equal(values.utm_medium, 'organic');
  assert.equal(values.referrer, 'https://yandex.ru/');
  assert.equal(values.gclid, undefined, "the earlier visit's click id is not the credited one's");
  assert.equal(values.lf_match, 'phone (90%)');
  assert.equal(values.lf_first_touch, 'google / cpc / brand');
});

const clickIds: Array<[string, 'gclid' | 'yclid' | 'fbclid' | undefined]> = [
  ['gclid', 'gclid'],
  ['yclid', 'yclid'],
  ['fbclid', 'fbclid'],
  ['msclkid', undefined],
];
for (const [type, field] of clickIds) {
  test(`when the credited visit carries a ${type}, then ${field ?? 'no click-id field'} is written`, () => {
    const values = dealSourceValues([visit({ source: 'x', medium: 'cpc', channel: 'Paid Other', clickIdType: type, clickId: 'id-42' })], byVisitorId);
    for (const key of ['gclid', 'yclid', 'fbclid'] as const) assert.equal(values[key], key === field ? 'id-42' : undefined, key);
  });
}

test('when the credited visit landed with _openstat (base64 or plain), then the four openstat fields are written', () => {
  const plain = 'direct.yandex.ru;12345;67890;premium';
  for (const raw of [Buffer.from(plain).toString('base64'), plain]) {
    const values = dealSourceValues([visit({ source: 'yandex', medium: 'cpc', channel: 'Paid Search', landingParams: { _openstat: raw, from: 'promo', roistat: 'r1' } })], byVisitorId);
    assert.equal(values.openstat_service, 'direct.yandex.ru');
    assert.equal(values.openstat_campaign, '12345');
    assert.equal(values.openstat_ad, '67890');
    assert.equal(values.openstat_source, 'premium');
    assert.equal(values.from, 'promo');
    assert.equal(values.roistat, 'r1');
  }
  const broken = dealSourceValues([visit({ source: 'yandex', medium: 'cpc', landingParams: { _openstat: '!!!' } })], byVisitorId);
  assert.equal(broken.openstat_service, undefined);
});

test('when every visit is direct, then the latest one is credited and no campaign data is invented', () => {
  const values = dealSourceValues([direct(), direct({ ymUid: 'ym-1' }), direct({ gaCid: 'ga-1' })], byVisitorId);
  assert.equal(values.utm_source, '(direct)');
  assert.equal(values.utm_medium, '(none)');
  assert.equal(values.lf_channel, 'Direct');
  assert.equal(values.lf_last_touch, '(direct) / (none)');
  assert.equal(values.lf_visits, '3');
  for (const key of ['utm_campaign', 'utm_content', 'utm_term', 'referrer', 'gclid', 'yclid', 'fbclid', 'openstat_service', 'from'] as const) {
    assert.equal(values[key], undefined, key);
  }
  assert.equal(values.ym_uid, 'ym-1', 'analytics ids come from the latest visit that has one');
  assert.equal(values.ga_client_id, 'ga-1');
});

test('when the path is empty, then only the match is written (nothing is cleared)', () => {
  assert.deepEqual(dealSourceValues([], noMatch), { lf_match: 'no match (0%)' });
  assert.deepEqual(dealSourceValues([], byVisitorId), { lf_visitor_id: 'v-1', lf_match: 'visitor id (100%)' });
});

test('when a value is longer than a CRM text field, then it is cut to 255 characters', () => {
  const values = dealSourceValues([visit({ source: 'x', medium: 'cpc', campaign: 'c'.repeat(400) })], byVisitorId);
  assert.equal(values.utm_campaign?.length, 255);
});

test('when the deal holds a value someone else put there, then it is never overwritten', () => {
  const computed = { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'brand', lf_match: 'phone (90%)' };
  const writes = valuesToWrite(
    computed,
    { utm_source: 'exhibition', utm_medium: 'cpc', utm_campaign: 'old', lf_match: 'typed' },
    { utm_campaign: 'old', lf_match: 'visitor id (100%)' },
  );
  // utm_source: foreign (we never wrote it); utm_medium: already equal; utm_campaign: ours, so updated;
  // lf_match: someone changed what we wrote, so it is theirs now.
  assert.deepEqual(writes, { utm_campaign: 'brand' });
});

test('when the deal field is empty, then the value is written; when it equals ours, nothing is written', () => {
  assert.deepEqual(valuesToWrite({ utm_source: 'google' }, {}, {}), { utm_source: 'google' });
  assert.deepEqual(valuesToWrite({ utm_source: 'google' }, { utm_source: 'google' }, { utm_source: 'google' }), {});
  assert.deepEqual(valuesToWrite({ utm_source: 'google' }, { utm_source: 'yandex' }, {}), {}, 'a value we never wrote is foreign');
});

test('when a deal has visits, then its note names the credited touch, the visits, the first visit and the match', () => {
  const path = [organicYandex(), paidGoogle()];
  const text = dealNoteText(dealSourceValues(path, byPhone), byPhone);
  assert.equal(text, 'LongFunnel: google / cpc / brand (Paid Search); 2 visits since 2025-03-01; first touch yandex / organic; matched by phone (90%).');
  const one = dealNoteText(dealSourceValues([paidGoogle()], byVisitorId), byVisitorId);
  assert.match(one, /; 1 visit since /);
});

test('when a deal has no visit data, then its note says why', () => {
  assert.equal(dealNoteText(dealSourceValues([], noMatch), noMatch), 'LongFunnel: no visit data (no visitor id, phone or e-mail in the deal).');
  assert.equal(dealNoteText({}, { ...noMatch, reason: null }), 'LongFunnel: no visit data (no visitor matched).');
});
