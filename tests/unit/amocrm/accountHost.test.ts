import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountBaseUrl, parseAccountHost } from '../../../integrations/amocrm/accountHost.js';

const accepted: Array<[string, string]> = [
  ['acme.amocrm.ru', 'acme'],
  ['https://Acme.amocrm.ru/', 'acme'],
  ['shop-1.amocrm.com', 'shop-1'],
  ['acme.kommo.com', 'acme'],
];

for (const [referer, subdomain] of accepted) {
  test(`when referer is ${referer}, then it names account ${subdomain}`, () => {
    assert.equal(parseAccountHost(referer)?.subdomain, subdomain);
  });
}

const refused = [
  'evil.example',
  'acme.amocrm.ru.evil.example',
  'evil.example/acme.amocrm.ru',
  'acme.amocrm.ru@evil.example',
  'a.b.amocrm.ru',
  'www.amocrm.ru',
  'amocrm.ru',
  '',
  '-acme.amocrm.ru',
];

for (const referer of refused) {
  test(`when referer is ${JSON.stringify(referer)}, then it is refused`, () => {
    assert.equal(parseAccountHost(referer), undefined);
  });
}

test('when AMOCRM_BASE_URL is set, then calls go there, else to the account host over https', () => {
  const account = parseAccountHost('acme.amocrm.ru')!;
  assert.equal(accountBaseUrl(account, undefined), 'https://acme.amocrm.ru');
  assert.equal(accountBaseUrl(account, 'http://127.0.0.1:9100/_accounts/acme'), 'http://127.0.0.1:9100/_accounts/acme');
});
