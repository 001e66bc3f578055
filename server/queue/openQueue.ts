import type { Config } from '../config.js';
import type { Database } from '../storage/database.js';
import { BullmqQueue } from './bullmqQueue.js';
import { DatabaseQueue } from './databaseQueue.js';
import type { JobQueue } from './jobQueue.js';
import type { JobRunDeps } from './runJob.js';

/** BullMQ when REDIS_URL is set, else the durable jobs table of `db`. */
export async function openQueue(
  config: Pick<Config, 'redisUrl' | 'queuePrefix'>,
  db: Database,
  deps: JobRunDeps,
): Promise<JobQueue> {
  if (config.redisUrl) return new BullmqQueue({ ...deps, redisUrl: config.redisUrl, prefix: config.queuePrefix });
  return DatabaseQueue.open(db, { ...deps, exclusive: db.kind === 'pglite' });
}
