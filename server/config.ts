/**
 * The one place that reads the environment. Every variable is declared here with its default and
 * meaning (mirrored in `.env.example`), validated once at start; the rest of the code receives a
 * typed, frozen `Config`.
 */
import path from 'node:path';
import Joi from 'joi';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug';

export interface Config {
  /** HTTP port; 0 picks a free one (tests). */
  port: number;
  /** Interface the HTTP server binds to. */
  host: string;
  /** Address the CRMs and websites reach this server at; used in webhook and widget URLs. */
  publicUrl: string;
  /** PostgreSQL connection string; unset means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Redis connection string for BullMQ; unset means the durable jobs table in the database. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key the queue writes, so several installations can share one Redis. */
  queuePrefix: string;
  /** 32-byte key for OAuth tokens at rest (AES-256-GCM); required in production and with DATABASE_URL, else a key file in DATA_DIR (security/tokenCipher.ts). */
  encryptionKey: Buffer | undefined;
  amocrm: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    redirectUri: string | undefined;
    /** Every amoCRM call goes here when set; `{subdomain}` in it is replaced with the account's. */
    baseUrl: string | undefined;
    /** Requests per second to one account, all workers together (amoCRM allows 7). */
    requestsPerSecond: number;
    /** Leads per bulk PATCH and notes per POST. */
    batchSize: number;
    /** A request to amoCRM that has not answered by then counts as failed (and is retried if safe). */
    requestTimeoutMs: number;
  };
  /** How long touched deals collect before one bulk enrichment flush per tenant. */
  enrichmentDelayMs: number;
  /** How often each CRM account lists the deals changed since its last sync (webhooks are best-effort). */
  crmReconcileEveryMs: number;
  bitrix24: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    oauthUrl: string;
    /** Requests per second to one portal, all workers together (the leaky bucket drains 2; Enterprise 5). */
    requestsPerSecond: number;
    /** Requests that may go at once after a quiet period (the bucket holds 50; Enterprise 250). */
    requestBurst: number;
    /** Commands per `batch` request (at most 50). */
    batchSize: number;
    /** How long one REST or OAuth request may take before it counts as failed. */
    requestTimeoutMs: number;
    /** Attach each record's path as a Sales Intelligence trace (`crm.tracking.trace.add`): one more command per record. */
    attachTrace: boolean;
  };
  /** Bearer token of the admin API; unset means the admin API answers 401 to everyone. */
  adminToken: string | undefined;
  /** Embedded database files, generated keys, demo data. */
  dataDir: string;
  logLevel: LogLevel;
  nodeEnv: NodeEnv;
  /** How long SIGTERM waits for in-flight requests and jobs before closing anyway. */
  shutdownTimeoutMs: number;
  /** Jobs a worker process runs at once per queue. */
  workerConcurrency: number;
  /** A running job's lock: a job whose worker died runs again this long after its last renewal. */
  queueLockMs: number;
  /** Tracker hits one client IP may send per minute to /collect (per server process). */
  collectIpLimitPerMinute: number;
  /** Tracker hits one site may send per second to /collect (per server process). */
  collectSiteLimitPerSecond: number;
  /** Which proxies' X-Forwarded-For is believed for the client address (Express "trust proxy"). */
  trustProxy: string | number | boolean;
  /** The first-run demo (server/demo/): `auto` runs it on `start` when no CRM is configured; `off` never. */
  demo: { mode: 'auto' | 'off'; historyDays: number; sitePort: number | undefined };
  /** A tracking number stays with its visit this long after the visit's last hit. */
  numberLeaseGraceMs: number;
  /** A released tracking number rests this long before another visit gets it. */
  numberCooldownMs: number;
  /** A deal the CRM's own telephony created for a caller this close to the call is the call's deal. */
  callDealWindowMs: number;
}

