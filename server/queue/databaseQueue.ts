/**
 * The embedded queue: jobs are rows of the `jobs` table, so a job is as durable as any other row.
 * Workers claim ready rows with `FOR UPDATE SKIP LOCKED` under a lease they renew while the job runs;
 * a lease that lapses (the worker died) puts the job back. All times come from the database clock,
 * so several worker processes on one PostgreSQL agree on them.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Database } from '../storage/database.js';
import { withTimeout } from '../storage/database.js';
import { errorMeta, type Logger } from '../observability/logger.js';
import {
  COMPLETED_RETENTION_SECONDS,
  FAILED_RETENTION_SECONDS,
  MAX_STALLED_COUNT,
  PermanentJobError,
  exponentialBackoffMs,
  resolveJobOptions,
  type FailedJob,
  type Job,
  type JobCounts,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type StopReport,
  type WorkOptions,
} from './jobQueue.js';
import { runJobAttempt, type JobRunDeps } from './runJob.js';

export interface DatabaseQueueOptions extends JobRunDeps {
  /** How long an idle worker waits before looking for ready jobs again. */
  pollIntervalMs?: number;
  /** A running job's lock; renewed every third of it, taken back from a dead worker after it. */
  leaseMs?: number;
  /**
   * True when this process is the only one that can open the database (PGlite): jobs left active
   * by an earlier run of it are taken back at once instead of after their lease.
   */
  exclusive?: boolean;
}

interface JobRow {
  queue: string;
  id: string;
  name: string;
  data: unknown;
  attempts_made: number;
  max_attempts: number;
  backoff_ms: number;
  backoff_jitter: number;
}

class Consumer {
  private readonly running = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly owner: DatabaseQueue,
    readonly queue: string,
    private readonly handler: JobHandler<unknown>,
    private readonly concurrency: number,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const free = this.concurrency - this.running.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const jobs = await this.owner.claim(this.queue, free);
          failures = 0;
          claimed = jobs.length;
          for (const job of jobs) {
            const run = this.owner.execute(job, this.handler).finally(() => {
              this.running.delete(run);
              this.poke();
            });
            this.running.add(run);
          }
        } catch (error) {
          failures++;
          if (failures === 1) this.owner.logger.error('queue: could not claim jobs', { queue: this.queue, ...errorMeta(error) });
        }
      }
      if (this.stopped) break;
      if (claimed > 0 && claimed === free) continue;
      const idleMs = failures > 0 ? Math.min(this.owner.pollIntervalMs * 2 ** failures, 10_000) : this.owner.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    this.poke();
    await this.loop;
    if (this.running.size === 0) return true;
    const allDone = Promise.all(this.running).then(() => true);
    return withTimeout(allDone, timeoutMs, 'running jobs').catch(() => false);
  }
}

export class DatabaseQueue implements JobQueue {
  readonly kind = 'database' as const;
  readonly pollIntervalMs: number;
  readonly logger: Logger;
  private readonly leaseMs: number;
  private readonly workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly consumers = new Map<string, Consumer>();
  private readonly activeJobs = new Set<string>();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;

  private constructor(
    private readonly db: Database,
    private readonly options: DatabaseQueueOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.logger = options.logger;
  }

  static async open(db: Database, options: DatabaseQueueOptions): Promise<DatabaseQueue> {
    const queue = new DatabaseQueue(db, options);
    if (options.exclusive) {
      const interrupted = await queue.takeBackStalled('state = \'active\'');
      if (interrupted.length > 0) {
        queue.logger.warn('queue: jobs interrupted by the last stop were taken back', {
          waiting: interrupted.filter((job) => job.state === 'waiting').length,
          failed: interrupted.filter((job) => job.state === 'failed').length,
        });
      }
    }
    return queue;
  }

