import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommitter } from '../../../server/storage/groupCommit.js';

test('when items arrive while a commit is in flight, then they share the next commit', async () => {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  const committer = new GroupCommitter<number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
  });
  const first = committer.submit(1);
  await new Promise((resolve) => setImmediate(resolve));
  const rest = [2, 3, 4].map((item) => committer.submit(item));
  release();
  await Promise.all([first, ...rest]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
});

test('when a batch fails, then every item of it is rejected and later items still commit', async () => {
  let calls = 0;
  const committer = new GroupCommitter<string>(async () => {
    calls++;
    if (calls === 1) throw new Error('disk full');
  });
  const failed = [committer.submit('a'), committer.submit('b')];
  await Promise.all(failed.map((promise) => assert.rejects(promise, /disk full/)));
  await committer.submit('c');
  assert.equal(calls, 2);
});

test('when more items wait than a batch holds, then they are split into batches of at most that size', async () => {
  const sizes: number[] = [];
  const committer = new GroupCommitter<number>(
    async (items) => {
      sizes.push(items.length);
    },
    { maxBatch: 3 },
  );
  await Promise.all(Array.from({ length: 7 }, (_unused, index) => committer.submit(index)));
  assert.deepEqual(sizes, [3, 3, 1]);
});

test('when several commits may run at once, then a slow one does not hold back the next', async () => {
  const started: number[][] = [];
  let releaseFirst: () => void = () => undefined;
  const committer = new GroupCommitter<number>(
    async (items) => {
      started.push(items);
      if (started.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
    },
    { maxInFlight: 2 },
  );
  const first = committer.submit(1);
  await new Promise((resolve) => setImmediate(resolve));
  await committer.submit(2);
  assert.deepEqual(started, [[1], [2]], 'the second commit finished while the first was still running');
  releaseFirst();
  await first;
});