/** Thrown by `loadConfig`; its message names every bad variable and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const url = (schemes: string[]) => Joi.string().trim().uri({ scheme: schemes });

const schema = Joi.object({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: Joi.string().trim().hostname().default('0.0.0.0'),
  PUBLIC_URL: url(['http', 'https']),
  DATABASE_URL: url(['postgres', 'postgresql']),
  REDIS_URL: url(['redis', 'rediss']),
  QUEUE_PREFIX: Joi.string().trim().pattern(/^[A-Za-z0-9_.-]{1,64}$/).default('longfunnel')
    .messages({ 'string.pattern.base': '"QUEUE_PREFIX" must be 1-64 letters, digits, "_", "." or "-"' }),
  ENCRYPTION_KEY: Joi.string().trim().pattern(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/).messages({
    'string.pattern.base':
      '"ENCRYPTION_KEY" must be 32 bytes written as 64 hex characters or 44 base64 characters (openssl rand -hex 32)',
  }),
  AMOCRM_CLIENT_ID: Joi.string().trim(),
  AMOCRM_CLIENT_SECRET: Joi.string().trim(),
  AMOCRM_REDIRECT_URI: url(['http', 'https']),
  AMOCRM_BASE_URL: Joi.string()
    .trim()
    .custom((value: string, helpers) => {
      // `{subdomain}` is a placeholder, not part of a URL: check the URL with it filled in.
      try {
        const parsed = new URL(value.replaceAll('{subdomain}', 'account'));
        if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value;
      } catch {
        // reported below
      }
      return helpers.error('string.uriCustomScheme', { scheme: 'http, https' });
    }),
  AMOCRM_REQUESTS_PER_SECOND: Joi.number().min(0.1).max(50).default(7),
  AMOCRM_BATCH_SIZE: Joi.number().integer().min(1).max(250).default(50),
  AMOCRM_REQUEST_TIMEOUT_MS: Joi.number().integer().min(500).max(120_000).default(15_000),
  ENRICHMENT_DELAY_MS: Joi.number().integer().min(0).max(600_000).default(2_000),
  CRM_RECONCILE_EVERY_MS: Joi.number().integer().min(1_000).max(86_400_000).default(600_000),
  BITRIX24_CLIENT_ID: Joi.string().trim(),
  BITRIX24_CLIENT_SECRET: Joi.string().trim(),
  BITRIX24_OAUTH_URL: url(['http', 'https']).default('https://oauth.bitrix.info'),
  BITRIX24_REQUESTS_PER_SECOND: Joi.number().min(0.1).max(50).default(2),
  BITRIX24_REQUEST_BURST: Joi.number().integer().min(1).max(250).default(40),
  BITRIX24_BATCH_SIZE: Joi.number().integer().min(2).max(50).default(50),
  BITRIX24_REQUEST_TIMEOUT_MS: Joi.number().integer().min(500).max(120_000).default(30_000),
  BITRIX24_ATTACH_TRACE: Joi.boolean().default(true),
  ADMIN_TOKEN: Joi.string().trim().min(16).messages({
    'string.min': '"ADMIN_TOKEN" must be at least 16 characters (openssl rand -hex 24)',
  }),
  DATA_DIR: Joi.string().trim().default('./data'),
  LOG_LEVEL: Joi.string().trim().valid('error', 'warn', 'info', 'http', 'debug').default('info'),
  NODE_ENV: Joi.string().trim().valid('development', 'production', 'test').default('development'),
  SHUTDOWN_TIMEOUT_MS: Joi.number().integer().min(0).max(600_000).default(10_000),
  WORKER_CONCURRENCY: Joi.number().integer().min(1).max(256).default(4),
  QUEUE_LOCK_MS: Joi.number().integer().min(1_000).max(3_600_000).default(30_000),
  COLLECT_IP_LIMIT_PER_MINUTE: Joi.number().integer().min(1).default(600),
  COLLECT_SITE_LIMIT_PER_SECOND: Joi.number().integer().min(1).default(1_000),
  TRUST_PROXY: Joi.string().trim().default('loopback, linklocal, uniquelocal'),
  DEMO: Joi.string().trim().lowercase().valid('auto', 'off').default('auto'),
  DEMO_HISTORY_DAYS: Joi.number().integer().min(1).max(120).default(60),
  DEMO_SITE_PORT: Joi.number().integer().min(0).max(65535),
  NUMBER_LEASE_GRACE_MS: Joi.number().integer().min(1_000).max(86_400_000).default(900_000),
  NUMBER_COOLDOWN_MS: Joi.number().integer().min(0).max(86_400_000).default(600_000),
  CALL_DEAL_WINDOW_MS: Joi.number().integer().min(0).max(86_400_000).default(600_000),
})
  // Tokens are only safe at rest when the key lives outside the database it protects.
  .when(Joi.object({ NODE_ENV: Joi.valid('production').required() }).unknown(), {
    then: Joi.object({ ENCRYPTION_KEY: Joi.required() }),
  })
  .when(Joi.object({ DATABASE_URL: Joi.exist() }).unknown(), {
    then: Joi.object({ ENCRYPTION_KEY: Joi.required() }),
  })
  // Tags, webhooks and widget URLs are built from it: a default of localhost would be handed out.
  .when(Joi.object({ NODE_ENV: Joi.valid('production').required() }).unknown(), {
    then: Joi.object({ PUBLIC_URL: Joi.required() }),
  })
  .and('AMOCRM_CLIENT_ID', 'AMOCRM_CLIENT_SECRET')
  .and('BITRIX24_CLIENT_ID', 'BITRIX24_CLIENT_SECRET')
  .messages({ 'object.and': '{{#presentWithLabels}} must be set together with {{#missingWithLabels}}' })
  .unknown(true);

const declaredVariables = Object.keys(schema.describe().keys ?? {});

/** Environment variables this module understands (for docs and tests). */
export function configVariableNames(): string[] {
  return [...declaredVariables];
}

