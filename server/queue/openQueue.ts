import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { BullmqQueue } from './bullmqQueue.js';
import { DatabaseQueue } from './databaseQueue.js';
import type { JobQueue } from './jobQueue.js';
import type { JobRunDeps } from './runJob.js';

const REDIS_STARTUP_WAIT_MS = 5_000;

/** BullMQ when REDIS_URL is set, else the durable jobs table of `db`. */
export async function openQueue(
  config: Pick<Config, 'redisUrl' | 'queuePrefix' | 'queueLockMs'>,
  db: Database,
  deps: JobRunDeps,
): Promise<JobQueue> {
  if (config.redisUrl) {
    const queue = new BullmqQueue({
      ...deps,
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      lockDurationMs: config.queueLockMs,
      stalledIntervalMs: Math.min(config.queueLockMs, 30_000),
    });
    if (!(await queue.waitUntilReady(REDIS_STARTUP_WAIT_MS))) {
      deps.logger.warn(`queue: Redis did not answer within ${REDIS_STARTUP_WAIT_MS} ms; starting anyway, /readyz reports it`);
    }
    return queue;
  }
  return DatabaseQueue.open(db, { ...deps, leaseMs: config.queueLockMs, exclusive: db.kind === 'pglite' });
}
