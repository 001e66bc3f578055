/**
 * Assembles one process: storage, migrations, queue, then the HTTP server and/or the workers of every
 * feature, and takes them apart again in order on shutdown. The CLI and the tests both start the
 * product through `startRuntime`, so they run the same thing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import { Redis } from 'ioredis';
import type { Config } from './config.js';
import { createApp } from './http/app.js';
import { withFastRoutes, type FastRoute } from './http/fastRoutes.js';
import { healthRoutes } from './http/routes/health.js';
import { createLogger, errorMeta, type Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import type { JobHandler, JobQueue } from './queue/jobQueue.js';
import { redisOptionsFromUrl } from './queue/bullmqQueue.js';
import { openQueue } from './queue/openQueue.js';
import { identityKeyOf, type IdentityKey } from './crm/identities.js';
import { resolveEncryptionKey, TokenCipher } from './security/tokenCipher.js';
import type { Database } from './storage/database.js';
import { withTimeout } from './storage/database.js';
import { migrate } from './storage/migrate.js';
import { openDatabase } from './storage/openDatabase.js';

export type Role = 'all' | 'server' | 'worker';

export interface FeatureDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  db: Database;
  queue: JobQueue;
  /** Every queue the features declare, worked on here or not (for metrics and the admin API). */
  queueNames: readonly string[];
  /** Seals CRM tokens at rest (ENCRYPTION_KEY, or the embedded key file). */
  cipher: TokenCipher;
  /** Shared state between processes (CRM request pacing) when REDIS_URL is set. */
  redis: Redis | undefined;
  /** Key of the phone and e-mail digests used for matching (derived from the encryption key). */
  identityKey: IdentityKey;
}

export interface WorkerRegistration {
  queue: string;
  handler: JobHandler<never>;
  /** Defaults to WORKER_CONCURRENCY. */
  concurrency?: number;
}

/** A slice of the product: the routes it serves and the queues it works on. */
export interface Feature {
  name: string;
  /** Queues this feature adds jobs to or works on. */
  queues?: readonly string[];
  routers?(deps: FeatureDeps): Router[];
  /** Hot routes served on node:http before Express (http/fastRoutes.ts); keep this for the few that need it. */
  fastRoutes?(deps: FeatureDeps): FastRoute[];
  workers?(deps: FeatureDeps): WorkerRegistration[];
  /** Facts for /readyz under the feature's name; they inform and never make the process unready. */
  readiness?(deps: FeatureDeps): Promise<Record<string, unknown>>;
}

export interface RuntimeOptions {
  config: Config;
  role: Role;
  features: readonly Feature[];
  logger?: Logger;
}

export interface Runtime {
  readonly deps: FeatureDeps;
  /** The bound HTTP address (every role serves at least /healthz, /readyz and /metrics). */
  readonly url: string;
  /** What the HTTP server serves (the API reference is checked against it). */
  readonly served: { readonly routers: readonly Router[]; readonly fastRoutes: readonly FastRoute[] };
  /** Graceful stop; resolves when everything is closed. Safe to call twice. */
  stop(reason: string): Promise<{ clean: boolean }>;
}

