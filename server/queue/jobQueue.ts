/**
 * The job queue behind one interface, with two backends of the same semantics:
 * BullMQ on Redis (`REDIS_URL` set) and a durable jobs table in the database (embedded default).
 *
 * Semantics both backends keep:
 * - `add` is durable once it resolves: a crash (even SIGKILL) after that does not lose the job.
 * - A job id deduplicates: adding an id that is still known (waiting, delayed, active, or finished
 *   within the retention below) adds nothing.
 * - A failed attempt is retried up to `attempts` times in all, after an exponential backoff with
 *   jitter (`exponentialBackoffMs`); a `PermanentJobError` fails the job at once.
 * - A job whose worker died mid-run (crash, SIGKILL, lost lock) is run again once its lock lapses.
 *   That run is not a failed attempt; but a job interrupted twice fails, so a job that kills its
 *   worker cannot take every worker down in turn (BullMQ's `maxStalledCount` of 1).
 * - Finished jobs are kept for a while: completed 24 hours, failed 7 days (the failed-jobs list).
 */

export interface JobOptions {
  /** Deterministic id for deduplication and idempotent re-runs; no ":" and not a bare integer. */
  jobId?: string;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Exponential backoff: the n-th retry waits about `delayMs * 2^(n-1)` (default 1,000 ms, jitter 0.5). */
  backoff?: { delayMs: number; jitter?: number };
}

export interface Job<Data = unknown> {
  queue: string;
  id: string;
  name: string;
  data: Data;
  /** 1 until an attempt fails, 2 on the first retry, ... (a run cut short by a crash does not count) */
  attempt: number;
  maxAttempts: number;
}

export type JobHandler<Data = unknown> = (job: Job<Data>) => Promise<void>;

export interface WorkOptions {
  /** Jobs of this queue run at once in this process. */
  concurrency?: number;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  attemptsMade: number;
  failedReason: string;
  failedAt: Date | null;
}

export interface StopReport {
  /** False when the timeout ran out with jobs still running; their locks lapse and they run again. */
  finished: boolean;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'database';
  add<Data>(queue: string, name: string, data: Data, options?: JobOptions): Promise<{ id: string }>;
  /** Starts consuming `queue` in this process. */
  work<Data>(queue: string, handler: JobHandler<Data>, options?: WorkOptions): void;
  counts(queue: string): Promise<JobCounts>;
  /** The most recently failed jobs first. */
  failed(queue: string, limit?: number): Promise<FailedJob[]>;
  /** Moves a failed job back to waiting with fresh attempts; false when no such failed job. */
  retryFailed(queue: string, jobId: string): Promise<boolean>;
  ping(timeoutMs?: number): Promise<void>;
  /** Stops taking new jobs and waits up to `timeoutMs` for running ones. */
  stopWorkers(timeoutMs: number): Promise<StopReport>;
  close(): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (bad data, a deleted deal): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

export class InvalidJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF = { delayMs: 1_000, jitter: 0.5 } as const;
export const COMPLETED_RETENTION_SECONDS = 24 * 3600;
export const FAILED_RETENTION_SECONDS = 7 * 24 * 3600;
/** Times a job may be taken back from a dead worker before it fails instead. */
export const MAX_STALLED_COUNT = 1;

/**
 * Delay before the retry that follows `attemptsMade` failed attempts: `delay * 2^(attemptsMade-1)`,
 * lowered by up to `jitter` (a fraction) at random so that retries of many jobs spread out.
 * The same formula as BullMQ's built-in exponential backoff, so both backends wait alike.
 */
export function exponentialBackoffMs(attemptsMade: number, delayMs: number, jitter = 0, random = Math.random): number {
  const maxDelay = Math.round(2 ** Math.max(attemptsMade - 1, 0) * delayMs);
  if (jitter <= 0) return maxDelay;
  const minDelay = maxDelay * (1 - jitter);
  return Math.floor(random() * maxDelay * jitter + minDelay);
}

const queueNamePattern = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ResolvedJobOptions {
  jobId: string | undefined;
  delayMs: number;
  attempts: number;
  backoffDelayMs: number;
  backoffJitter: number;
}

/** Checks a job's queue, id and options the same way for both backends. */
export function resolveJobOptions(queue: string, options: JobOptions = {}): ResolvedJobOptions {
  if (!queueNamePattern.test(queue)) {
    throw new InvalidJobError(`Queue name ${JSON.stringify(queue)} must be 1-64 letters, digits, "_", "." or "-"`);
  }
  const { jobId } = options;
  if (jobId !== undefined && (jobId === '' || jobId.length > 256 || jobId.includes(':') || /^\d+$/.test(jobId))) {
    throw new InvalidJobError(`Job id ${JSON.stringify(jobId)} must be 1-256 characters, without ":", and not a bare integer`);
  }
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const delayMs = options.delayMs ?? 0;
  const backoffDelayMs = options.backoff?.delayMs ?? DEFAULT_BACKOFF.delayMs;
  const backoffJitter = options.backoff?.jitter ?? (options.backoff ? 0 : DEFAULT_BACKOFF.jitter);
  if (!Number.isInteger(attempts) || attempts < 1) throw new InvalidJobError('attempts must be a whole number >= 1');
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new InvalidJobError('delayMs must be >= 0');
  if (!Number.isFinite(backoffDelayMs) || backoffDelayMs < 0) throw new InvalidJobError('backoff.delayMs must be >= 0');
  if (!(backoffJitter >= 0 && backoffJitter <= 1)) throw new InvalidJobError('backoff.jitter must be between 0 and 1');
  return { jobId, delayMs: Math.round(delayMs), attempts, backoffDelayMs: Math.round(backoffDelayMs), backoffJitter };
}
