import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator, type EmulatedAccount } from '../../integrations/amocrm/emulator/server.js';
import { startReceiver } from '../support/webhookReceiver.js';

function tokenRequest(account: EmulatedAccount, fields: Record<string, string>): Promise<Response> {
  return fetch(`${account.baseUrl}/oauth2/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: account.integration.clientId, client_secret: account.integration.clientSecret, redirect_uri: account.integration.redirectUri, ...fields }),
  });
}

function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { headers: { host } }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (body += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('amoCRM emulator consent page (amocrm.md 1.2, 1.3, checklist 2)', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let emulator: AmocrmEmulator;
  let acme: EmulatedAccount;

  before(async () => {
    emulator = await startAmocrmEmulator({ clock });
    acme = emulator.setupAccount({ subdomain: 'acme', redirectUri: 'https://app.example.com/amo/callback' });
    emulator.setupAccount({ subdomain: 'globex', platform: 'kommo' });
  });
  after(async () => emulator.close());

  test('when a user grants access on the consent page, then the browser goes to the stored Redirect URI with code, state, referer, platform and client_id, and the code works', async () => {
    const page = await fetch(`${emulator.url}/_www/oauth?client_id=${acme.integration.clientId}&state=18a261e7&mode=post_message&redirect_uri=https://evil.example.com/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const link = /href="([^"]*account=acme[^"]*)"/.exec(html)?.[1]?.replace(/&#38;/g, '&');
    assert.ok(link, html);
    const grant = await fetch(`${emulator.url}${link}`, { redirect: 'manual' });
    assert.equal(grant.status, 302);
    const location = new URL(grant.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, 'https://app.example.com/amo/callback', 'a redirect_uri parameter is ignored');
    assert.deepEqual([...location.searchParams.keys()], ['code', 'state', 'referer', 'platform', 'client_id']);
    assert.match(location.searchParams.get('code') ?? '', /^def502/);
    assert.equal(location.searchParams.get('state'), '18a261e7');
    assert.equal(location.searchParams.get('referer'), 'acme.amocrm.ru');
    assert.equal(location.searchParams.get('platform'), '1');
    assert.equal(location.searchParams.get('client_id'), acme.integration.clientId);
    const exchanged = await tokenRequest(acme, { grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '' });
    assert.equal(exchanged.status, 200);
  });

  test('when a Kommo account is picked, then referer is its kommo.com host and platform is 2', async () => {
    const grant = await fetch(`${emulator.url}/_www/oauth/grant?client_id=${acme.integration.clientId}&account=globex`, { redirect: 'manual' });
    const location = new URL(grant.headers.get('location') ?? '');
    assert.equal(location.searchParams.get('referer'), 'globex.kommo.com');
    assert.equal(location.searchParams.get('platform'), '2');
    assert.equal(location.searchParams.has('state'), false);
  });

  test('when the consent page is reached on the www host, then it renders, while /api/v4 there stays 404', async () => {
    const page = await getWithHost(`${emulator.url}/oauth?client_id=${acme.integration.clientId}`, 'www.amocrm.ru');
    assert.equal(page.status, 200);
    assert.match(page.body, /acme\.amocrm\.ru/);
    assert.equal((await getWithHost(`${emulator.url}/api/v4/account`, 'www.amocrm.ru')).status, 404);
  });

  test('when client_id is unknown, then the consent page refuses it', async () => {
    assert.equal((await fetch(`${emulator.url}/_www/oauth?client_id=nope`)).status, 400);
  });
});

