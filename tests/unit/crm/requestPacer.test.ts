/** The in-process request pacer on an injected clock: slots `interval` apart per key, and hold-offs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intervalForRate, LocalRequestPacer } from '../../../server/crm/requestPacer.js';

/** A clock that only moves when the pacer sleeps (or the test advances it), and the sleeps asked for. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
    /** Records the wait and returns at once; the caller's slot time is when it would have woken. */
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
  };
}

test('when requests to one key come at once, then each waits for a slot one interval after the previous', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, time.sleep);
  await Promise.all([pacer.wait('a', 150), pacer.wait('a', 150), pacer.wait('a', 150), pacer.wait('a', 150)]);
  assert.deepEqual(time.sleeps, [150, 300, 450]);
});

test('when keys differ, then they are paced independently', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, time.sleep);
  await pacer.wait('a', 150);
  await pacer.wait('b', 150);
  await pacer.wait('a', 150);
  await pacer.wait('b', 150);
  assert.deepEqual(time.sleeps, [150, 150]);
});

test('when requests come further apart than the interval, then nobody waits', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, time.sleep);
  for (let index = 0; index < 5; index++) {
    await pacer.wait('a', 150);
    time.advance(150);
  }
  assert.deepEqual(time.sleeps, []);
});

test('when a request comes part-way into the interval, then it waits only for the rest', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, time.sleep);
  await pacer.wait('a', 150);
  time.advance(100);
  await pacer.wait('a', 150);
  assert.deepEqual(time.sleeps, [50]);
});

test('when a key is held off, then its next request waits until the hold-off ends, and others are not affected', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, time.sleep);
  await pacer.wait('a', 150);
  await pacer.holdOff('a', 2_000);
  await pacer.wait('b', 150);
  await pacer.wait('a', 150);
  await pacer.wait('a', 150);
  assert.deepEqual(time.sleeps, [2_000, 2_150]);
});

test('when a hold-off ends before slots already reserved, then it does not pull them earlier', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, time.sleep);
  await Promise.all([pacer.wait('a', 500), pacer.wait('a', 500), pacer.wait('a', 500)]);
  await pacer.holdOff('a', 100);
  await pacer.wait('a', 500);
  assert.deepEqual(time.sleeps, [500, 1_000, 1_500]);
});

test('when the rate is 7 per second, then the interval leaves a margin over 1000/7 ms', () => {
  assert.equal(intervalForRate(7), 151);
  assert.equal(intervalForRate(7, 0), 143);
  assert.ok(1000 / intervalForRate(7) < 7);
});
