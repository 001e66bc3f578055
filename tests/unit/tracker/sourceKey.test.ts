import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SOURCE_KEY_LENGTH, sourceKey } from '../../../tracker/src/sourceKey.js';

interface Case {
  readonly when: string;
  readonly query: string;
  readonly referrerHost?: string;
  readonly then: string;
  readonly expected: string;
}

const cases: readonly Case[] = [
  { when: 'the landing has utm source, medium and campaign', query: '?utm_source=yandex&utm_medium=cpc&utm_campaign=spring&utm_term=sofa', then: 'the key is utm: with those three', expected: 'utm:yandex|cpc|spring' },
  { when: 'the landing has only utm_source', query: '?utm_source=partner', then: 'the missing parts are empty', expected: 'utm:partner||' },
  { when: 'the landing has only utm_medium', query: '?utm_medium=email', then: 'utm tags still name the key', expected: 'utm:|email|' },
  { when: 'utm tags come with a click id and a referrer', query: '?gclid=abc&utm_source=google&utm_medium=cpc', referrerHost: 'www.google.com', then: 'the utm tags win', expected: 'utm:google|cpc|' },
  { when: 'utm values are percent-encoded Cyrillic', query: '?utm_source=yandex&utm_medium=cpc&utm_campaign=%D0%B2%D0%B5%D1%81%D0%BD%D0%B0', then: 'the key holds the decoded text', expected: 'utm:yandex|cpc|весна' },
  { when: 'the landing has only utm_campaign', query: '?utm_campaign=brand', then: 'it is not a utm key (the server needs source or medium too) and, without anything else, the key is empty', expected: '' },
  { when: 'the landing has only gclid', query: '?gclid=Cj0KCQ', then: 'the key names the click id without its value', expected: 'param:gclid=' },
  { when: 'the landing has yclid and utm_campaign', query: '?yclid=123&utm_campaign=brand', then: 'the campaign part is utm_campaign', expected: 'param:yclid=brand' },
  { when: 'the landing has fbclid and msclkid', query: '?msclkid=a&fbclid=b', then: 'the first in the protocol\'s order wins', expected: 'param:fbclid=' },
  { when: 'the landing has rb_clickid', query: '?rb_clickid=123-456', then: 'the key names it', expected: 'param:rb_clickid=' },
  { when: 'the landing has vkclid', query: '?vkclid=x', then: 'the key names it', expected: 'param:vkclid=' },
  { when: 'the landing has _openstat', query: '?_openstat=ZGlyZWN0LnlhbmRleC5ydTsxMjM0NTY3ODs5ODc2NTQzMjE7eWFuZGV4LnJ1OnByZW1pdW0', then: 'the campaign part is its raw value', expected: 'param:_openstat=ZGlyZWN0LnlhbmRleC5ydTsxMjM0NTY3ODs5ODc2NTQzMjE7eWFuZGV4LnJ1OnByZW1pdW0' },
  { when: 'the landing has _openstat in the raw form', query: '?_openstat=direct.yandex.ru;555;777;yandex.ru', then: 'the value is kept as it is', expected: 'param:_openstat=direct.yandex.ru;555;777;yandex.ru' },
  { when: 'the landing has from', query: '?from=yandex-direct', then: 'the key names from', expected: 'param:from=' },
  { when: 'a click id is empty', query: '?gclid=&from=', referrerHost: 'yandex.ru', then: 'it is ignored and the referrer decides', expected: 'ref:yandex.ru' },
  { when: 'there are no tags and the referrer is another site', query: '?page=2', referrerHost: 'yandex.ru', then: 'the key is ref: with the host', expected: 'ref:yandex.ru' },
  { when: 'there are no tags and no external referrer', query: '', then: 'the key is empty (direct or internal)', expected: '' },
  { when: 'roistat is the only parameter', query: '?roistat=seo_google', then: 'it travels in the landing but names no source here', expected: '' },
];

for (const item of cases) {
  test(`when ${item.when}, then ${item.then}`, () => {
    assert.equal(sourceKey(new URLSearchParams(item.query), item.referrerHost ?? ''), item.expected);
  });
}

test('when `from` comes on a link of the site itself, then it names no source (sites tag their own links with it)', () => {
  assert.equal(sourceKey(new URLSearchParams('?from=header'), '', true), '');
  assert.equal(sourceKey(new URLSearchParams('?from=yandex.direct'), '', false), 'param:from=');
  assert.equal(sourceKey(new URLSearchParams('?gclid=x&from=header'), '', true), 'param:gclid=');
});

test('when the campaign is very long, then the key is cut so that the _lfs cookie stays small', () => {
  const key = sourceKey(new URLSearchParams(`?utm_source=a&utm_campaign=${'c'.repeat(5000)}`), '');
  assert.equal(key.length, MAX_SOURCE_KEY_LENGTH);
  assert.ok(key.startsWith('utm:a||ccc'));
});
