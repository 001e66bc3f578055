import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal } from '../../integrations/bitrix24/emulator/server.js';
import type { App } from '../../integrations/bitrix24/emulator/state.js';
import { restCall } from '../support/bitrix24.js';

describe('Bitrix24 emulator OAuth and auth (bitrix24.md 1.6, 1.7, 1.8)', () => {
  const clock = createManualClock(Date.UTC(2026, 4, 14, 8, 0, 0));
  let emulator: Bitrix24Emulator;
  let acme: EmulatedPortal;
  let app: App;

  before(async () => {
    emulator = await startBitrix24Emulator({ clock });
    acme = emulator.setupPortal({ name: 'acme' });
    emulator.setupPortal({ name: 'other' });
    app = emulator.createApp('acme', { installUrl: 'https://app.example.com/bitrix24/install', redirectUri: 'https://app.example.com/bitrix24/oauth' });
  });

  after(async () => {
    await emulator?.close();
  });

  async function token(params: Record<string, string>, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: Record<string, unknown> }> {
    const query = new URLSearchParams({ client_id: app.clientId, client_secret: app.clientSecret, ...params });
    const response =
      method === 'GET'
        ? await fetch(`${emulator.url}/oauth/token/?${query.toString()}`)
        : await fetch(`${emulator.url}/oauth/token/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: query.toString() });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  test('when a code is exchanged by GET, then the answer has every documented field and a 1-hour token', async () => {
    // §1.6 and checklist 20: access_token, expires, expires_in, scope, domain, server_endpoint, status, client_endpoint, member_id, user_id, refresh_token
    const answer = await token({ grant_type: 'authorization_code', code: emulator.issueAuthorizationCode('acme', app.clientId) });
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.body), ['access_token', 'expires', 'expires_in', 'scope', 'domain', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'user_id', 'refresh_token']);
    assert.equal(answer.body['expires_in'], 3600);
    assert.equal(answer.body['expires'], Math.floor(clock.now() / 1000) + 3600);
    assert.equal(answer.body['domain'], 'oauth.bitrix.info');
    assert.equal(answer.body['scope'], 'app');
    assert.equal(answer.body['status'], 'L');
    assert.equal(answer.body['member_id'], acme.portal.memberId);
    assert.equal(answer.body['client_endpoint'], acme.restUrl);
    assert.equal(answer.body['server_endpoint'], `${emulator.url}/rest/`);
    assert.equal(answer.body['user_id'], 1);
  });

  test('when a code is used twice or after 30 seconds, then invalid_grant', async () => {
    // §1.6: the code lives 30 s and is single-use.
    const code = emulator.issueAuthorizationCode('acme', app.clientId);
    assert.equal((await token({ grant_type: 'authorization_code', code })).status, 200);
    const reused = await token({ grant_type: 'authorization_code', code });
    assert.equal(reused.status, 400);
    assert.equal(reused.body['error'], 'invalid_grant');
    const late = emulator.issueAuthorizationCode('acme', app.clientId);
    clock.advance(29_999);
    const stillFresh = emulator.issueAuthorizationCode('acme', app.clientId);
    clock.advance(1);
    assert.equal((await token({ grant_type: 'authorization_code', code: late })).body['error'], 'invalid_grant');
    assert.equal((await token({ grant_type: 'authorization_code', code: stillFresh })).status, 200);
  });

  test('when the secret is wrong or the grant unknown, then invalid_client / invalid_request', async () => {
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: 'x', client_secret: 'nope' })).body['error'], 'invalid_client');
    assert.equal((await token({ grant_type: 'password' })).body['error'], 'invalid_request');
  });

  test('when a refresh token is used (POST form, as the JS SDK does), then the pair rotates and the old pair dies', async () => {
    // §1.6: each refresh returns a new pair; the used refresh token and its access token become invalid.
    const first = emulator.issueTokens('acme', app.clientId);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, 'POST');
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body['refresh_token'], first.refresh_token);
    assert.notEqual(refreshed.body['access_token'], first.access_token);
    assert.equal(refreshed.body['expires'], Math.floor(clock.now() / 1000) + 3600);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).body['error'], 'invalid_grant');
    const oldAccess = await restCall(acme.restUrl, 'user.current', { auth: first.access_token });
    assert.equal(oldAccess.status, 401);
    assert.equal(oldAccess.body['error'], 'invalid_token');
    const newAccess = await restCall(acme.restUrl, 'user.current', { auth: refreshed.body['access_token'] });
    assert.equal(newAccess.status, 200);
  });

  test('when an access token is 3600 s old, then 401 expired_token with the exact text; at 3599 s it works', async () => {
    // §1.7 and checklist 13, 84.
    const tokens = emulator.issueTokens('acme', app.clientId);
    clock.advance(3_599_000);
    assert.equal((await restCall(acme.restUrl, 'user.current', { auth: tokens.access_token })).status, 200);
    clock.advance(1000);
    const expired = await restCall(acme.restUrl, 'user.current', { auth: tokens.access_token });
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.body, { error: 'expired_token', error_description: 'The access token provided has expired' });
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refreshed.status, 200);
  });

  test('when a refresh token is older than 180 days, then it is refused', async () => {
    // §1.6, checklist 22: refresh-token lifetime 180 days by default.
    const tokens = emulator.issueTokens('acme', app.clientId);
    clock.advance(180 * 86_400_000);
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body['error'], 'invalid_grant');
  });

  test('when the token is missing, garbage, or from another portal, then NO_AUTH_FOUND or invalid_token', async () => {
    // §1.7
    const missing = await restCall(acme.restUrl, 'crm.deal.list');
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.body, { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
    const garbage = await restCall(acme.restUrl, 'crm.deal.list', { auth: 'garbage' });
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body['error'], 'invalid_token');
    assert.equal(garbage.body['time'], undefined);
    const tokens = emulator.issueTokens('acme', app.clientId);
    const elsewhere = await restCall(`${emulator.url}/_portals/other/rest/`, 'crm.deal.list', { auth: tokens.access_token });
    assert.equal(elsewhere.body['error'], 'invalid_token');
  });

  test('when the token comes as access_token, a Bearer header, or on the OAuth host root, then it is accepted', async () => {
    const tokens = emulator.issueTokens('acme', app.clientId);
    assert.equal((await restCall(acme.restUrl, 'user.current', { access_token: tokens.access_token })).status, 200);
    const bearer = await fetch(`${acme.restUrl}user.current`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(bearer.status, 200);
    // §1.6: oauth.bitrix.info/rest/app.info?auth=... and §6.6: the SDK's `/rest//method`.
    const info = await fetch(`${emulator.url}/rest/app.info?auth=${tokens.access_token}`);
    assert.equal(((await info.json()) as { result: { CODE: string } }).result.CODE, app.code);
    assert.equal((await fetch(`${acme.restUrl}/user.current.json?auth=${tokens.access_token}`)).status, 200);
  });

  test('when the method is unknown and the token bad, then 404 comes before 401', async () => {
    // §4.3: method exists -> auth -> operating limit.
    const answer = await restCall(acme.restUrl, 'crm.nothing.here', { auth: 'garbage' });
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
  });

  test('when a scope is missing, then 401 insufficient_scope with the token text', async () => {
    const narrow = emulator.createApp('acme', { installUrl: 'https://app.example.com/i', scopes: ['user'] });
    const tokens = emulator.issueTokens('acme', narrow.clientId);
    const answer = await restCall(acme.restUrl, 'crm.deal.list', { auth: tokens.access_token });
    assert.equal(answer.status, 401);
    assert.deepEqual(answer.body, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token' });
  });

  test('when /oauth/authorize/ is opened, then it redirects to the app with code, state, domain, member_id, scope, server_domain', async () => {
    // §1.6 step 2, checklist 23.
    const response = await fetch(`${acme.baseUrl}/oauth/authorize/?client_id=${app.clientId}&state=xyz`, { redirect: 'manual' });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, 'https://app.example.com/bitrix24/oauth');
    assert.deepEqual([...location.searchParams.keys()], ['code', 'state', 'domain', 'member_id', 'scope', 'server_domain']);
    assert.equal(location.searchParams.get('state'), 'xyz');
    assert.equal(location.searchParams.get('domain'), 'acme.bitrix24.com');
    assert.equal(location.searchParams.get('server_domain'), 'oauth.bitrix.info');
    assert.equal((await token({ grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '' })).status, 200);
  });

  test('when an inbound webhook calls, then it works by secret; a bad secret is INVALID_CREDENTIALS and app methods WRONG_AUTH_TYPE', async () => {
    // §1.8
    const hook = emulator.createInboundWebhook('acme', { scopes: ['crm'] });
    assert.match(hook, /\/rest\/1\/[0-9a-f]{16}\/$/);
    assert.equal((await restCall(hook, 'crm.deal.list.json')).status, 200);
    const bad = await restCall(hook.replace(/\/1\/[0-9a-f]+\//, '/1/wrongsecret/'), 'crm.deal.list');
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
    const bind = await restCall(hook, 'event.bind', { event: 'ONCRMDEALADD', handler: 'https://app.example.com/h' });
    assert.equal(bind.status, 403);
    assert.equal(bind.body['error'], 'WRONG_AUTH_TYPE');
    const scope = await restCall(hook, 'placement.list');
    assert.equal(scope.body['error'], 'WRONG_AUTH_TYPE');
  });

  test('when a portal is addressed by its Host header, then it answers like the prefix', async () => {
    const tokens = emulator.issueTokens('acme', app.clientId);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = request(`${emulator.url}/rest/user.current?auth=${tokens.access_token}`, { headers: { host: 'acme.bitrix24.com' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    assert.equal(status, 200);
  });
});