  /**
   * Puts active jobs matching `where` back to waiting, or fails those already taken back
   * MAX_STALLED_COUNT times.
   */
  private async takeBackStalled(where: string): Promise<Array<{ id: string; queue: string; state: string }>> {
    const { rows } = await this.db.query<{ id: string; queue: string; state: string }>(
      `UPDATE jobs SET
              state = CASE WHEN stalled_count >= $1 THEN 'failed' ELSE 'waiting' END,
              finished_at = CASE WHEN stalled_count >= $1 THEN now() END,
              failed_reason = CASE WHEN stalled_count >= $1
                THEN 'job stalled more than allowable limit: its worker stopped while running it ' || (stalled_count + 1) || ' times'
                ELSE failed_reason END,
              stalled_count = stalled_count + 1,
              run_at = now(), locked_by = NULL, locked_until = NULL
        WHERE ${where}
        RETURNING id, queue, state`,
      [MAX_STALLED_COUNT],
    );
    for (const job of rows.filter((row) => row.state === 'failed')) {
      this.options.metrics.jobOutcomes.inc({ queue: job.queue, outcome: 'failed' });
      this.logger.error('job failed: its worker stopped while running it too many times', { queue: job.queue, jobId: job.id });
    }
    return rows;
  }

  async add<Data>(queue: string, name: string, data: Data, options?: JobOptions): Promise<{ id: string }> {
    const resolved = resolveJobOptions(queue, options);
    const id = resolved.jobId ?? randomUUID();
    await this.db.query(
      `INSERT INTO jobs (queue, id, name, data, state, max_attempts, backoff_ms, backoff_jitter, run_at)
       VALUES ($1, $2, $3, $4, 'waiting', $5, $6, $7, now() + make_interval(secs => $8::double precision / 1000))
       ON CONFLICT (queue, id) DO NOTHING`,
      [queue, id, name, JSON.stringify(data ?? null), resolved.attempts, resolved.backoffDelayMs, resolved.backoffJitter, resolved.delayMs],
    );
    if (resolved.delayMs === 0) this.consumers.get(queue)?.poke();
    return { id };
  }

  work<Data>(queue: string, handler: JobHandler<Data>, options: WorkOptions = {}): void {
    resolveJobOptions(queue);
    if (this.consumers.has(queue)) throw new Error(`This process already works on queue ${queue}`);
    const consumer = new Consumer(this, queue, handler as JobHandler<unknown>, options.concurrency ?? 1);
    this.consumers.set(queue, consumer);
    consumer.start();
    this.startMaintenance();
  }

  /** Takes up to `limit` ready jobs of `queue` for this worker. */
  async claim(queue: string, limit: number): Promise<JobRow[]> {
    const { rows } = await this.db.query<JobRow>(
      `UPDATE jobs SET state = 'active', locked_by = $1,
              locked_until = now() + make_interval(secs => $4::double precision / 1000)
        WHERE (queue, id) IN (
          SELECT queue, id FROM jobs
           WHERE queue = $2 AND state = 'waiting' AND run_at <= now()
           ORDER BY run_at, created_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING queue, id, name, data, attempts_made, max_attempts, backoff_ms, backoff_jitter`,
      [this.workerId, queue, limit, this.leaseMs],
    );
    for (const row of rows) this.activeJobs.add(`${row.queue}\u0000${row.id}`);
    return rows;
  }

  async execute(row: JobRow, handler: JobHandler<unknown>): Promise<void> {
    const job: Job = {
      queue: row.queue,
      id: row.id,
      name: row.name,
      data: row.data,
      attempt: row.attempts_made + 1,
      maxAttempts: row.max_attempts,
    };
    try {
      await runJobAttempt(job, handler, this.options);
      await this.finish(row, 'completed');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const attemptsMade = row.attempts_made + 1;
      if (error instanceof PermanentJobError || attemptsMade >= row.max_attempts) {
        await this.finish(row, 'failed', reason);
      } else {
        await this.finish(row, 'retry', reason, exponentialBackoffMs(attemptsMade, row.backoff_ms, row.backoff_jitter));
      }
    } finally {
      this.activeJobs.delete(`${row.queue}\u0000${row.id}`);
    }
  }

  private async finish(row: JobRow, outcome: 'completed' | 'failed' | 'retry', reason?: string, retryInMs = 0): Promise<void> {
    const sql = {
      completed: `UPDATE jobs SET state = 'completed', finished_at = now(), locked_by = NULL, locked_until = NULL
                   WHERE queue = $1 AND id = $2 AND locked_by = $3`,
      failed: `UPDATE jobs SET state = 'failed', finished_at = now(), failed_reason = $4, attempts_made = attempts_made + 1,
                      locked_by = NULL, locked_until = NULL
                WHERE queue = $1 AND id = $2 AND locked_by = $3`,
      retry: `UPDATE jobs SET state = 'waiting', failed_reason = $4, attempts_made = attempts_made + 1,
                     locked_by = NULL, locked_until = NULL,
                     run_at = now() + make_interval(secs => $5::double precision / 1000)
               WHERE queue = $1 AND id = $2 AND locked_by = $3`,
    }[outcome];
    const params: unknown[] = [row.queue, row.id, this.workerId];
    if (outcome !== 'completed') params.push(reason ?? '');
    if (outcome === 'retry') params.push(retryInMs);
    try {
      await this.db.query(sql, params);
    } catch (error) {
      // The lease lapses and the job runs again: at-least-once, never lost.
      this.logger.error('queue: could not record a job outcome; it will run again', { job: row.id, outcome, ...errorMeta(error) });
    }
  }

