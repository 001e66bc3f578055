/** Our amoCRM OAuth client against the emulator: install, refresh with rotation, and its failures. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CrmError } from '../../integrations/crmError.js';
import { AmocrmOAuthClient } from '../../integrations/amocrm/oauthClient.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';

let emulator: AmocrmEmulator;
let installed: EmulatedAccount;
let client: AmocrmOAuthClient;
const statuses: Array<number | undefined> = [];

before(async () => {
  emulator = await startAmocrmEmulator();
  installed = emulator.setupAccount({ subdomain: 'oauthclient', redirectUri: 'https://lf.example.com/oauth/amocrm/callback' });
  client = new AmocrmOAuthClient({
    baseUrl: installed.baseUrl,
    clientId: installed.integration.clientId,
    clientSecret: installed.integration.clientSecret,
    redirectUri: installed.integration.redirectUri,
    onResponse: (status) => statuses.push(status),
  });
});

after(async () => {
  await emulator?.close();
});

async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CrmError, String(error));
    return error.failure.code;
  }
  assert.fail('expected a CrmError');
}

test('when a code is exchanged and the refresh token then rotated, then each pair works once', async () => {
  const code = emulator.issueAuthorizationCode('oauthclient', installed.integration.clientId);
  const first = await client.exchangeCode(code);
  assert.ok(first.expiresAt.getTime() > Date.now() + 23 * 3600_000);
  const account = await fetch(`${installed.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${first.accessToken}` } });
  assert.equal(account.status, 200);

  const second = await client.refresh(first.refreshToken);
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.equal(await failureCode(client.refresh(first.refreshToken)), 'AUTH_REVOKED', 'a spent refresh token needs a re-install');
  assert.equal(await failureCode(client.exchangeCode(code)), 'AUTH_REVOKED', 'a code works once');
  assert.deepEqual(statuses.slice(-2), [401, 400]);
});

test('when the client secret is wrong, then the failure points at our configuration and names no secret', async () => {
  const wrong = new AmocrmOAuthClient({
    baseUrl: installed.baseUrl,
    clientId: installed.integration.clientId,
    clientSecret: 'not-the-secret',
    redirectUri: installed.integration.redirectUri,
  });
  const code = emulator.issueAuthorizationCode('oauthclient', installed.integration.clientId);
  try {
    await wrong.exchangeCode(code);
    assert.fail('expected a CrmError');
  } catch (error) {
    assert.ok(error instanceof CrmError);
    assert.equal(error.failure.code, 'FORBIDDEN');
    assert.match(error.message, /check AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET/);
    assert.doesNotMatch(error.message, /not-the-secret/);
  }
});

test('when nothing answers, then the failure is TEMPORARY', async () => {
  const unreachable = new AmocrmOAuthClient({ baseUrl: 'http://127.0.0.1:1', clientId: 'x', clientSecret: 'y', redirectUri: 'https://lf.example.com/cb', timeoutMs: 1_000 });
  assert.equal(await failureCode(unreachable.refresh('whatever')), 'TEMPORARY');
});
