import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Database } from './database.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite in DATA_DIR. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return openPostgres({
      connectionString: config.databaseUrl,
      onIdleError: (error) => logger.warn('PostgreSQL connection dropped', { error: error.message }),
    });
  }
  return openPglite({ dataDir: config.dataDir });
}