  private startMaintenance(): void {
    if (this.maintenanceTimer) return;
    const every = Math.max(Math.floor(this.leaseMs / 3), 50);
    this.maintenanceTimer = setInterval(() => {
      this.maintain().catch((error) => this.logger.warn('queue: maintenance failed', errorMeta(error)));
    }, every);
    this.maintenanceTimer.unref();
  }

  /** Renews this worker's leases, takes back lapsed ones, and prunes old finished jobs. */
  private async maintain(): Promise<void> {
    if (this.activeJobs.size > 0) {
      await this.db.query(
        `UPDATE jobs SET locked_until = now() + make_interval(secs => $2::double precision / 1000)
          WHERE state = 'active' AND locked_by = $1`,
        [this.workerId, this.leaseMs],
      );
    }
    const stalled = await this.takeBackStalled(`state = 'active' AND locked_until < now()`);
    for (const job of stalled) {
      this.logger.warn('queue: took back a job whose worker stopped', { job: job.id, queue: job.queue, now: job.state });
      this.consumers.get(job.queue)?.poke();
    }
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      await this.db.query(
        `DELETE FROM jobs
          WHERE (state = 'completed' AND finished_at < now() - make_interval(secs => $1))
             OR (state = 'failed' AND finished_at < now() - make_interval(secs => $2))`,
        [COMPLETED_RETENTION_SECONDS, FAILED_RETENTION_SECONDS],
      );
    }
  }

  async counts(queue: string): Promise<JobCounts> {
    const { rows } = await this.db.query<{ state: string; count: number }>(
      `SELECT CASE WHEN state = 'waiting' AND run_at > now() THEN 'delayed' ELSE state END AS state, count(*)::int AS count
         FROM jobs WHERE queue = $1 GROUP BY 1`,
      [queue],
    );
    const counts: JobCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const row of rows) counts[row.state as keyof JobCounts] = row.count;
    return counts;
  }

  async failed(queue: string, limit = 50): Promise<FailedJob[]> {
    const { rows } = await this.db.query<{
      id: string;
      name: string;
      data: unknown;
      attempts_made: number;
      failed_reason: string | null;
      finished_at: Date | string | null;
    }>(
      `SELECT id, name, data, attempts_made, failed_reason, finished_at FROM jobs
        WHERE queue = $1 AND state = 'failed' ORDER BY finished_at DESC LIMIT $2`,
      [queue, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      data: row.data,
      attemptsMade: row.attempts_made,
      failedReason: row.failed_reason ?? '',
      failedAt: row.finished_at === null ? null : new Date(row.finished_at),
    }));
  }

  async retryFailed(queue: string, jobId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE jobs SET state = 'waiting', attempts_made = 0, stalled_count = 0, run_at = now(), finished_at = NULL
        WHERE queue = $1 AND id = $2 AND state = 'failed'`,
      [queue, jobId],
    );
    if (rowCount > 0) this.consumers.get(queue)?.poke();
    return rowCount > 0;
  }

  async ping(timeoutMs = 2_000): Promise<void> {
    await withTimeout(this.db.query('SELECT 1 FROM jobs LIMIT 1'), timeoutMs, 'The jobs table');
  }

  async stopWorkers(timeoutMs: number): Promise<StopReport> {
    // Leases are renewed until the running jobs are done, so no other worker takes one back meanwhile.
    const results = await Promise.all([...this.consumers.values()].map((consumer) => consumer.stop(timeoutMs)));
    this.consumers.clear();
    clearInterval(this.maintenanceTimer);
    this.maintenanceTimer = undefined;
    return { finished: results.every(Boolean) };
  }

  async close(): Promise<void> {
    if (this.consumers.size > 0) await this.stopWorkers(0);
  }
}
