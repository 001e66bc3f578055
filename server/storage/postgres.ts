import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';
import { withTimeout } from './database.js';

export interface PostgresOptions {
  connectionString: string;
  maxConnections?: number;
  /** Called for errors on idle pooled connections (a restarted server), which would otherwise crash. */
  onIdleError?: (error: Error) => void;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A statement stuck behind a lock fails instead of holding its connection (and its callers) forever.
    statement_timeout: 30_000,
    lock_timeout: 10_000,
  });
  pool.on('error', (error) => options.onIdleError?.(error));

  const run = async <Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<Row>> => {
    const result = options?.prepareAs
      ? await client.query({ name: options.prepareAs, text: sql, values: params as unknown[] | undefined })
      : await client.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    query: (sql, params, options) => run(pool, sql, params, options),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: (sql, params, options) => run(client, sql, params, options),
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        const result = await work(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async ping(timeoutMs = 2_000) {
      await withTimeout(pool.query('SELECT 1'), timeoutMs, 'PostgreSQL');
    },
    async close() {
      await pool.end();
    },
  };
}
