import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../integrations/amocrm/emulator/clock.js';
import { defaultEmulatorOptions } from '../../../integrations/amocrm/emulator/options.js';
import { RateLimiter } from '../../../integrations/amocrm/emulator/rateLimiter.js';

function limiter(overrides: Partial<typeof defaultEmulatorOptions.rateLimit> = {}) {
  const clock = createManualClock(0);
  const counters = { violations: 0, blockedRequests: 0, accepted: 0 };
  return { clock, counters, limiter: new RateLimiter(clock, { ...defaultEmulatorOptions.rateLimit, ...overrides }, counters) };
}

test('when 7 requests come in the same millisecond, then all are allowed and the 8th is too many', () => {
  const { limiter: rateLimiter, counters } = limiter();
  const decisions = Array.from({ length: 8 }, () => rateLimiter.check('client'));
  assert.deepEqual(decisions, [...Array<string>(7).fill('allow'), 'too_many']);
  assert.equal(counters.violations, 1);
});

test('when requests are 999 ms apart from the first, then the window still holds the first', () => {
  const { limiter: rateLimiter, clock } = limiter({ requestsPerWindow: 1 });
  assert.equal(rateLimiter.check('client'), 'allow');
  clock.advance(999);
  assert.equal(rateLimiter.check('client'), 'too_many');
  clock.advance(1);
  assert.equal(rateLimiter.check('client'), 'allow');
});

test('when a request is refused, then it does not occupy the window', () => {
  const { limiter: rateLimiter, clock } = limiter({ requestsPerWindow: 1, violationsToBlock: 100 });
  assert.equal(rateLimiter.check('client'), 'allow');
  clock.advance(500);
  assert.equal(rateLimiter.check('client'), 'too_many');
  clock.advance(500);
  assert.equal(rateLimiter.check('client'), 'allow');
});

test('when violations are spread wider than the violation window, then no block follows', () => {
  const { limiter: rateLimiter, clock } = limiter({ requestsPerWindow: 1, violationsToBlock: 3, violationWindowMs: 10_000 });
  for (let round = 0; round < 10; round += 1) {
    rateLimiter.check('client');
    assert.equal(rateLimiter.check('client'), 'too_many');
    clock.advance(5_000);
  }
});

test('when the violation threshold is reached, then every request is blocked until the block ends', () => {
  const { limiter: rateLimiter, clock, counters } = limiter({ requestsPerWindow: 1, violationsToBlock: 2, blockDurationMs: 60_000 });
  rateLimiter.check('client');
  rateLimiter.check('client');
  rateLimiter.check('client');
  clock.advance(59_999);
  assert.equal(rateLimiter.check('client'), 'blocked');
  assert.equal(rateLimiter.check('other'), 'allow');
  clock.advance(1);
  assert.equal(rateLimiter.check('client'), 'allow');
  assert.equal(counters.blockedRequests, 1);
});
