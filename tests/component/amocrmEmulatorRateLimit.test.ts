import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../integrations/amocrm/emulator/clock.js';
import { startAmocrmEmulator, type AmocrmEmulator } from '../../integrations/amocrm/emulator/server.js';

async function withEmulator(run: (emulator: AmocrmEmulator, clock: ReturnType<typeof createManualClock>) => Promise<void>): Promise<void> {
  const clock = createManualClock();
  const emulator = await startAmocrmEmulator({ clock });
  try {
    await run(emulator, clock);
  } finally {
    await emulator.close();
  }
}

function accountCaller(emulator: AmocrmEmulator, subdomain: string): () => Promise<Response> {
  const { integration, baseUrl } = emulator.setupAccount({ subdomain });
  const { access_token: token } = emulator.issueTokens(subdomain, integration.clientId);
  return () => fetch(`${baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } });
}

test('when 8 requests arrive within one second, then the 8th answers 429 in HTML without Retry-After', async () => {
  await withEmulator(async (emulator) => {
    const call = accountCaller(emulator, 'acme');
    for (let index = 0; index < 7; index += 1) assert.equal((await call()).status, 200);
    const limited = await call();
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(limited.headers.get('retry-after'), null);
    assert.match(await limited.text(), /429 Too Many Requests/);
    assert.equal(emulator.state.rateLimit.violations, 1);
  });
});

test('when a second has passed since the first request, then the window admits a new one', async () => {
  await withEmulator(async (emulator, clock) => {
    const call = accountCaller(emulator, 'acme');
    for (let index = 0; index < 7; index += 1) {
      assert.equal((await call()).status, 200);
      clock.advance(100);
    }
    clock.advance(300);
    assert.equal((await call()).status, 200);
    assert.equal(emulator.state.rateLimit.violations, 0);
  });
});

test('when requests stay at 7 per second for a minute, then no violation is counted', async () => {
  await withEmulator(async (emulator, clock) => {
    const call = accountCaller(emulator, 'acme');
    for (let second = 0; second < 60; second += 1) {
      for (let index = 0; index < 7; index += 1) assert.equal((await call()).status, 200);
      clock.advance(1000);
    }
    assert.equal(emulator.state.rateLimit.violations, 0);
  });
});

test('when two integrations each send 7 requests in the same second, then neither is limited', async () => {
  await withEmulator(async (emulator) => {
    const first = accountCaller(emulator, 'acme');
    const second = accountCaller(emulator, 'globex');
    for (let index = 0; index < 7; index += 1) {
      assert.equal((await first()).status, 200);
      assert.equal((await second()).status, 200);
    }
  });
});

test('when violations go on, then the integration is blocked with a 403 HTML page until the block expires', async () => {
  await withEmulator(async (emulator, clock) => {
    const call = accountCaller(emulator, 'acme');
    const { violationsToBlock, blockDurationMs } = emulator.options.rateLimit;
    for (let index = 0; index < 7; index += 1) await call();
    for (let index = 0; index < violationsToBlock; index += 1) assert.equal((await call()).status, 429);
    clock.advance(5000);
    const blocked = await call();
    assert.equal(blocked.status, 403);
    assert.match(await blocked.text(), /403 Forbidden/);
    assert.equal(emulator.state.rateLimit.blockedRequests, 1);
    clock.advance(blockDurationMs);
    assert.equal((await call()).status, 200);
  });
});

test('when a blocked integration is unblocked, then it is served again at once', async () => {
  await withEmulator(async (emulator, clock) => {
    const { integration, baseUrl } = emulator.setupAccount({ subdomain: 'acme' });
    const { access_token: token } = emulator.issueTokens('acme', integration.clientId);
    const call = () => fetch(`${baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } });
    for (let index = 0; index < 7 + emulator.options.rateLimit.violationsToBlock; index += 1) await call();
    clock.advance(2000);
    assert.equal((await call()).status, 403);
    emulator.unblock(integration.clientId);
    assert.equal((await call()).status, 200);
  });
});

test('when the block thresholds are configured, then they apply', async () => {
  const clock = createManualClock();
  const emulator = await startAmocrmEmulator({ clock, rateLimit: { violationsToBlock: 2, blockDurationMs: 10_000 } });
  try {
    const call = accountCaller(emulator, 'acme');
    for (let index = 0; index < 7; index += 1) await call();
    assert.equal((await call()).status, 429);
    assert.equal((await call()).status, 429);
    clock.advance(1000);
    assert.equal((await call()).status, 403);
    clock.advance(10_000);
    assert.equal((await call()).status, 200);
  } finally {
    await emulator.close();
  }
});

/** amocrm.md 3.3 / checklist 32: "per what" is [UNCONFIRMED], so the key is an option, and the 50 rps account cap is optional. */
test('when the limit is keyed by IP, then two integrations calling from one address share the 7 requests', async () => {
  const clock = createManualClock();
  const emulator = await startAmocrmEmulator({ clock, rateLimit: { keyBy: 'ip' } });
  try {
    const first = accountCaller(emulator, 'acme');
    const second = accountCaller(emulator, 'globex');
    for (let index = 0; index < 4; index += 1) assert.equal((await first()).status, 200);
    for (let index = 0; index < 3; index += 1) assert.equal((await second()).status, 200);
    assert.equal((await second()).status, 429);
    emulator.unblock('127.0.0.1');
  } finally {
    await emulator.close();
  }
});

test('when the limit is keyed by token, then two tokens of one integration each get 7 requests', async () => {
  const clock = createManualClock();
  const emulator = await startAmocrmEmulator({ clock, rateLimit: { keyBy: 'token' } });
  try {
    const { integration, baseUrl } = emulator.setupAccount({ subdomain: 'acme' });
    const tokens = [emulator.issueTokens('acme', integration.clientId).access_token, emulator.issueTokens('acme', integration.clientId).access_token];
    for (const token of tokens) {
      for (let index = 0; index < 7; index += 1) assert.equal((await fetch(`${baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    }
    assert.equal((await fetch(`${baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${tokens[0]}` } })).status, 429);
  } finally {
    await emulator.close();
  }
});

test('when the account-wide cap is on, then integrations of one account together stop at it while each stays under 7', async () => {
  const clock = createManualClock();
  const emulator = await startAmocrmEmulator({ clock, rateLimit: { accountRequestsPerWindow: 10 } });
  try {
    const acme = emulator.setupAccount({ subdomain: 'acme' });
    const second = emulator.setupAccount({ subdomain: 'other' });
    const [callFirst, callSecond] = [acme.integration.clientId, second.integration.clientId].map((clientId) => {
      const { access_token: token } = emulator.issueTokens('acme', clientId);
      return () => fetch(`${acme.baseUrl}/api/v4/account`, { headers: { authorization: `Bearer ${token}` } });
    });
    assert.ok(callFirst && callSecond);
    for (let index = 0; index < 5; index += 1) {
      assert.equal((await callFirst()).status, 200);
      assert.equal((await callSecond()).status, 200);
    }
    assert.equal((await callFirst()).status, 429, 'the 11th request of the account');
    const elsewhere = accountCaller(emulator, 'third');
    assert.equal((await elsewhere()).status, 200, 'other accounts have their own cap');
  } finally {
    await emulator.close();
  }
});
