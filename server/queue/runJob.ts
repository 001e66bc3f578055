/**
 * Runs one attempt of a job the same way on both backends: inside the job's log context (job id,
 * queue, tenant), timed, counted by outcome, and logged once at the end.
 */
import { runWithContext } from '../observability/context.js';
import { errorMeta, type Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { PermanentJobError, type Job, type JobHandler } from './jobQueue.js';

export interface JobRunDeps {
  logger: Logger;
  metrics: Metrics;
}

export type AttemptOutcome = 'completed' | 'retried' | 'failed';

function tenantOf(data: unknown): string | undefined {
  if (data && typeof data === 'object' && 'tenantId' in data) {
    const tenant = (data as { tenantId: unknown }).tenantId;
    if (typeof tenant === 'string' || typeof tenant === 'number') return String(tenant);
  }
  return undefined;
}

/** Resolves with the outcome; the error of a failed attempt is rethrown for the backend to act on. */
export async function runJobAttempt<Data>(job: Job<Data>, handler: JobHandler<Data>, deps: JobRunDeps): Promise<void> {
  const tenant = tenantOf(job.data);
  return runWithContext({ jobId: job.id, queue: job.queue, ...(tenant ? { tenant } : {}) }, async () => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      await handler(job);
      deps.metrics.jobDuration.observe({ queue: job.queue }, seconds());
      deps.metrics.jobOutcomes.inc({ queue: job.queue, outcome: 'completed' });
      deps.logger.info('job completed', { job: job.name, attempt: job.attempt, durationMs: Math.round(seconds() * 1000) });
    } catch (error) {
      deps.metrics.jobDuration.observe({ queue: job.queue }, seconds());
      const final = error instanceof PermanentJobError || job.attempt >= job.maxAttempts;
      const outcome: AttemptOutcome = final ? 'failed' : 'retried';
      deps.metrics.jobOutcomes.inc({ queue: job.queue, outcome });
      deps.logger.log(final ? 'error' : 'warn', final ? 'job failed' : 'job attempt failed, will retry', {
        job: job.name,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        ...errorMeta(error),
      });
      throw error;
    }
  });
}
