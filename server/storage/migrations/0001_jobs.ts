import type { Migration } from './index.js';

/** The durable job queue used when no REDIS_URL is set (see server/queue/databaseQueue.ts). */
export const m0001JobsTable: Migration = {
  id: '0001_jobs',
  sql: `
    CREATE TABLE jobs (
      queue          text        NOT NULL,
      id             text        NOT NULL,
      name           text        NOT NULL,
      data           jsonb       NOT NULL,
      state          text        NOT NULL CHECK (state IN ('waiting', 'active', 'completed', 'failed')),
      attempts_made  integer     NOT NULL DEFAULT 0,
      stalled_count  integer     NOT NULL DEFAULT 0,
      max_attempts   integer     NOT NULL CHECK (max_attempts >= 1),
      backoff_ms     integer     NOT NULL CHECK (backoff_ms >= 0),
      backoff_jitter real        NOT NULL DEFAULT 0 CHECK (backoff_jitter BETWEEN 0 AND 1),
      run_at         timestamptz NOT NULL,
      locked_by      text,
      locked_until   timestamptz,
      failed_reason  text,
      created_at     timestamptz NOT NULL DEFAULT now(),
      finished_at    timestamptz,
      PRIMARY KEY (queue, id)
    );
    CREATE INDEX jobs_ready ON jobs (queue, run_at) WHERE state = 'waiting';
    CREATE INDEX jobs_leases ON jobs (locked_until) WHERE state = 'active';
    CREATE INDEX jobs_finished ON jobs (queue, state, finished_at) WHERE state IN ('completed', 'failed');
  `,
};
