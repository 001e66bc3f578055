/**
 * The production queue: BullMQ on Redis. Redis keeps the jobs (durable as far as Redis persistence
 * is configured: run it with AOF for production), BullMQ's stalled-job check re-runs a job whose
 * worker died, and its exponential backoff with jitter is the one `exponentialBackoffMs` mirrors.
 */
import { Queue, UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import { withTimeout } from '../storage/database.js';
import { errorMeta } from '../observability/logger.js';
import {
  COMPLETED_RETENTION_SECONDS,
  FAILED_RETENTION_SECONDS,
  MAX_STALLED_COUNT,
  PermanentJobError,
  resolveJobOptions,
  type FailedJob,
  type JobCounts,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type StopReport,
  type WorkOptions,
} from './jobQueue.js';
import { runJobAttempt, type JobRunDeps } from './runJob.js';

export interface BullmqQueueOptions extends JobRunDeps {
  redisUrl: string;
  prefix: string;
  /** A running job's lock; a job whose worker stops renewing it is run again (BullMQ default 30 s). */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock lapsed (BullMQ default 30 s). */
  stalledIntervalMs?: number;
}

/** Where and how to connect: the part of the Redis options that a URL carries. */
export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
  connectTimeout?: number;
}

/** `redis://user:pass@host:port/db` (or `rediss://` for TLS) as connection options. */
export function redisOptionsFromUrl(redisUrl: string): RedisEndpoint {
  const url = new URL(redisUrl);
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** How long closing waits for Redis before it drops the connections. */
const CLOSE_TIMEOUT_MS = 2_000;

/** The last resort of closing; with Redis unreachable even a disconnect may never settle. */
async function dropConnections(owners: Array<Queue | Worker>): Promise<void> {
  const disconnecting = Promise.all(owners.map((owner) => owner.disconnect().catch(() => undefined)));
  await withTimeout(disconnecting, CLOSE_TIMEOUT_MS, 'disconnecting from Redis').catch(() => undefined);
}

export class BullmqQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly producers = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly redisOptions: RedisEndpoint;
  private readonly health: Redis;
  private redisDown = false;
  private healthReady: Promise<void> | undefined;
  /** Job attempts this process is running now. */
  private jobsInFlight = 0;

  constructor(private readonly options: BullmqQueueOptions) {
    // BullMQ gets options, not clients, so that it owns (and can force-close) every connection it opens.
    this.redisOptions = { ...redisOptionsFromUrl(options.redisUrl), connectTimeout: 5_000 };
    // Readiness must answer at once: no offline queue, no retries.
    this.health = new Redis({ ...this.redisOptions, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    this.health.on('error', (error) => this.reportRedisError(error));
    this.health.on('ready', () => {
      if (this.redisDown) options.logger.info('queue: Redis is reachable again');
      this.redisDown = false;
    });
  }

  /** Logs the first error of an outage, not every reconnect attempt. */
  private reportRedisError(error: Error): void {
    if (this.redisDown) return;
    this.redisDown = true;
    this.options.logger.error('queue: Redis is unreachable; jobs wait until it is back', errorMeta(error));
  }

  private producer(queue: string): Queue {
    let producer = this.producers.get(queue);
    if (!producer) {
      // Adding a job fails fast while Redis is away, so a caller can answer an error instead of hanging.
      producer = new Queue(queue, { connection: { ...this.redisOptions, maxRetriesPerRequest: 1 }, prefix: this.options.prefix });
      producer.on('error', (error) => this.reportRedisError(error));
      this.producers.set(queue, producer);
    }
    return producer;
  }

  async add<Data>(queue: string, name: string, data: Data, options?: JobOptions): Promise<{ id: string }> {
    const resolved = resolveJobOptions(queue, options);
    const job = await this.producer(queue).add(name, data, {
      ...(resolved.jobId !== undefined ? { jobId: resolved.jobId } : {}),
      delay: resolved.delayMs,
      attempts: resolved.attempts,
      backoff: { type: 'exponential', delay: resolved.backoffDelayMs, jitter: resolved.backoffJitter },
      removeOnComplete: { age: COMPLETED_RETENTION_SECONDS },
      removeOnFail: { age: FAILED_RETENTION_SECONDS },
    });
    return { id: String(job.id) };
  }

  work<Data>(queue: string, handler: JobHandler<Data>, options: WorkOptions = {}): void {
    resolveJobOptions(queue);
    if (this.workers.has(queue)) throw new Error(`This process already works on queue ${queue}`);
    this.producer(queue);
    const worker = new Worker(
      queue,
      async (bullJob: BullJob) => {
        this.jobsInFlight++;
        try {
          await runJobAttempt(
            {
              queue,
              id: String(bullJob.id),
              name: bullJob.name,
              data: bullJob.data as Data,
              attempt: bullJob.attemptsMade + 1,
              maxAttempts: bullJob.opts.attempts ?? 1,
            },
            handler,
            this.options,
          );
        } catch (error) {
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          throw error;
        } finally {
          this.jobsInFlight--;
        }
      },
      {
        // Workers block on Redis while they wait for jobs: they retry commands for as long as it takes.
        connection: { ...this.redisOptions, maxRetriesPerRequest: null },
        prefix: this.options.prefix,
        concurrency: options.concurrency ?? 1,
        autorun: true,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        maxStalledCount: MAX_STALLED_COUNT,
      },
    );
    worker.on('error', (error) => this.reportRedisError(error));
    // A job failed by the stalled-job check never reached the processor: count and log it here.
    worker.on('failed', (job, error) => {
      if (!/stalled more than allowable limit/.test(error.message)) return;
      this.options.metrics.jobOutcomes.inc({ queue, outcome: 'failed' });
      this.options.logger.error('job failed: its worker stopped while running it too many times', {
        queue,
        jobId: job?.id,
        error: error.message,
      });
    });
    this.workers.set(queue, worker);
  }

  async counts(queue: string): Promise<JobCounts> {
    const counts = await this.producer(queue).getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      delayed: counts.delayed ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  async failed(queue: string, limit = 50): Promise<FailedJob[]> {
    const jobs = await this.producer(queue).getFailed(0, limit - 1);
    return jobs.map((job) => ({
      id: String(job.id),
      name: job.name,
      data: job.data as unknown,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason ?? '',
      failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
    }));
  }

  async retryFailed(queue: string, jobId: string): Promise<boolean> {
    const job = await this.producer(queue).getJob(jobId);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  async ping(timeoutMs = 2_000): Promise<void> {
    await withTimeout(this.readyHealthClient().then((client) => client.ping()), timeoutMs, 'Redis');
  }

  /** The health client once connected: right after start it may still be connecting. */
  private async readyHealthClient(): Promise<Redis> {
    if (this.health.status === 'ready') return this.health;
    if (this.health.status === 'end') throw new Error('the Redis connection is closed');
    // One shared wait, however many readiness probes come during an outage.
    this.healthReady ??= new Promise<void>((resolve) => this.health.once('ready', () => resolve())).finally(() => {
      this.healthReady = undefined;
    });
    await this.healthReady;
    return this.health;
  }

  /** Resolves once Redis answers, or after `timeoutMs` (the process starts either way; /readyz tells). */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    return this.ping(timeoutMs).then(
      () => true,
      () => false,
    );
  }

  async stopWorkers(timeoutMs: number): Promise<StopReport> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    if (workers.length === 0) return { finished: true };
    // Without Redis no running job can be recorded as done, and a graceful close would wait for
    // Redis forever (a later forced close only returns that same promise): close by force at once.
    if (!(await this.waitUntilReady(Math.min(timeoutMs, 500)))) {
      const busy = this.jobsInFlight > 0;
      const forced = Promise.all(workers.map((worker) => worker.close(true).catch(() => undefined)));
      await withTimeout(forced, CLOSE_TIMEOUT_MS, 'closing workers').catch(() => undefined);
      return { finished: !busy };
    }
    const graceful = Promise.all(workers.map((worker) => worker.close())).then(() => true);
    const finished = await withTimeout(graceful, timeoutMs, 'running jobs').catch(() => false);
    if (!finished) {
      // A forced close still talks to Redis; with Redis gone it would wait forever.
      const forced = Promise.all(workers.map((worker) => worker.close(true).catch(() => undefined)));
      await withTimeout(forced, CLOSE_TIMEOUT_MS, 'closing workers').catch(() => dropConnections(workers));
    }
    return { finished };
  }

  async close(): Promise<void> {
    if (this.workers.size > 0) await this.stopWorkers(0);
    const producers = [...this.producers.values()];
    this.producers.clear();
    const closing = Promise.all(producers.map((producer) => producer.close().catch(() => undefined)));
    await withTimeout(closing, CLOSE_TIMEOUT_MS, 'closing queues').catch(async () => {
      this.options.logger.warn('queue: Redis did not answer while closing; disconnecting anyway');
      await dropConnections(producers);
    });
    this.health.disconnect();
  }
}
