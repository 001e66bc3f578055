import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../../integrations/amocrm/emulator/clock.js';
import { LeakyBucket, OperatingLimiter } from '../../../integrations/bitrix24/emulator/limits.js';
import { defaultBitrix24EmulatorOptions } from '../../../integrations/bitrix24/emulator/options.js';

// bitrix24.md 4.4: each request adds 1, the counter drains 2/s, above 50 the request is refused.
test('when 51 requests arrive at once, then 50 pass and the 51st is refused', () => {
  const bucket = new LeakyBucket(createManualClock(0), defaultBitrix24EmulatorOptions.leakyBucket);
  const decisions = Array.from({ length: 51 }, () => bucket.admit('portal'));
  assert.deepEqual(decisions, [...Array<boolean>(50).fill(true), false]);
});

test('when a full bucket waits one second, then exactly two more requests pass', () => {
  const clock = createManualClock(0);
  const bucket = new LeakyBucket(clock, defaultBitrix24EmulatorOptions.leakyBucket);
  for (let index = 0; index < 50; index += 1) bucket.admit('portal');
  clock.advance(1000);
  assert.deepEqual([bucket.admit('portal'), bucket.admit('portal'), bucket.admit('portal')], [true, true, false]);
});

test('when requests are paced at 2 per second, then none is ever refused', () => {
  const clock = createManualClock(0);
  const bucket = new LeakyBucket(clock, { enabled: true, threshold: 50, drainPerSecond: 2 });
  for (let index = 0; index < 1000; index += 1) {
    assert.equal(bucket.admit('portal'), true);
    clock.advance(500);
  }
});

test('when portals differ, then each has its own bucket; when disabled, nothing is refused', () => {
  const clock = createManualClock(0);
  const bucket = new LeakyBucket(clock, { enabled: true, threshold: 1, drainPerSecond: 2 });
  assert.equal(bucket.admit('a'), true);
  assert.equal(bucket.admit('a'), false);
  assert.equal(bucket.admit('b'), true);
  const off = new LeakyBucket(clock, { enabled: false, threshold: 1, drainPerSecond: 2 });
  assert.deepEqual([off.admit('a'), off.admit('a')], [true, true]);
});

// bitrix24.md 4.4: ten one-minute buckets; blocked while the sum exceeds the limit; the crossing call completes.
test('when a method has spent more than the limit, then it is blocked until its oldest bucket expires', () => {
  const clock = createManualClock(0);
  const limiter = new OperatingLimiter(clock, { enabled: true, limitSeconds: 480, methodCostSeconds: {} });
  assert.equal(limiter.allows('k'), true);
  limiter.record('k', 300);
  clock.advance(60_000);
  assert.equal(limiter.allows('k'), true);
  const snapshot = limiter.record('k', 200);
  assert.equal(snapshot.seconds, 500);
  assert.equal(snapshot.resetAt, 600);
  assert.equal(limiter.allows('k'), false);
  assert.equal(limiter.allows('other'), true);
  clock.advance(539_999);
  assert.equal(limiter.allows('k'), false);
  clock.advance(1);
  assert.equal(limiter.allows('k'), true);
  assert.equal(limiter.snapshot('k').seconds, 200);
});

test('when calls fall within one minute of a bucket start, then they share that bucket', () => {
  const clock = createManualClock(0);
  const limiter = new OperatingLimiter(clock, { enabled: true, limitSeconds: 480, methodCostSeconds: { 'crm.deal.list': 5 } });
  assert.equal(limiter.costOf('crm.deal.list', 0.001), 5);
  assert.equal(limiter.costOf('crm.deal.get', 0.001), 0.001);
  limiter.record('k', 1);
  clock.advance(59_999);
  limiter.record('k', 1);
  clock.advance(540_001);
  assert.equal(limiter.snapshot('k').seconds, 0);
});
