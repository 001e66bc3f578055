/** The two checks of amoCRM's install routes that decide what is trusted: `referer` and the disable hook's signature. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { installAccount, verifyUninstallSignature } from '../../../integrations/amocrm/installRoutes.js';

const base = 'http://127.0.0.1:9100/_accounts/{subdomain}';

const withoutBaseUrl: Array<[string, { subdomain: string; host: string } | undefined]> = [
  ['acme.amocrm.ru', { subdomain: 'acme', host: 'acme.amocrm.ru' }],
  ['acme.kommo.com', { subdomain: 'acme', host: 'acme.kommo.com' }],
  ['evil.example.com', undefined],
  ['127.0.0.1:9100', undefined],
  ['acme.amocrm.ru.evil.com', undefined],
  ['www.amocrm.ru', undefined],
  ['staging.local', undefined],
];
for (const [referer, want] of withoutBaseUrl) {
  test(`when AMOCRM_BASE_URL is unset and referer is ${referer}, then it ${want ? `names ${want.host}` : 'is refused'}`, () => {
    assert.deepEqual(installAccount(referer, undefined), want);
  });
}

const withBaseUrl: Array<[string, { subdomain: string; host: string } | undefined]> = [
  ['acme.amocrm.ru', { subdomain: 'acme', host: 'acme.amocrm.ru' }],
  // Calls go to the base URL whatever the referer says; it only names the account.
  ['staging.local', { subdomain: 'staging', host: 'staging.local' }],
  ['Acme-2', { subdomain: 'acme-2', host: 'acme-2' }],
  ['127.0.0.1:9100', undefined],
  ['evil.example/path', undefined],
  ['', undefined],
  ['-acme.example', undefined],
];
for (const [referer, want] of withBaseUrl) {
  test(`when AMOCRM_BASE_URL is set and referer is ${JSON.stringify(referer)}, then it ${want ? `names ${want.host}` : 'is refused'}`, () => {
    assert.deepEqual(installAccount(referer, base), want);
  });
}

const secret = 'a'.repeat(64);
const clientId = 'c619beb0-3934-4354-8b73-515ce57573ee';
const signed = (key: string, id: string, account: string) => createHmac('sha256', key).update(`${id}|${account}`).digest('hex');

test('when the disable hook is signed with our secret for this account, then it is accepted, in either hex case', () => {
  const signature = signed(secret, clientId, '32427762');
  assert.equal(verifyUninstallSignature(secret, clientId, '32427762', signature), true);
  assert.equal(verifyUninstallSignature(secret, clientId, '32427762', signature.toUpperCase()), true);
});

const badSignatures: Array<[string, string]> = [
  ['another secret', signed('b'.repeat(64), clientId, '32427762')],
  ['another account', signed(secret, clientId, '32427763')],
  ['another integration', signed(secret, '00000000-0000-0000-0000-000000000000', '32427762')],
  ['half of it', signed(secret, clientId, '32427762').slice(0, 32)],
  ['the right one with junk after it', `${signed(secret, clientId, '32427762')}zz`],
  ['the right one with one more digit', `${signed(secret, clientId, '32427762')}0`],
  ['not hex', 'z'.repeat(64)],
  ['nothing', ''],
];
for (const [why, signature] of badSignatures) {
  test(`when the disable hook's signature is ${why}, then it is refused`, () => {
    assert.equal(verifyUninstallSignature(secret, clientId, '32427762', signature), false);
  });
}
