/**
 * The product as an operator runs it: `longfunnel` in its own process, stopped by signals, killed
 * outright, misconfigured.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrations } from '../../server/storage/migrations/index.js';
import { prepareBackend, testBackends, type PreparedBackend } from '../support/backends.js';
import { spawnLongfunnel, waitFor } from '../support/processes.js';
import type { TestJobRun } from '../support/testFeature.js';

async function runs(url: string): Promise<TestJobRun[]> {
  return (await (await fetch(`${url}/test/runs`)).json()) as TestJobRun[];
}

async function addJob(url: string, body: unknown): Promise<string> {
  const response = await fetch(`${url}/test/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

for (const backendName of testBackends()) {
  describe(`process lifecycle on ${backendName}`, () => {
    let backend: PreparedBackend;

    before(async () => {
      // A short lock, so a job of a killed worker is taken back within the test's patience.
      backend = await prepareBackend(backendName, { QUEUE_LOCK_MS: '2000' });
    });

    after(async () => {
      await backend?.cleanup();
    });

    test('when the process is SIGKILLed with jobs accepted, then they run after a restart', async () => {
      const first = spawnLongfunnel(['start'], backend.env, { withTestFeature: true });
      const url = await first.started();
      const running = await addJob(url, { data: { label: 'interrupted', sleepMsOnFirstRun: 60_000 }, jobId: 'crash-running' });
      const waiting = await addJob(url, { data: { label: 'accepted' }, jobId: 'crash-waiting', delayMs: 1500 });
      await waitFor('the first job to be running', async () => (await runs(url)).some((run) => run.job_id === running));
      first.child.kill('SIGKILL');
      assert.equal((await first.exited()).signal, 'SIGKILL');

      const second = spawnLongfunnel(['start'], backend.env, { withTestFeature: true });
      try {
        const secondUrl = await second.started();
        const done = await waitFor(
          'both jobs to complete after the restart',
          async () => {
            const all = await runs(secondUrl);
            const completed = all.filter((run) => run.outcome === 'completed').map((run) => run.job_id);
            return completed.includes(running) && completed.includes(waiting) && all;
          },
          30_000,
        );
        const secondPid = second.child.pid;
        // The interrupted run was not a failed attempt: the re-run is still attempt 1, in the new process.
        assert.ok(done.some((run) => run.job_id === running && run.outcome === 'completed' && run.pid === secondPid && run.attempt === 1));
        assert.ok(done.some((run) => run.job_id === waiting && run.outcome === 'completed' && run.pid === secondPid));
      } finally {
        second.child.kill('SIGTERM');
        assert.equal((await second.exited()).code, 0);
      }
    });

    test('when SIGTERM arrives during a request and a job, then both finish and the process exits 0', async () => {
      const proc = spawnLongfunnel(['start'], backend.env, { withTestFeature: true });
      const url = await proc.started();
      await addJob(url, { data: { label: 'in-flight', sleepMsOnFirstRun: 1200 }, jobId: 'sigterm-job' });
      await waitFor('the job to be running', async () => (await runs(url)).some((run) => run.job_id === 'sigterm-job'));
      const slow = fetch(`${url}/test/slow?ms=1500`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      proc.child.kill('SIGTERM');

      const response = await slow;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { slept: 1500 });
      await assert.rejects(fetch(`${url}/healthz`), 'no new connections are accepted while stopping');
      const { code } = await proc.exited();
      assert.equal(code, 0);
      assert.match(proc.output(), /job completed .*jobId=sigterm-job/);
      assert.match(proc.output(), /stopped requestsFinished=true jobsFinished=true/);
    });
  });
}

describe('command line', () => {
  let backend: PreparedBackend;

  before(async () => {
    backend = await prepareBackend('embedded');
  });

  after(async () => {
    await backend?.cleanup();
  });

  const configErrors: Array<[string, Record<string, string>, RegExp]> = [
    ['PORT is not a number', { PORT: 'eighty' }, /"PORT" must be a number \(got "eighty"\)/],
    ['LOG_LEVEL is unknown', { LOG_LEVEL: 'verbose' }, /"LOG_LEVEL" must be one of \[error, warn, info, http, debug\]/],
    ['production has no ENCRYPTION_KEY', { NODE_ENV: 'production', ENCRYPTION_KEY: '' }, /"ENCRYPTION_KEY" is required/],
    ['REDIS_URL is not a Redis URL', { REDIS_URL: 'http://cache' }, /"REDIS_URL" must be a valid uri/],
  ];

  for (const [what, env, message] of configErrors) {
    test(`when ${what}, then start exits 1 naming the variable`, async () => {
      const proc = spawnLongfunnel(['start'], { ...backend.env, ...env });
      const { code } = await proc.exited();
      assert.equal(code, 1);
      assert.match(proc.output(), /Invalid configuration:/);
      assert.match(proc.output(), message);
    });
  }

  test('when migrate runs twice, then the second run finds nothing to do', async () => {
    const first = spawnLongfunnel(['migrate'], backend.env);
    assert.equal((await first.exited()).code, 0);
    const every = JSON.stringify(migrations.map((migration) => migration.id));
    assert.ok(first.output().includes(`migrations applied applied=${every}`), first.output());
    const second = spawnLongfunnel(['migrate'], backend.env);
    assert.equal((await second.exited()).code, 0);
    assert.match(second.output(), /the database is up to date/);
  });

  test('when a second process opens a running embedded database, then it is refused clearly', async () => {
    const server = spawnLongfunnel(['start'], backend.env);
    await server.started();
    try {
      const migrate = spawnLongfunnel(['migrate'], backend.env);
      assert.equal((await migrate.exited()).code, 1);
      assert.match(migrate.output(), /The embedded database in .* is already open in process \d+/);
    } finally {
      server.child.kill('SIGINT');
      assert.equal((await server.exited()).code, 0);
    }
  });

  test('when one role is started on the embedded database, then it refuses and says why', async () => {
    const proc = spawnLongfunnel(['server'], backend.env);
    assert.equal((await proc.exited()).code, 1);
    assert.match(proc.output(), /can only share work through PostgreSQL: set DATABASE_URL/);
  });

  test('when the command is unknown, then usage is printed and the exit code is 2', async () => {
    const proc = spawnLongfunnel(['launch'], backend.env);
    assert.equal((await proc.exited()).code, 2);
    assert.match(proc.output(), /unknown command "launch"/);
    assert.match(proc.output(), /Usage: longfunnel <command>/);
  });
});
