import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { waitFor } from '../support/processes.js';
import { TEST_QUEUE, testJobRuns, type TestJobData, type TestJobRun } from '../support/testFeature.js';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';

for (const backendName of testBackends()) {
  describe(`queue semantics on ${backendName}`, () => {
    let backend: PreparedBackend;
    let app: TestRuntime;

    before(async () => {
      backend = await prepareBackend(backendName, { ADMIN_TOKEN });
      app = await startTestRuntime(backend.env);
    });

    after(async () => {
      await app?.stop();
      await backend?.cleanup();
    });

    const add = (data: TestJobData, options?: Parameters<TestRuntime['runtime']['deps']['queue']['add']>[3]) =>
      app.runtime.deps.queue.add(TEST_QUEUE, 'test', data, options);
    const runsOf = async (label: string): Promise<TestJobRun[]> =>
      (await testJobRuns(app.runtime.deps)).filter((run) => run.label === label);

    test('when a job is added, then it runs once and completes', async () => {
      const { id } = await add({ label: 'plain' });
      const runs = await waitFor('the job to complete', async () => {
        const found = await runsOf('plain');
        return found.some((run) => run.outcome === 'completed') && found;
      });
      assert.deepEqual(runs.map((run) => [run.job_id, run.attempt, run.outcome]), [
        [id, 1, 'started'],
        [id, 1, 'completed'],
      ]);
    });

    test('when the same job id is added twice, then it runs once', async () => {
      await add({ label: 'dedup' }, { jobId: 'dedup-1', delayMs: 300 });
      await add({ label: 'dedup' }, { jobId: 'dedup-1' });
      await waitFor('the job to complete', async () => (await runsOf('dedup')).some((run) => run.outcome === 'completed'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await runsOf('dedup')).filter((run) => run.outcome === 'started').length, 1);
    });

    test('when a job is delayed, then it waits as delayed and runs only after the delay', async () => {
      const addedAt = Date.now();
      await add({ label: 'delayed' }, { delayMs: 800 });
      assert.equal((await app.runtime.deps.queue.counts(TEST_QUEUE)).delayed, 1);
      const [started] = await waitFor('the delayed job to start', async () => {
        const found = await runsOf('delayed');
        return found.length > 0 && found;
      });
      assert.ok(started && started.at_ms - addedAt >= 750, `started ${started && started.at_ms - addedAt} ms after being added`);
    });

    test('when attempts fail, then the job is retried with exponential backoff until it succeeds', async () => {
      await add({ label: 'flaky', failAttempts: 2 }, { attempts: 3, backoff: { delayMs: 400, jitter: 0 } });
      const runs = await waitFor(
        'the third attempt to complete',
        async () => {
          const found = await runsOf('flaky');
          return found.some((run) => run.outcome === 'completed') && found;
        },
        20_000,
      );
      assert.deepEqual(
        runs.map((run) => `${run.attempt}:${run.outcome}`),
        ['1:started', '1:failed', '2:started', '2:failed', '3:started', '3:completed'],
      );
      const at = (attempt: number, outcome: string) => runs.find((run) => run.attempt === attempt && run.outcome === outcome)!.at_ms;
      // 400 ms before the first retry, 800 ms before the second (timers may fire a few ms early).
      assert.ok(at(2, 'started') - at(1, 'failed') >= 390, `first backoff ${at(2, 'started') - at(1, 'failed')} ms`);
      assert.ok(at(3, 'started') - at(2, 'failed') >= 790, `second backoff ${at(3, 'started') - at(2, 'failed')} ms`);
    });

    test('when every attempt fails, then the job lands in the failed list with its reason', async () => {
      const { id } = await add({ label: 'doomed', failAttempts: 99 }, { jobId: 'doomed-1', attempts: 2, backoff: { delayMs: 50, jitter: 0 } });
      const failed = await waitFor('the job to fail', async () => {
        const jobs = await app.runtime.deps.queue.failed(TEST_QUEUE);
        return jobs.find((job) => job.id === id);
      });
      assert.equal(failed.attemptsMade, 2);
      assert.equal(failed.name, 'test');
      assert.deepEqual(failed.data, { label: 'doomed', failAttempts: 99 });
      assert.match(failed.failedReason, /doomed: attempt 2 fails on purpose/);
      assert.ok(failed.failedAt instanceof Date);
      assert.equal((await runsOf('doomed')).filter((run) => run.outcome === 'started').length, 2);
    });

    test('when a handler throws a permanent error, then the job fails at once without retries', async () => {
      const { id } = await add({ label: 'permanent', permanentFailure: true }, { jobId: 'permanent-1', attempts: 5, backoff: { delayMs: 50 } });
      await waitFor('the job to fail', async () => (await app.runtime.deps.queue.failed(TEST_QUEUE)).some((job) => job.id === id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await runsOf('permanent')).filter((run) => run.outcome === 'started').length, 1);
    });

    test('when an admin retries a failed job over the API, then it runs again', async () => {
      const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const { id } = await add({ label: 'retried', permanentFailure: true }, { jobId: 'retried-1' });
      await waitFor('the job to fail', async () => (await app.runtime.deps.queue.failed(TEST_QUEUE)).some((job) => job.id === id));

      const list = await fetch(`${app.url}/api/v1/admin/queues/${TEST_QUEUE}/failed`, { headers });
      assert.equal(list.status, 200);
      assert.ok(((await list.json()) as { jobs: Array<{ id: string }> }).jobs.some((job) => job.id === id));

      const retry = await fetch(`${app.url}/api/v1/admin/queues/${TEST_QUEUE}/failed/${id}/retry`, { method: 'POST', headers });
      assert.equal(retry.status, 200);
      await waitFor('the second run', async () => (await runsOf('retried')).filter((run) => run.outcome === 'started').length === 2);

      const again = await fetch(`${app.url}/api/v1/admin/queues/${TEST_QUEUE}/failed/no-such-job/retry`, { method: 'POST', headers });
      assert.equal(again.status, 404);
      assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'not_found');
    });

    test('when the admin API is called without the token, then it answers 401 in the error shape', async () => {
      const response = await fetch(`${app.url}/api/v1/admin/queues`);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
      const wrong = await fetch(`${app.url}/api/v1/admin/queues`, { headers: { authorization: 'Bearer wrong-token-0123456789' } });
      assert.equal(wrong.status, 401);
    });

    test('when metrics are scraped, then queue depth and job outcomes by queue are there', async () => {
      const body = await (await fetch(`${app.url}/metrics`)).text();
      assert.match(body, new RegExp(`longfunnel_jobs_total\\{queue="${TEST_QUEUE}",outcome="completed"\\} [1-9]`));
      assert.match(body, new RegExp(`longfunnel_jobs_total\\{queue="${TEST_QUEUE}",outcome="failed"\\} [1-9]`));
      assert.match(body, new RegExp(`longfunnel_jobs_total\\{queue="${TEST_QUEUE}",outcome="retried"\\} [1-9]`));
      assert.match(body, new RegExp(`longfunnel_queue_jobs\\{queue="${TEST_QUEUE}",state="failed"\\} [1-9]`));
      assert.match(body, new RegExp(`longfunnel_queue_jobs\\{queue="${TEST_QUEUE}",state="waiting"\\} 0`));
    });
  });
}
