import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errors, jwtVerify, decodeProtectedHeader } from 'jose';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';

const secretKey = (secret: string) => new TextEncoder().encode(secret);

/**
 * amocrm.md 5.6 "Calling the backend from the widget: disposable token (X-Auth-Token)" and
 * checklist 35: HS256, key = client_secret, claims iss, aud, jti, iat, nbf, exp (+1800 s),
 * account_id, user_id, client_uuid, subdomain, is_admin.
 */
describe('amoCRM emulator widget disposable token (amocrm.md 5.6, checklist 35)', () => {
  const startMs = Date.UTC(2026, 10, 22, 12, 0, 0);
  const clock = createManualClock(startMs);
  let emulator: AmocrmEmulator;
  let acme: EmulatedAccount;

  before(async () => {
    emulator = await startAmocrmEmulator({ clock });
    acme = emulator.setupAccount({ subdomain: 'acme', redirectUri: 'https://api.example.com:8443/oauth/amocrm/callback?x=1' });
  });
  after(async () => emulator.close());

  test('when a token is issued, then it is HS256, verifies with the client secret and carries exactly the claims of 5.6', async () => {
    const token = await emulator.issueDisposableToken('acme', acme.integration.clientId);
    assert.equal(decodeProtectedHeader(token).alg, 'HS256');
    const { payload } = await jwtVerify(token, secretKey(acme.integration.clientSecret), {
      algorithms: ['HS256'],
      audience: 'https://api.example.com:8443',
      issuer: 'https://acme.amocrm.ru',
      currentDate: new Date(clock.now()),
    });
    const issuedAt = Math.floor(startMs / 1000);
    const { jti, ...rest } = payload;
    assert.match(String(jti), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(rest, {
      iss: 'https://acme.amocrm.ru',
      aud: 'https://api.example.com:8443',
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + 1800,
      account_id: acme.account.id,
      user_id: acme.account.currentUserId,
      client_uuid: acme.integration.clientId,
      subdomain: 'acme',
      is_admin: true,
    });
  });

  test('when the token is checked with another secret, then the signature fails', async () => {
    const token = await emulator.issueDisposableToken('acme', acme.integration.clientId);
    await assert.rejects(
      jwtVerify(token, secretKey('a'.repeat(64)), { algorithms: ['HS256'], currentDate: new Date(clock.now()) }),
      errors.JWSSignatureVerificationFailed,
    );
  });

  test('when two tokens are issued, then their jti differ (each one is disposable)', async () => {
    const first = await emulator.issueDisposableToken('acme', acme.integration.clientId);
    const second = await emulator.issueDisposableToken('acme', acme.integration.clientId);
    const key = secretKey(acme.integration.clientSecret);
    const now = new Date(clock.now());
    assert.notEqual((await jwtVerify(first, key, { currentDate: now })).payload.jti, (await jwtVerify(second, key, { currentDate: now })).payload.jti);
  });

  test('when the emulator clock moves past 30 minutes, then exp refuses the token; before iat, nbf refuses it', async () => {
    const token = await emulator.issueDisposableToken('acme', acme.integration.clientId);
    const key = secretKey(acme.integration.clientSecret);
    const issuedMs = clock.now();
    await jwtVerify(token, key, { currentDate: new Date(issuedMs + 1_799_000) });
    await assert.rejects(jwtVerify(token, key, { currentDate: new Date(issuedMs + 1_800_000) }), errors.JWTExpired);
    await assert.rejects(jwtVerify(token, key, { currentDate: new Date(issuedMs - 1000) }), errors.JWTClaimValidationFailed);
    clock.advance(10 * 60_000);
    const later = await emulator.issueDisposableToken('acme', acme.integration.clientId);
    const { payload } = await jwtVerify(later, key, { currentDate: new Date(clock.now()) });
    assert.equal(payload.iat, Math.floor(clock.now() / 1000), 'iat comes from the injected clock');
  });

  test('when a non-admin user triggers the call, then user_id is that user and is_admin is false; an inactive user gets no token', async () => {
    const managerId = emulator.addUser('acme', { name: 'Менеджер' });
    const token = await emulator.issueDisposableToken('acme', acme.integration.clientId, { userId: managerId });
    const { payload } = await jwtVerify(token, secretKey(acme.integration.clientSecret), { currentDate: new Date(clock.now()) });
    assert.equal(payload['user_id'], managerId);
    assert.equal(payload['is_admin'], false);
    const formerId = emulator.addUser('acme', { isActive: false });
    await assert.rejects(emulator.issueDisposableToken('acme', acme.integration.clientId, { userId: formerId }), /No active user/);
  });

  test('when a Kommo account issues a token, then iss is its kommo.com address', async () => {
    const global = emulator.setupAccount({ subdomain: 'globex', platform: 'kommo', redirectUri: 'https://hooks.example.org/amo' });
    const token = await emulator.issueDisposableToken('globex', global.integration.clientId);
    const { payload } = await jwtVerify(token, secretKey(global.integration.clientSecret), { audience: 'https://hooks.example.org', currentDate: new Date(clock.now()) });
    assert.equal(payload.iss, 'https://globex.kommo.com');
    assert.equal(payload['subdomain'], 'globex');
    assert.equal(payload['account_id'], global.account.id);
  });

  test('when a page fetches GET /_emulator/disposable_token, then it gets a verifiable token with CORS allowed', async () => {
    const managerId = emulator.addUser('acme');
    const response = await fetch(`${acme.baseUrl}/_emulator/disposable_token?client_id=${acme.integration.clientId}&user_id=${managerId}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const { token } = (await response.json()) as { token: string };
    const { payload } = await jwtVerify(token, secretKey(acme.integration.clientSecret), { audience: 'https://api.example.com:8443', currentDate: new Date(clock.now()) });
    assert.equal(payload['user_id'], managerId);
    assert.equal(payload['account_id'], acme.account.id);
  });

  test('when the route names an unknown integration or a user of no account, then it refuses', async () => {
    const unknown = await fetch(`${acme.baseUrl}/_emulator/disposable_token?client_id=00000000-0000-4000-8000-000000000000`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal((await fetch(`${acme.baseUrl}/_emulator/disposable_token?client_id=${acme.integration.clientId}&user_id=1`)).status, 400);
    assert.equal((await fetch(`${acme.baseUrl}/_emulator/disposable_token?client_id=${acme.integration.clientId}&user_id=abc`)).status, 400);
  });
});
