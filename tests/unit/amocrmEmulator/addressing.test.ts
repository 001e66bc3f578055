import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAccount } from '../../../integrations/amocrm/emulator/accounts.js';
import { resolveAddressing } from '../../../integrations/amocrm/emulator/addressing.js';
import { createManualClock } from '../../../integrations/amocrm/emulator/clock.js';
import { EmulatorState } from '../../../integrations/amocrm/emulator/state.js';

const state = new EmulatorState();
createAccount(state, createManualClock(0), { subdomain: 'acme' });
createAccount(state, createManualClock(0), { subdomain: 'kacc', platform: 'kommo' });
const emulatorUrl = 'http://127.0.0.1:5000';

const cases: Array<[string, string, string, string, string | undefined]> = [
  ['an amoCRM host', 'acme.amocrm.ru', '/api/v4/leads', 'account', 'http://acme.amocrm.ru'],
  ['an amoCRM host with a port', 'ACME.amocrm.ru:5000', '/api/v4/leads', 'account', 'http://acme.amocrm.ru:5000'],
  ['a Kommo host', 'kacc.kommo.com', '/api/v4/leads', 'account', 'http://kacc.kommo.com'],
  ['a Kommo account on the amoCRM domain', 'kacc.amocrm.ru', '/api/v4/leads', 'unknown', undefined],
  ['the www host', 'www.amocrm.ru', '/api/v4/leads', 'www', undefined],
  ['an unknown subdomain', 'nobody.amocrm.ru', '/api/v4/leads', 'unknown', undefined],
  ['a path prefix', '127.0.0.1:5000', '/_accounts/acme/api/v4/leads', 'account', `${emulatorUrl}/_accounts/acme`],
  ['a prefix of an unknown account', '127.0.0.1:5000', '/_accounts/nobody/api/v4/leads', 'unknown', undefined],
  ['loopback without a prefix', '127.0.0.1:5000', '/api/v4/leads', 'unknown', undefined],
];

for (const [what, host, path, kind, baseUrl] of cases) {
  test(`when a request comes with ${what}, then it is addressed as ${kind}`, () => {
    const addressing = resolveAddressing(state, emulatorUrl, host, path);
    assert.equal(addressing.kind, kind);
    assert.equal(addressing.path, '/api/v4/leads');
    assert.equal(addressing.kind === 'account' ? addressing.baseUrl : undefined, baseUrl);
  });
}
