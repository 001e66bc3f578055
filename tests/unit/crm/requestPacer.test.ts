/** The in-process request pacer on an injected clock: requests to one key at least an interval apart, measured when sent. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalRequestPacer, paceOf } from '../../../server/crm/requestPacer.js';

/** A fake clock with sleepers: `run()` wakes them in time order, moving the clock to each wake-up. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleepers: Array<{ at: number; wake: () => void }> = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    sleep(ms: number): Promise<void> {
      return new Promise((wake) => sleepers.push({ at: now + ms, wake }));
    },
    /** Wakes sleepers in order until none is left. */
    async run(): Promise<void> {
      await settle();
      while (sleepers.length > 0) {
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers.shift() as { at: number; wake: () => void };
        now = Math.max(now, next.at);
        next.wake();
        await settle();
      }
    },
  };
}

const interval = { intervalMs: 150, burst: 1 };

test('when requests to one key come at once, then they go out one interval apart', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  const sent: number[] = [];
  const send = async () => {
    await pacer.wait('a', interval);
    sent.push(time.now() - 1_000_000);
  };
  const all = Promise.all([send(), send(), send(), send()]);
  await time.run();
  await all;
  assert.deepEqual(sent, [0, 150, 300, 450]);
});

test('when keys differ, then they are paced independently', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  const sent: string[] = [];
  const send = async (key: string) => {
    await pacer.wait(key, interval);
    sent.push(`${key}@${time.now() - 1_000_000}`);
  };
  const all = Promise.all([send('a'), send('b'), send('a'), send('b')]);
  await time.run();
  await all;
  assert.deepEqual(sent.sort(), ['a@0', 'a@150', 'b@0', 'b@150']);
});

test('when requests come further apart than the interval, then nobody waits', async () => {
  const time = fakeTime();
  const sleeps: number[] = [];
  const pacer = new LocalRequestPacer(time.now, async (ms) => {
    sleeps.push(ms);
  });
  for (let index = 0; index < 5; index++) {
    await pacer.wait('a', interval);
    time.advance(150);
  }
  assert.deepEqual(sleeps, []);
});

test('when a request comes part-way into the interval, then it waits only for the rest', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  await pacer.wait('a', interval);
  time.advance(100);
  const second = pacer.wait('a', interval);
  await time.run();
  await second;
  assert.equal(time.now() - 1_000_000, 150);
});

test('when a sender is late, then the next request still keeps a whole interval after it (no bunching)', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  await pacer.wait('a', interval);
  time.advance(400); // the process stalled: this request goes out late
  await pacer.wait('a', interval);
  const late = time.now();
  const next = pacer.wait('a', interval);
  await time.run();
  await next;
  assert.equal(time.now() - late, 150);
});

test('when a key is held off, then its next request waits until the hold-off ends, and other keys are not affected', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  await pacer.wait('a', interval);
  await pacer.holdOff('a', 2_000, interval);
  const sent: string[] = [];
  const other = pacer.wait('b', interval).then(() => sent.push(`b@${time.now() - 1_000_000}`));
  const held = pacer.wait('a', interval).then(() => sent.push(`a@${time.now() - 1_000_000}`));
  await time.run();
  await Promise.all([other, held]);
  assert.deepEqual(sent, ['b@0', 'a@2000']);
});

test('when a burst is allowed, then that many go at once and the rest one interval apart', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  const sent: number[] = [];
  const send = async () => {
    await pacer.wait('a', { intervalMs: 40, burst: 4 });
    sent.push(time.now() - 1_000_000);
  };
  const all = Promise.all(Array.from({ length: 6 }, send));
  await time.run();
  await all;
  assert.deepEqual(sent.sort((a, b) => a - b), [0, 0, 0, 0, 40, 80]);
});

test('when an account with a burst is held off, then it waits the pause and does not burst right after', async () => {
  const time = fakeTime();
  const pacer = new LocalRequestPacer(time.now, (ms) => time.sleep(ms));
  const pace = { intervalMs: 20, burst: 5 };
  await pacer.holdOff('a', 100, pace);
  const sent: number[] = [];
  const send = async () => {
    await pacer.wait('a', pace);
    sent.push(time.now() - 1_000_000);
  };
  const all = Promise.all([send(), send()]);
  await time.run();
  await all;
  assert.deepEqual(sent.sort((a, b) => a - b), [100, 120]);
});

test('when the rate is 7 per second, then requests are spaced a little over 1000/7 ms, one at a time', () => {
  assert.deepEqual(paceOf(7), { intervalMs: 143 + 20, burst: 1 });
  assert.deepEqual(paceOf(2, 40, 0), { intervalMs: 500, burst: 40 });
  assert.ok(paceOf(7).intervalMs * 7 > 1000, 'seven requests never fit into one second');
});
