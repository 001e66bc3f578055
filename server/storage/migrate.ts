import type { Database } from './database.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

// Any fixed number works; it only has to be the same in every process of an installation.
const MIGRATION_LOCK_ID = 4_201_877_311;

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies the migrations not yet applied, all in one transaction (a failed one leaves the schema as
 * it was). Several processes may start at once against one PostgreSQL: an advisory lock lets one
 * migrate while the others wait, then find nothing left to do.
 */
export async function migrate(db: Database, migrations: readonly Migration[] = allMigrations): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set((await tx.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((row) => row.id));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      applied.push(migration.id);
    }
    return { applied, alreadyApplied: done.size };
  });
}
