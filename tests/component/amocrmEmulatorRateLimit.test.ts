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