function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Bitrix24 posts one event per record at once, never again (bitrix24.md 2.2): a burst of
    // thousands of connections must wait in the kernel's queue rather than be refused (default 511).
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting connections and waits for in-flight requests; idle keep-alive sockets are closed at once. */
async function closeHttpServer(server: http.Server, timeoutMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  try {
    return await withTimeout(closed, timeoutMs, 'in-flight requests').then(() => true, () => false);
  } finally {
    clearInterval(idleSweep);
    server.closeAllConnections();
  }
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, role } = options;
  if (role !== 'all' && !config.databaseUrl) {
    throw new Error(
      `"longfunnel ${role}" runs one role of several processes, and they can only share work through PostgreSQL: ` +
        'set DATABASE_URL (and REDIS_URL for the queue), or run "longfunnel start" for both roles in one process',
    );
  }
  const logger = options.logger ?? createLogger({ level: config.logLevel, nodeEnv: config.nodeEnv });
  const metrics = new Metrics();

  const encryptionKey = resolveEncryptionKey(config.encryptionKey, config.dataDir);
  if (encryptionKey.origin === 'generated') {
    logger.warn('no ENCRYPTION_KEY: generated one for CRM tokens at rest; back it up with the data directory', { keyFile: encryptionKey.keyFile });
  }
  const cipher = new TokenCipher(encryptionKey.key);
  const db = await openDatabase(config, logger);
  let queue: JobQueue | undefined;
  try {
    const report = await migrate(db);
    if (report.applied.length > 0) logger.info('database migrated', { applied: report.applied });
    queue = await openQueue(config, db, { logger, metrics });
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  const redis = config.redisUrl
    ? new Redis({ ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: 3, enableOfflineQueue: true })
    : undefined;
  redis?.on('error', (error) => logger.warn('redis connection trouble', errorMeta(error)));
  const queueNames = [...new Set(options.features.flatMap((feature) => feature.queues ?? []))];
  const deps: FeatureDeps = { config, logger, metrics, db, queue, queueNames, cipher, redis, identityKey: identityKeyOf(cipher) };
  metrics.watchQueueDepth({
    async depths() {
      const rows: Array<{ queue: string; state: string; count: number }> = [];
      for (const name of queueNames) {
        const counts = await deps.queue.counts(name);
        for (const [state, count] of Object.entries(counts)) {
          if (state !== 'completed') rows.push({ queue: name, state, count });
        }
      }
      return rows;
    },
  });

  if (role !== 'server') {
    for (const feature of options.features) {
      for (const registration of feature.workers?.(deps) ?? []) {
        if (!feature.queues?.includes(registration.queue)) {
          throw new Error(`Feature ${feature.name} works on queue ${registration.queue} without declaring it`);
        }
        queue.work(registration.queue, registration.handler as JobHandler<unknown>, {
          concurrency: registration.concurrency ?? config.workerConcurrency,
        });
      }
    }
  }

  let shuttingDown = false;
  const routers = [
    healthRoutes({
      db,
      queue,
      metrics,
      isShuttingDown: () => shuttingDown,
      readinessDetails: async () => {
        const details: Record<string, unknown> = { role };
        for (const feature of options.features) {
          if (feature.readiness) details[feature.name] = await feature.readiness(deps);
        }
        return details;
      },
    }),
  ];
  const fastRoutes: FastRoute[] = [];
  if (role !== 'worker') {
    for (const feature of options.features) {
      routers.push(...(feature.routers?.(deps) ?? []));
      fastRoutes.push(...(feature.fastRoutes?.(deps) ?? []));
    }
  }
  const app = createApp({ trustProxy: config.trustProxy, logger, metrics, routers });
  const server = http.createServer(withFastRoutes(app, fastRoutes, { logger, metrics }));
  server.keepAliveTimeout = 65_000;
  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (error) {
    await queue.close().catch(() => undefined);
    redis?.disconnect();
    await db.close().catch(() => undefined);
    throw error;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? 'localhost' : host}:${address.port}`;
  logger.info('LongFunnel started', {
    role,
    url,
    database: db.kind,
    queue: queue.kind,
    queues: role === 'server' ? [] : queueNames,
  });

  let stopping: Promise<{ clean: boolean }> | undefined;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      shuttingDown = true;
      logger.info('shutting down', { reason, timeoutMs: config.shutdownTimeoutMs });
      const [requestsFinished, jobs] = await Promise.all([
        closeHttpServer(server, config.shutdownTimeoutMs),
        deps.queue.stopWorkers(config.shutdownTimeoutMs),
      ]);
      if (!requestsFinished) logger.warn('shutdown: requests still running at the timeout were cut off');
      if (!jobs.finished) logger.warn('shutdown: jobs still running at the timeout will run again after their lock lapses');
      await deps.queue.close().catch((error) => logger.error('shutdown: closing the queue failed', errorMeta(error)));
      if (redis) await withTimeout(redis.quit(), 2_000, 'closing Redis').catch(() => redis.disconnect());
      await withTimeout(db.close(), 5_000, 'closing the database').catch((error) =>
        logger.error('shutdown: closing the database failed', errorMeta(error)),
      );
      logger.info('stopped', { requestsFinished, jobsFinished: jobs.finished });
      return { clean: requestsFinished && jobs.finished };
    })();
    return stopping;
  };

  return { deps, url, served: { routers, fastRoutes }, stop };
}
