import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalRequestPacer } from '../../server/crm/requestPacer.js';

/** Sends `count` requests through a pacer and returns when each went (ms after the first). */
async function sendTimes(pacer: LocalRequestPacer, count: number, pace: { intervalMs: number; burst: number }): Promise<number[]> {
  const started = Date.now();
  return Promise.all(Array.from({ length: count }, async () => {
    await pacer.wait('crm:acme', pace);
    return Date.now() - started;
  }));
}

test('when the burst is 1, then requests are spaced one interval apart', async () => {
  const times = await sendTimes(new LocalRequestPacer(), 4, { intervalMs: 40, burst: 1 });
  assert.ok(times[0]! < 20);
  for (let index = 1; index < times.length; index += 1) assert.ok(times[index]! >= index * 40 - 5, `request ${index} at ${times[index]} ms`);
});

test('when a burst is allowed, then that many go at once and the rest at the interval', async () => {
  const times = (await sendTimes(new LocalRequestPacer(), 6, { intervalMs: 40, burst: 4 })).sort((a, b) => a - b);
  assert.ok(times.slice(0, 4).every((time) => time < 20), `the burst went at once: ${times.join(', ')}`);
  assert.ok(times[4]! >= 35 && times[5]! >= 75, `then one per interval: ${times.join(', ')}`);
});

test('when an account is held off, then even a burst waits for the pause', async () => {
  const pacer = new LocalRequestPacer();
  const pace = { intervalMs: 20, burst: 5 };
  await pacer.holdOff('crm:acme', 100, pace);
  const times = await sendTimes(pacer, 1, pace);
  assert.ok(times[0]! >= 95, `waited ${times[0]} ms`);
});
