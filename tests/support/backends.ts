/**
 * The two setups every component test runs on: the embedded defaults (PGlite + jobs table) and
 * production's PostgreSQL + Redis (BullMQ). `LF_TEST_BACKENDS=embedded` (or `postgres+redis`) runs
 * one of them; the default is both. Each prepared backend is fresh: its own temp DATA_DIR, its own
 * PostgreSQL database, its own Redis key prefix.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { assertTestDatabaseName, assertTestRedisPrefix } from './databaseGuard.js';

export type BackendName = 'embedded' | 'postgres+redis';

export const ALL_BACKENDS: readonly BackendName[] = ['embedded', 'postgres+redis'];

export function testBackends(): BackendName[] {
  const wanted = process.env.LF_TEST_BACKENDS;
  if (!wanted) return [...ALL_BACKENDS];
  const names = wanted.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!ALL_BACKENDS.includes(name as BackendName)) throw new Error(`LF_TEST_BACKENDS: unknown backend ${name}`);
  }
  return names as BackendName[];
}

export const testAdminDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface PreparedBackend {
  name: BackendName;
  /** Environment for `loadConfig` or a child process. */
  env: Record<string, string>;
  dataDir: string;
  cleanup(): Promise<void>;
}

function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function dropTestDatabase(database: string): Promise<void> {
  assertTestDatabaseName(database);
  const admin = new pg.Client({ connectionString: testAdminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  assertTestRedisPrefix(prefix);
  const redis = new Redis(testRedisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function prepareBackend(name: BackendName, extraEnv: Record<string, string> = {}): Promise<PreparedBackend> {
  const suffix = randomBytes(5).toString('hex');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'longfunnel-test-'));
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ...extraEnv,
  };
  if (name === 'embedded') {
    return { name, env, dataDir, cleanup: () => fs.rm(dataDir, { recursive: true, force: true }) };
  }
  const database = `longfunnel_test_${suffix}`;
  const prefix = `longfunnel_test_${suffix}`;
  const admin = new pg.Client({ connectionString: testAdminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  env.DATABASE_URL = databaseUrlFor(testAdminDatabaseUrl, database);
  env.REDIS_URL = testRedisUrl;
  env.QUEUE_PREFIX = prefix;
  Object.assign(env, extraEnv);
  return {
    name,
    env,
    dataDir,
    async cleanup() {
      await dropTestDatabase(database);
      await deleteRedisKeys(prefix);
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