describe('amoCRM emulator widget install, uninstall and long-lived tokens (amocrm.md 1.3, 1.6, 1.8)', () => {
  const clock = createManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let emulator: AmocrmEmulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    emulator = await startAmocrmEmulator({ clock, widgetInstallTimeoutMs: 200 });
    receiver = await startReceiver();
  });
  after(async () => {
    await emulator.close();
    await receiver.close();
  });

  test('when a widget is installed, then one GET reaches the Redirect URI with code, referer, platform, client_id and from_widget=1, and a failing answer is not re-sent (checklist 3)', async () => {
    const shop = emulator.setupAccount({ subdomain: 'shop', redirectUri: `${receiver.url}?site=1` });
    receiver.received.length = 0;
    receiver.statuses.push(500);
    const outcome = await emulator.installWidget('shop', shop.integration.clientId);
    assert.equal(outcome.status, 500);
    assert.equal(receiver.received.length, 1);
    const hit = receiver.received[0];
    assert.equal(hit?.method, 'GET');
    const params = new URL(hit?.url ?? '', 'http://x').searchParams;
    assert.deepEqual([...params.keys()], ['site', 'code', 'referer', 'platform', 'client_id', 'from_widget']);
    assert.equal(params.get('referer'), 'shop.amocrm.ru');
    assert.equal(params.get('from_widget'), '1');
    clock.advance(60 * 60_000);
    emulator.webhooks.runDue();
    await emulator.webhooks.settle();
    assert.equal(receiver.received.length, 1, 'never re-sent');
    const late = await tokenRequest(shop, { grant_type: 'authorization_code', code: params.get('code') ?? '' });
    assert.equal(late.status, 400, 'the code lives 20 minutes');
  });

  test('when the Redirect URI answers slower than the budget, then the install GET times out', async () => {
    const shop = emulator.setupAccount({ subdomain: 'slow', redirectUri: receiver.url });
    receiver.delayMs = 1_000;
    try {
      assert.equal((await emulator.installWidget('slow', shop.integration.clientId)).status, 'timeout');
    } finally {
      receiver.delayMs = 0;
    }
  });

  test('when the integration is uninstalled, then the disable hook gets account_id, client_uuid and the HMAC signature, and every token is dead (checklist 11)', async () => {
    const hooked = emulator.setupAccount({ subdomain: 'hooked', disableHookUrl: `${receiver.url}/disabled` });
    const tokens = emulator.issueTokens('hooked', hooked.integration.clientId);
    const longLived = emulator.issueLongLivedToken('hooked', hooked.integration.clientId, 30 * 86_400_000);
    receiver.received.length = 0;
    const outcome = await emulator.uninstall('hooked', hooked.integration.clientId);
    assert.equal(outcome?.status, 200);
    const hit = receiver.received[0];
    assert.equal(hit?.method, 'GET');
    const url = new URL(hit?.url ?? '', 'http://x');
    assert.equal(url.pathname, '/hook/disabled');
    assert.equal(url.searchParams.get('account_id'), String(hooked.account.id));
    assert.equal(url.searchParams.get('client_uuid'), hooked.integration.clientId);
    const expected = createHmac('sha256', hooked.integration.clientSecret).update(`${hooked.integration.clientId}|${hooked.account.id}`).digest('hex');
    assert.equal(url.searchParams.get('signature'), expected);
    for (const token of [tokens.access_token, longLived]) {
      assert.equal((await fetch(`${hooked.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
    }
    const refresh = await tokenRequest(hooked, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refresh.status, 401);
    assert.equal(((await refresh.json()) as { hint: string }).hint, 'Token has been revoked');
  });

  test('when an integration without a disable hook is uninstalled, then nothing is sent and its tokens still die', async () => {
    const plain = emulator.setupAccount({ subdomain: 'plain' });
    const tokens = emulator.issueTokens('plain', plain.integration.clientId);
    assert.equal(await emulator.uninstall('plain', plain.integration.clientId), null);
    assert.equal((await fetch(`${plain.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 401);
  });

  test('when a long-lived token is used, then it works until its chosen exp, answers 401 after it or after revocation, and lifetimes outside 1 day-5 years are refused (checklist 10)', async () => {
    const own = emulator.setupAccount({ subdomain: 'private' });
    const call = (token: string) => fetch(`${own.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } });
    const token = emulator.issueLongLivedToken('private', own.integration.clientId, 2 * 86_400_000);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number; account_id: number };
    assert.equal(claims.exp, Math.floor(clock.now() / 1000) + 2 * 86_400);
    assert.equal(claims.account_id, own.account.id);
    assert.equal((await call(token)).status, 200);
    clock.advance(2 * 86_400_000 - 1000);
    assert.equal((await call(token)).status, 200);
    clock.advance(1000);
    assert.equal((await call(token)).status, 401);
    const revoked = emulator.issueLongLivedToken('private', own.integration.clientId, 365 * 86_400_000);
    emulator.revokeToken(revoked);
    assert.equal((await call(revoked)).status, 401);
    assert.throws(() => emulator.issueLongLivedToken('private', own.integration.clientId, 3_600_000), RangeError);
    assert.throws(() => emulator.issueLongLivedToken('private', own.integration.clientId, 6 * 365 * 86_400_000), RangeError);
  });
});
