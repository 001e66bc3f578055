/**
 * The embedded database: PGlite with its files in `DATA_DIR/pgdata`. It belongs to one process, so
 * opening it takes a pid lock file; a second process on the same directory gets a clear refusal
 * instead of corrupting it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';
import { withTimeout } from './database.js';

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
    /** What to do instead while that process runs, e.g. the HTTP API doing the same. */
    alternative = 'its HTTP API',
  ) {
    super(
      `The embedded database in ${dataDir} is already open in process ${ownerPid}. ` +
        `Only one process may open it: stop that process (or use ${alternative}), ` +
        'or set DATABASE_URL to PostgreSQL to run several processes.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory's lock for this process; returns the function that gives it back. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'embedded-db.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      // Two processes that both found a stale lock may both get here; only the last writer keeps it.
      const owner = Number.parseInt(fs.readFileSync(lockPath, 'utf8').trim(), 10);
      if (owner !== process.pid) throw new EmbeddedDatabaseBusyError(dataDir, owner);
      return () => {
        if (fs.existsSync(lockPath) && fs.readFileSync(lockPath, 'utf8').trim() === String(process.pid)) fs.rmSync(lockPath);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const ownerPid = Number.parseInt(fs.readFileSync(lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(ownerPid) && ownerPid !== process.pid && processIsAlive(ownerPid)) {
        throw new EmbeddedDatabaseBusyError(dataDir, ownerPid);
      }
      // The owner died without closing (crash, SIGKILL): the lock is stale.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

export interface PgliteOptions {
  dataDir: string;
}

export async function openPglite(options: PgliteOptions): Promise<Database> {
  const unlock = lockDataDir(options.dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(path.join(options.dataDir, 'pgdata'));
  } catch (error) {
    unlock();
    throw error;
  }

  const run = async <Row>(target: Pick<PGlite, 'query'>, sql: string, params?: unknown[]): Promise<QueryResult<Row>> => {
    const result = await target.query<Row>(sql, params as unknown[] | undefined);
    return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
  };

  let closed = false;
  return {
    kind: 'pglite',
    query: (sql, params) => run(db, sql, params),
    exec: async (sql) => {
      await db.exec(sql);
    },
    transaction: (work) =>
      db.transaction(async (transaction) => {
        const tx: Queryable = {
          query: (sql, params) => run(transaction, sql, params),
          exec: async (sql) => {
            await transaction.exec(sql);
          },
        };
        return work(tx);
      }),
    async ping(timeoutMs = 2_000) {
      if (closed) throw new Error('The embedded database is closed');
      await withTimeout(db.query('SELECT 1'), timeoutMs, 'The embedded database');
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
}
