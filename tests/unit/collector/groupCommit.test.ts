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

test('when one item of a batch is refused, then only that item fails and the others commit', async () => {
  const committed: string[] = [];
  const committer = new GroupCommitter<string>(async (items) => {
    if (items.includes('bad')) throw new Error('invalid input syntax for type json');
    committed.push(...items);
  });
  const results = await Promise.allSettled(['a', 'bad', 'b'].map((item) => committer.submit(item)));
  assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(committed.sort(), ['a', 'b']);
});

test('when the database is down, then every item is rejected with its error', async () => {
  const committer = new GroupCommitter<string>(async () => {
    throw new Error('connection refused');
  });
  const results = await Promise.allSettled(['a', 'b'].map((item) => committer.submit(item)));
  assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected']);
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
