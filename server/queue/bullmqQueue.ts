/**
 * The production queue: BullMQ on Redis. Redis keeps the jobs (durable as far as Redis persistence
 * is configured: run it with AOF for production), BullMQ's stalled-job check re-runs a job whose
 * worker died, and its exponential backoff with jitter is the one `exponentialBackoffMs` mirrors.
 */
import { Queue, UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
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

/** How long closing waits for Redis before it drops the connections. */
const CLOSE_TIMEOUT_MS = 2_000;

export class BullmqQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  private readonly producers = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly workerConnections: Redis[] = [];
  private readonly connection: Redis;
  private readonly health: Redis;
  private redisDown = false;

  constructor(private readonly options: BullmqQueueOptions) {
    const base: RedisOptions = { lazyConnect: false, connectTimeout: 5_000 };
    // Adding a job fails fast while Redis is away, so a caller can answer an error instead of hanging.
    this.connection = new Redis(options.redisUrl, { ...base, maxRetriesPerRequest: 1 });
    // Readiness must answer at once: no offline queue, no retries.
    this.health = new Redis(options.redisUrl, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    for (const client of [this.connection, this.health]) client.on('error', (error) => this.reportRedisError(error));
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
      producer = new Queue(queue, { connection: this.connection, prefix: this.options.prefix });
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
    // Workers block on Redis while they wait for jobs, so each needs a connection of its own.
    const workerConnection = this.connection.duplicate({ maxRetriesPerRequest: null });
    workerConnection.on('error', (error) => this.reportRedisError(error));
    this.workerConnections.push(workerConnection);
    const worker = new Worker(
      queue,
      async (bullJob: BullJob) => {
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
        }
      },
      {
        connection: workerConnection,
        prefix: this.options.prefix,
        concurrency: options.concurrency ?? 1,
        autorun: true,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.stalledIntervalMs ?? 30_000,
        maxStalledCount: MAX_STALLED_COUNT,
      },
    );
    worker.on('error', (error) => this.reportRedisError(error));
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
    await new Promise<void>((resolve) => this.health.once('ready', () => resolve()));
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
    const graceful = Promise.all(workers.map((worker) => worker.close())).then(() => true);
    const finished = await withTimeout(graceful, timeoutMs, 'running jobs').catch(() => false);
    if (!finished) {
      // Forced close still talks to Redis; with Redis gone it would wait forever.
      const forced = Promise.all(workers.map((worker) => worker.close(true).catch(() => undefined)));
      await withTimeout(forced, CLOSE_TIMEOUT_MS, 'closing workers').catch(() => undefined);
    }
    return { finished };
  }

  async close(): Promise<void> {
    if (this.workers.size > 0) await this.stopWorkers(0);
    const closing = Promise.all([...this.producers.values()].map((producer) => producer.close().catch(() => undefined)));
    await withTimeout(closing, CLOSE_TIMEOUT_MS, 'closing queues').catch(() =>
      this.options.logger.warn('queue: Redis did not answer while closing; disconnecting anyway'),
    );
    this.producers.clear();
    for (const client of [...this.workerConnections, this.connection, this.health]) client.disconnect();
    this.workerConnections.length = 0;
  }
}
