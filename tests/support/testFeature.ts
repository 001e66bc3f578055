/**
 * A feature that exists only in tests: a slow route (to catch a request in flight) and a queue whose
 * jobs record each attempt in a table, sleep on their first attempt if asked, or fail a number of
 * times. It is mounted next to the production features, so everything else is the real product.
 */
import { Router } from 'express';
import { jsonBody } from '../../server/http/bodies.js';
import type { Feature, FeatureDeps } from '../../server/runtime.js';
import { PermanentJobError, type Job } from '../../server/queue/jobQueue.js';

export const TEST_QUEUE = 'test-jobs';

export interface TestJobData {
  label: string;
  /** Sleeps on the job's first run only (a re-run after a crash does not sleep). */
  sleepMsOnFirstRun?: number;
  failAttempts?: number;
  permanentFailure?: boolean;
}

export interface TestJobRun {
  job_id: string;
  label: string;
  attempt: number;
  pid: number;
  outcome: string;
  at_ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One creation per database: PostgreSQL can fail two concurrent `CREATE TABLE IF NOT EXISTS` of
 * the same table (a duplicate key in its catalog), which would fail a job's first attempt.
 */
const runsTables = new WeakMap<FeatureDeps['db'], Promise<void>>();

function ensureRunsTable(deps: FeatureDeps): Promise<void> {
  let ready = runsTables.get(deps.db);
  if (!ready) {
    ready = deps.db
      .query(`CREATE TABLE IF NOT EXISTS test_job_runs (
        job_id text NOT NULL, label text NOT NULL, attempt int NOT NULL, pid int NOT NULL,
        outcome text NOT NULL, at_ms double precision NOT NULL)`)
      .then(() => undefined);
    ready.catch(() => runsTables.delete(deps.db));
    runsTables.set(deps.db, ready);
  }
  return ready;
}

async function record(deps: FeatureDeps, job: Job<TestJobData>, outcome: string): Promise<void> {
  await deps.db.query('INSERT INTO test_job_runs VALUES ($1, $2, $3, $4, $5, $6)', [
    job.id,
    job.data.label,
    job.attempt,
    process.pid,
    outcome,
    Date.now(),
  ]);
}

export async function testJobRuns(deps: FeatureDeps): Promise<TestJobRun[]> {
  await ensureRunsTable(deps);
  return (await deps.db.query<TestJobRun>('SELECT * FROM test_job_runs ORDER BY at_ms')).rows;
}

function routes(deps: FeatureDeps): Router {
  const router = Router();
  router.get('/test/slow', async (req, res) => {
    await sleep(Number(req.query.ms ?? 1000));
    res.json({ slept: Number(req.query.ms ?? 1000) });
  });
  router.post('/test/jobs', jsonBody(), async (req, res) => {
    const { data, jobId, delayMs, attempts, backoffMs } = req.body as {
      data: TestJobData;
      jobId?: string;
      delayMs?: number;
      attempts?: number;
      backoffMs?: number;
    };
    const added = await deps.queue.add(TEST_QUEUE, 'test', data, {
      ...(jobId ? { jobId } : {}),
      ...(delayMs ? { delayMs } : {}),
      ...(attempts ? { attempts } : {}),
      ...(backoffMs !== undefined ? { backoff: { delayMs: backoffMs, jitter: 0 } } : {}),
    });
    res.status(201).json(added);
  });
  router.get('/test/runs', async (_req, res) => {
    res.json(await testJobRuns(deps));
  });
  return router;
}

export const testFeature: Feature = {
  name: 'test',
  queues: [TEST_QUEUE],
  routers: (deps) => [routes(deps)],
  workers: (deps) => [
    {
      queue: TEST_QUEUE,
      handler: async (job: Job<TestJobData>) => {
        await ensureRunsTable(deps);
        const earlierRuns = (await testJobRuns(deps)).filter((run) => run.job_id === job.id && run.outcome === 'started');
        await record(deps, job, 'started');
        if (earlierRuns.length === 0 && job.data.sleepMsOnFirstRun) await sleep(job.data.sleepMsOnFirstRun);
        if (job.data.permanentFailure) {
          await record(deps, job, 'failed');
          throw new PermanentJobError(`${job.data.label}: cannot succeed`);
        }
        if (job.attempt <= (job.data.failAttempts ?? 0)) {
          await record(deps, job, 'failed');
          throw new Error(`${job.data.label}: attempt ${job.attempt} fails on purpose`);
        }
        await record(deps, job, 'completed');
      },
    },
  ],
};