/** `true`/`false`, a hop count, or a list of addresses, subnets and names as Express takes them. */
function parseTrustProxy(value: string): string | number | boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

function parseKey(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

function blankToUndefined(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of declaredVariables) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') picked[name] = value;
  }
  return picked;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = schema.validate(blankToUndefined(env), {
    abortEarly: false,
    convert: true,
    errors: { wrap: { label: '"' } },
    messages: {
      'any.required': '{{#label}} is required when NODE_ENV=production (ENCRYPTION_KEY also when DATABASE_URL is set)',
    },
  });
  if (error) {
    throw new ConfigError(error.details.map((detail) => describeProblem(detail, env)));
  }
  const port: number = value.PORT;
  return Object.freeze({
    port,
    host: value.HOST,
    publicUrl: (value.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    databaseUrl: value.DATABASE_URL,
    redisUrl: value.REDIS_URL,
    queuePrefix: value.QUEUE_PREFIX,
    encryptionKey: parseKey(value.ENCRYPTION_KEY),
    amocrm: Object.freeze({
      clientId: value.AMOCRM_CLIENT_ID,
      clientSecret: value.AMOCRM_CLIENT_SECRET,
      redirectUri: value.AMOCRM_REDIRECT_URI,
      baseUrl: value.AMOCRM_BASE_URL?.replace(/\/+$/, ''),
      requestsPerSecond: value.AMOCRM_REQUESTS_PER_SECOND,
      batchSize: value.AMOCRM_BATCH_SIZE,
      requestTimeoutMs: value.AMOCRM_REQUEST_TIMEOUT_MS,
    }),
    enrichmentDelayMs: value.ENRICHMENT_DELAY_MS,
    crmReconcileEveryMs: value.CRM_RECONCILE_EVERY_MS,
    bitrix24: Object.freeze({
      clientId: value.BITRIX24_CLIENT_ID,
      clientSecret: value.BITRIX24_CLIENT_SECRET,
      oauthUrl: value.BITRIX24_OAUTH_URL.replace(/\/+$/, ''),
      requestsPerSecond: value.BITRIX24_REQUESTS_PER_SECOND,
      requestBurst: value.BITRIX24_REQUEST_BURST,
      batchSize: value.BITRIX24_BATCH_SIZE,
      requestTimeoutMs: value.BITRIX24_REQUEST_TIMEOUT_MS,
      attachTrace: value.BITRIX24_ATTACH_TRACE,
    }),
    adminToken: value.ADMIN_TOKEN,
    dataDir: path.resolve(value.DATA_DIR),
    logLevel: value.LOG_LEVEL,
    nodeEnv: value.NODE_ENV,
    shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
    workerConcurrency: value.WORKER_CONCURRENCY,
    queueLockMs: value.QUEUE_LOCK_MS,
    collectIpLimitPerMinute: value.COLLECT_IP_LIMIT_PER_MINUTE,
    collectSiteLimitPerSecond: value.COLLECT_SITE_LIMIT_PER_SECOND,
    trustProxy: parseTrustProxy(value.TRUST_PROXY),
    demo: Object.freeze({ mode: value.DEMO, historyDays: value.DEMO_HISTORY_DAYS, sitePort: value.DEMO_SITE_PORT }),
    numberLeaseGraceMs: value.NUMBER_LEASE_GRACE_MS,
    numberCooldownMs: value.NUMBER_COOLDOWN_MS,
    callDealWindowMs: value.CALL_DEAL_WINDOW_MS,
  });
}

const secretVariables = new Set(['ENCRYPTION_KEY', 'AMOCRM_CLIENT_SECRET', 'BITRIX24_CLIENT_SECRET', 'ADMIN_TOKEN']);

/** `scheme://user:password@host` -> `scheme://user:***@host`: connection strings carry passwords. */
function withoutUrlPassword(value: string): string {
  // Everything up to the last "@" is credentials; a password may itself hold "/", ":" or "@".
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:).*@/i, '$1***@');
}

function describeProblem(detail: Joi.ValidationErrorItem, env: NodeJS.ProcessEnv): string {
  const name = String(detail.path[0] ?? detail.context?.key ?? '');
  const raw = env[name];
  // A secret's value must not reach a terminal or a log, even when it is wrong.
  const got = raw === undefined || secretVariables.has(name) ? '' : ` (got ${JSON.stringify(withoutUrlPassword(raw))})`;
  return `${detail.message}${got}`;
}
