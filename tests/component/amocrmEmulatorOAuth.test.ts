import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';

const oauthProblemBase = {
  title: 'Некорректный запрос',
  type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
  detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
};

interface TokenBody {
  token_type: string;
  expires_in: number;
  server_time: number;
  access_token: string;
  refresh_token: string;
}

describe('amoCRM emulator OAuth (amocrm.md 1.4, 1.5)', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let emulator: AmocrmEmulator;
  let acme: EmulatedAccount;

  before(async () => {
    emulator = await startAmocrmEmulator({ clock });
    acme = emulator.setupAccount({ subdomain: 'acme', redirectUri: 'https://app.example.com/oauth/amocrm/callback' });
  });

  after(async () => {
    await emulator?.close();
  });

  function tokenRequest(fields: Record<string, string>, baseUrl = acme.baseUrl): Promise<Response> {
    return fetch(`${baseUrl}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: acme.integration.clientId,
        client_secret: acme.integration.clientSecret,
        redirect_uri: acme.integration.redirectUri,
        ...fields,
      }),
    });
  }

  async function exchange(code: string): Promise<Response> {
    return tokenRequest({ grant_type: 'authorization_code', code });
  }

  async function assertOAuthProblem(response: Response, status: number, hint: string): Promise<void> {
    assert.equal(response.status, status);
    assert.deepEqual(await response.json(), { hint, ...oauthProblemBase, status });
  }

  test('when a fresh code is exchanged, then the answer has the documented token shape', async () => {
    const response = await exchange(emulator.issueAuthorizationCode('acme', acme.integration.clientId));
    assert.equal(response.status, 200);
    const body = (await response.json()) as TokenBody;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'server_time', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 86_400);
    assert.equal(body.server_time, Math.floor(clock.now() / 1000));
    assert.match(body.refresh_token, /^def502/);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims['exp'], body.server_time + 86_400);
    assert.equal(claims['account_id'], acme.account.id);
    assert.equal(claims['api_domain'], 'api-b.amocrm.ru');
  });

  test('when the token request is form-encoded, then it is accepted too', async () => {
    const response = await fetch(`${acme.baseUrl}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: acme.integration.clientId,
        client_secret: acme.integration.clientSecret,
        grant_type: 'authorization_code',
        code: emulator.issueAuthorizationCode('acme', acme.integration.clientId),
        redirect_uri: acme.integration.redirectUri,
      }).toString(),
    });
    assert.equal(response.status, 200);
  });

  test('when a code is used twice, then the second exchange is refused as revoked', async () => {
    const code = emulator.issueAuthorizationCode('acme', acme.integration.clientId);
    assert.equal((await exchange(code)).status, 200);
    await assertOAuthProblem(await exchange(code), 400, 'Authorization code has been revoked');
  });

  test('when a code is older than 20 minutes, then it is refused as expired', async () => {
    const code = emulator.issueAuthorizationCode('acme', acme.integration.clientId);
    clock.advance(20 * 60_000);
    await assertOAuthProblem(await exchange(code), 400, 'Authorization code has expired');
  });

  test('when a code is 19 minutes old, then it is still exchanged', async () => {
    const code = emulator.issueAuthorizationCode('acme', acme.integration.clientId);
    clock.advance(19 * 60_000);
    assert.equal((await exchange(code)).status, 200);
  });

  test('when the code is garbage, then it cannot be decrypted', async () => {
    await assertOAuthProblem(await exchange('def50200nonsense'), 400, 'Cannot decrypt the authorization code');
  });

  test('when the client_id is unknown, then the client_id parameter is blamed', async () => {
    const code = emulator.issueAuthorizationCode('acme', acme.integration.clientId);
    await assertOAuthProblem(
      await tokenRequest({ grant_type: 'authorization_code', code, client_id: '00000000-0000-4000-8000-000000000000' }),
      400,
      'Check the `client_id` parameter',
    );
  });

  test('when redirect_uri differs from the stored one, then the code is refused and stays usable', async () => {
    const code = emulator.issueAuthorizationCode('acme', acme.integration.clientId);
    const wrong = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'https://evil.example.com/cb' });
    await assertOAuthProblem(wrong, 400, 'Check the `redirect_uri` parameter');
    assert.equal((await exchange(code)).status, 200);
  });

  test('when a code of one account is exchanged on another account, then it cannot be decrypted', async () => {
    emulator.setupAccount({ subdomain: 'other' });
    const code = emulator.issueAuthorizationCode('other', acme.integration.clientId);
    await assertOAuthProblem(await exchange(code), 400, 'Cannot decrypt the authorization code');
  });

  test('when a refresh token is used, then a new pair comes back and the old refresh token is spent', async () => {
    const first = (await (await exchange(emulator.issueAuthorizationCode('acme', acme.integration.clientId))).json()) as TokenBody;
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    assert.equal(refreshed.status, 200);
    const second = (await refreshed.json()) as TokenBody;
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.access_token, first.access_token);
    await assertOAuthProblem(await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.refresh_token }), 401, 'Token has been revoked');
    assert.equal((await tokenRequest({ grant_type: 'refresh_token', refresh_token: second.refresh_token })).status, 200);
  });

  test('when an unknown refresh token is sent, then it is an invalid refresh token', async () => {
    await assertOAuthProblem(await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'def50200unknown' }), 400, 'Invalid refresh token');
  });

  test('when a refresh token is older than 90 days, then it is an invalid refresh token', async () => {
    const tokens = emulator.issueTokens('acme', acme.integration.clientId);
    clock.advance(90 * 86_400_000);
    await assertOAuthProblem(await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }), 400, 'Invalid refresh token');
  });

  test('when an access token is 24 hours old, then the API answers 401 problem+json', async () => {
    const tokens = emulator.issueTokens('acme', acme.integration.clientId);
    const call = () => fetch(`${acme.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    clock.advance(86_399_000);
    assert.equal((await call()).status, 200);
    clock.advance(1000);
    const expired = await call();
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(await expired.json(), { title: 'Unauthorized', type: 'https://httpstatus.es/401', status: 401, detail: 'Access token has expired' });
  });

  test('when a refresh happens, then by default the previous access token keeps working until it expires', async () => {
    const tokens = emulator.issueTokens('acme', acme.integration.clientId);
    assert.equal((await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 200);
    const response = await fetch(`${acme.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(response.status, 200);
  });

  test('when the grant_type is unsupported, then the grant_type parameter is blamed', async () => {
    await assertOAuthProblem(await tokenRequest({ grant_type: 'password' }), 400, 'Check the `grant_type` parameter');
  });

  test('when the client_secret is wrong, then the client is not authenticated', async () => {
    const code = emulator.issueAuthorizationCode('acme', acme.integration.clientId);
    await assertOAuthProblem(await tokenRequest({ grant_type: 'authorization_code', code, client_secret: 'wrong' }), 401, 'Client authentication failed');
  });
});

describe('amoCRM emulator with refreshRevokesPreviousAccessToken', () => {
  test('when a refresh happens, then the previous access token answers 401', async () => {
    const emulator = await startAmocrmEmulator({ clock: createManualClock(), refreshRevokesPreviousAccessToken: true });
    try {
      const acme = emulator.setupAccount({ subdomain: 'acme' });
      const tokens = emulator.issueTokens('acme', acme.integration.clientId);
      const refreshed = await fetch(`${acme.baseUrl}/oauth2/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: acme.integration.clientId,
          client_secret: acme.integration.clientSecret,
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          redirect_uri: acme.integration.redirectUri,
        }),
      });
      assert.equal(refreshed.status, 200);
      const response = await fetch(`${acme.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(response.status, 401);
    } finally {
      await emulator.close();
    }
  });
});
