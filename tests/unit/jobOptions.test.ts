import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidJobError, exponentialBackoffMs, resolveJobOptions } from '../../server/queue/jobQueue.js';

test('when there is no jitter, then the backoff doubles from the base delay', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((attempts) => exponentialBackoffMs(attempts, 1000)), [1000, 2000, 4000, 8000, 16000]);
});

test('when there is jitter, then the backoff stays within [max*(1-jitter), max]', () => {
  assert.equal(exponentialBackoffMs(3, 1000, 0.5, () => 0), 2000);
  assert.equal(exponentialBackoffMs(3, 1000, 0.5, () => 0.999999), 3999);
  for (let i = 0; i < 200; i++) {
    const delay = exponentialBackoffMs(2, 1000, 0.25);
    assert.ok(delay >= 1500 && delay <= 2000, `delay ${delay}`);
  }
});

test('when no options are given, then 5 attempts with 1 s base and 0.5 jitter apply', () => {
  assert.deepEqual(resolveJobOptions('enrich'), { jobId: undefined, delayMs: 0, attempts: 5, backoffDelayMs: 1000, backoffJitter: 0.5 });
});

const invalid: Array<[string, string, Parameters<typeof resolveJobOptions>[1]]> = [
  ['a queue name with a colon', 'a:b', {}],
  ['a job id with a colon', 'q', { jobId: 'a:b' }],
  ['a bare integer job id', 'q', { jobId: '123' }],
  ['zero attempts', 'q', { attempts: 0 }],
  ['a negative delay', 'q', { delayMs: -1 }],
  ['a jitter above 1', 'q', { backoff: { delayMs: 10, jitter: 2 } }],
];

for (const [what, queue, options] of invalid) {
  test(`when a job has ${what}, then it is refused before reaching a backend`, () => {
    assert.throws(() => resolveJobOptions(queue, options), InvalidJobError);
  });
}
