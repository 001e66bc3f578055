/**
 * `longfunnel <command>`: the one entry for operators. `start` runs the HTTP server and the workers
 * in one process (the embedded default); `server` and `worker` run one role each, for scale-out;
 * `migrate` applies the database migrations and exits.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { AppError } from './errors.js';
import { createLogger, errorMeta, type Logger } from './observability/logger.js';
import { startRuntime, type Feature, type Role } from './runtime.js';
import { runUntilSignalled } from './runUntilSignalled.js';
import { migrate } from './storage/migrate.js';
import { openDatabase } from './storage/openDatabase.js';
import { EmbeddedDatabaseBusyError } from './storage/pglite.js';
import { runEmulatorCommand } from './emulatorCommand.js';
import { runDemoCommand, startRunsDemo } from './demo/demoCommand.js';
import { runAttributionCommand } from './attributionCommand.js';
import { classifyVisit, sourceColumns } from './tracking/classification/index.js';
import { siteJson } from './tracking/sites/siteRoutes.js';
import { createSite } from './tracking/sites/siteStore.js';

const usage = `Usage: longfunnel <command>

Commands:
  start      HTTP server and queue workers in one process (default setup); with no CRM configured
             (and DEMO not off) it runs the demo instead
  server     the HTTP server only (scale-out: needs DATABASE_URL, so that workers see its jobs)
  worker     the queue workers only, with /healthz, /readyz and /metrics on PORT
  migrate    apply database migrations and exit
  site add --domain example.com [--tenant ID] [--hosts a.com,b.com] [--cookie-domain example.com]
             create a tracked site and print its key and tag as JSON
  classify   read JSON lines {"url", "referrer", "site_hosts"} on stdin, write one traffic source per line
  attribution --input paths.csv
             attribute aggregated paths (path;total_conversions;total_conversion_value;total_null) to
             channels: first, last, linear and Markov conversions and value as CSV on stdout
  emulator amocrm [--port N] [--account demo] [--redirect-uri URL]
             run the amoCRM emulator on 127.0.0.1 with one account; prints its details as JSON
  emulator bitrix24 [--port N] [--account demo] [--install-url URL] [--redirect-uri URL]
             run the Bitrix24 emulator on 127.0.0.1 with one portal and a local app; prints its details as JSON
  demo [--reset]
             the first-run demo: emulated amoCRM and Bitrix24, demo sites and generated traffic, with
             its data in DATA_DIR/demo (--reset: start over)
  help       this text

Configuration comes from the environment (and ./.env when present); see .env.example.`;

function loadDotEnv(): void {
  // Variables already in the environment win over the file, as operators expect.
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`longfunnel: ${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function runRole(role: Role, config: Config, logger: Logger, features: readonly Feature[]): Promise<void> {
  await runUntilSignalled(logger, 'process', () => startRuntime({ config, role, features, logger }));
}

async function runMigrate(config: Config, logger: Logger): Promise<void> {
  const db = await openDatabase(config, logger);
  try {
    const report = await migrate(db);
    logger.info(report.applied.length ? 'migrations applied' : 'the database is up to date', {
      applied: report.applied,
      database: db.kind,
    });
  } finally {
    await db.close();
  }
}

async function runSiteAdd(argv: string[], config: Config, logger: Logger): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      domain: { type: 'string' },
      tenant: { type: 'string' },
      hosts: { type: 'string' },
      'cookie-domain': { type: 'string' },
    },
  });
  if (!values.domain) {
    process.stderr.write('longfunnel site add: --domain is required, e.g. --domain example.com\n');
    process.exit(2);
  }
  let db;
  try {
    db = await openDatabase(config, logger);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseBusyError) {
      throw new EmbeddedDatabaseBusyError(error.dataDir, error.ownerPid, 'POST /api/v1/sites with the admin token');
    }
    throw error;
  }
  try {
    await migrate(db);
    const site = await createSite(db, {
      domain: values.domain,
      ...(values.tenant ? { tenantId: values.tenant } : {}),
      ...(values.hosts ? { extraHosts: values.hosts.split(',').map((host) => host.trim()).filter(Boolean) } : {}),
      ...(values['cookie-domain'] ? { cookieDomain: values['cookie-domain'] } : {}),
    });
    process.stdout.write(`${JSON.stringify(siteJson(site, config.publicUrl))}\n`);
  } catch (error) {
    if (error instanceof AppError) {
      process.stderr.write(`longfunnel site add: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    await db.close();
  }
}

/** One JSON line in, one out, in order; a bad line answers `{"error": ...}` and the exit code is 1. */
async function runClassify(): Promise<void> {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let input: { url?: unknown; referrer?: unknown; site_hosts?: unknown };
    try {
      input = JSON.parse(line) as typeof input;
      if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Error('a line must be a JSON object');
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ error: `not a JSON object: ${(error as Error).message}` })}\n`);
      process.exitCode = 1;
      continue;
    }
    const source = classifyVisit({
      url: typeof input.url === 'string' ? input.url : null,
      referrer: typeof input.referrer === 'string' ? input.referrer : null,
      siteHosts: Array.isArray(input.site_hosts) ? input.site_hosts.filter((host): host is string => typeof host === 'string') : [],
    });
    process.stdout.write(`${JSON.stringify(sourceColumns(source))}\n`);
  }
}

/** Runs one command line; the process keeps running for `start`, `server` and `worker`. */
export async function runCommandLine(argv: string[], features: readonly Feature[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const command = positionals[0] ?? 'help';
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (command === 'classify') {
    await runClassify();
    return;
  }
  if (command === 'attribution') {
    runAttributionCommand(argv.slice(1));
    return;
  }
  if (command === 'emulator') {
    await runEmulatorCommand(argv.slice(1));
    return;
  }
  const siteAdd = command === 'site' && positionals[1] === 'add';
  if (!['start', 'server', 'worker', 'migrate', 'demo'].includes(command) && !siteAdd) {
    process.stderr.write(`longfunnel: unknown command ${JSON.stringify(command)}\n\n${usage}\n`);
    process.exit(2);
  }
  loadDotEnv();
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel, nodeEnv: config.nodeEnv });
  try {
    if (command === 'migrate') {
      await runMigrate(config, logger);
      return;
    }
    if (siteAdd) {
      await runSiteAdd(argv.slice(2), config, logger);
      return;
    }
    if (command === 'demo' || (command === 'start' && startRunsDemo(config))) {
      await runDemoCommand(config, logger, features, argv.includes('--reset'));
      return;
    }
    await runRole(command === 'start' ? 'all' : (command as Role), config, logger, features);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseBusyError) {
      logger.error(error.message);
    } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      logger.error(`Port ${config.port} is already in use: stop what listens there or set PORT`);
    } else {
      logger.error('could not start', errorMeta(error));
    }
    process.exit(1);
  }
}
