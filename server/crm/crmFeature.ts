/**
 * The CRM half of the long funnel, for every CRM adapter plugged in:
 * - webhook bodies are stored and queued (`crm-inbox`); a worker reads them — all of a tenant's
 *   waiting ones at once — into stage changes, deletions and a per-tenant set of touched deals;
 * - one debounced flush per tenant (`crm-enrich`) claims touched deals in bulk batches and enriches
 *   them (two batches in flight, so the account's request slots never sit idle);
 * - install set-up (`crm-setup`): fields, webhook subscription, stages, and the history import;
 * - a sweep (`crm-sweep`, every minute) reconciles each account whose last sync is older than
 *   CRM_RECONCILE_EVERY_MS (the deals changed since, for webhooks that never arrived), and restarts
 *   flushes for deals left waiting (an account that was blocked or re-authorised, a flush that gave up).
 */
import type { Redis } from 'ioredis';
import { PermanentJobError, type Job } from '../queue/jobQueue.js';
import { GroupCommitter } from '../storage/groupCommit.js';
import type { Feature, FeatureDeps, WorkerRegistration } from '../runtime.js';
import { AccountUnavailableError, CrmAccess } from './crmAccess.js';
import { CrmAccountStore, type CrmAccount } from './crmAccounts.js';
import type { CrmAdapter, CrmAdapterFactory, CrmChanges, CrmKind, CrmServices } from './crmAdapter.js';
import { dealsOfContacts, markDealsDeleted, saveDeals, saveStageChanges, saveStages, unchangedSinceEnrichment } from './dealStore.js';
import { enrichDeals } from './enrichment/enrichDeals.js';
import { anyUnclaimed, claimDeals, deferDeals, finishDeals, releaseDeals, touchDeals } from './enrichment/pendingDeals.js';
import { LocalRequestPacer, RedisRequestPacer, type RequestPacer } from './requestPacer.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import type { CrmConnection } from './crmAdapter.js';

export const CRM_QUEUES = { inbox: 'crm-inbox', enrich: 'crm-enrich', setup: 'crm-setup', sweep: 'crm-sweep' } as const;

/** Webhook bodies of one tenant read in one transaction at most. */
const INBOX_BATCH = 500;
/** Webhooks of one tenant arriving within this window share one inbox job, which runs when it closes. */
const INBOX_WINDOW_MS = 200;
/** Deals per claimed batch unless the adapter says otherwise: one bulk read (amoCRM lists up to 250 per page). */
const CLAIM_BATCH = 250;
/** A claim lapses after this long without being finished (the flush died). */
const CLAIM_LEASE_MS = 10 * 60_000;
/** Batches of one tenant in flight at once inside one flush. */
const FLUSH_LANES = 3;
/** How often a lane with nothing to claim looks again while deals still wait. */
const LANE_POLL_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SWEEP_EVERY_MS = 60_000;
/** How far back the install imports deals and stage changes, and the default lookback of a path. */
export const HISTORY_DAYS = 90;

interface TenantJob {
  tenantId: string;
}

interface InboxJob extends TenantJob {
  inboxId: string;
}

interface CrmRuntime {
  services: CrmServices;
  adapters: Map<CrmKind, CrmAdapter>;
  /** A flush after the enrichment delay (or `delayMs`), one per tenant per window. */
  scheduleFlush(tenantId: string, delayMs?: number): Promise<void>;
  /** An inbox job for the tenant's waiting webhook bodies (one per tenant per short window). */
  scheduleInbox(tenantId: string, inboxId: string, jobKey?: string): Promise<void>;
}

const runtimes = new WeakMap<FeatureDeps, CrmRuntime>();

function pacerFor(redis: Redis | undefined, prefix: string): RequestPacer {
  return redis ? new RedisRequestPacer(redis, `${prefix}:crm-pace:`) : new LocalRequestPacer();
}

function runtimeFor(deps: FeatureDeps, factories: readonly CrmAdapterFactory[]): CrmRuntime {
  const existing = runtimes.get(deps);
  if (existing) return existing;
  const adapters = new Map(factories.map((factory) => factory(deps)).map((adapter) => [adapter.crm, adapter]));
  if (!deps.redis && deps.db.kind === 'postgres') {
    // Several processes may share this database; each would spend the whole CRM rate limit on its own.
    deps.logger.warn('CRM requests are paced per process because REDIS_URL is not set: run one worker process, or set REDIS_URL so workers share each CRM account\'s rate limit');
  }
  const adapterOf = (crm: CrmKind) => {
    const adapter = adapters.get(crm);
    if (!adapter) throw new Error(`No ${crm} adapter in this build`);
    return adapter;
  };
  const accounts = new CrmAccountStore(deps.db, deps.cipher);
  deps.metrics.watchCrmAccounts(accounts);
  const access = new CrmAccess({
    db: deps.db,
    accounts,
    pacer: pacerFor(deps.redis, deps.config.queuePrefix),
    logger: deps.logger,
    metrics: deps.metrics,
    refresher: (crm) => (account, refreshToken) => adapterOf(crm).refreshTokens(account, refreshToken),
    pace: (crm) => adapterOf(crm).pace,
  });
  const delayMs = deps.config.enrichmentDelayMs;
  const scheduleFlush = async (tenantId: string, after = delayMs) => {
    // One flush per tenant per window: touches within the window join it; later ones start the next.
    const window = Math.floor((Date.now() + after) / Math.max(delayMs, 1));
    await deps.queue.add<TenantJob>(CRM_QUEUES.enrich, 'flush', { tenantId }, { jobId: `flush-${tenantId}-${window}`, delayMs: after });
  };
  // One inbox job per tenant per window: a burst of webhooks is read in one transaction by one job
  // (each job reads every waiting body of its tenant), not one job per body. The job runs once its
  // window has closed, so no body of the window can come after it (a finished job's id stays taken).
  // The window whose job this process last queued, per tenant: the bodies after the first of a
  // window need no queue call at all (the job's id is taken already).
  const queuedWindow = new Map<string, string>();
  const scheduleInbox = async (tenantId: string, inboxId: string, jobKey?: string) => {
    const key = jobKey ?? `w${Math.floor(Date.now() / INBOX_WINDOW_MS)}`;
    if (jobKey === undefined && queuedWindow.get(tenantId) === key) return;
    await deps.queue.add<InboxJob>(CRM_QUEUES.inbox, 'webhook', { tenantId, inboxId }, { jobId: `inbox-${tenantId}-${key}`, delayMs: INBOX_WINDOW_MS });
    if (jobKey === undefined) {
      if (queuedWindow.size > 10_000) queuedWindow.clear();
      queuedWindow.set(tenantId, key);
    }
  };
  // Webhook bodies arriving together share one INSERT and one commit (Bitrix24 POSTs one event per
  // request, thousands at once after a bulk change), and each tenant of a commit gets one inbox job
  // request, not one per body. A body is answered for once it is committed: an inbox job that could
  // not be queued is made up for by the sweep, which reads bodies left unread.
  const inbox = new GroupCommitter<{ tenantId: string; body: string }>(
    async (items) => {
      const stored = await deps.db.query<{ tenant_id: string; id: string }>(
        'INSERT INTO crm_inbox (tenant_id, body) SELECT * FROM unnest($1::text[], $2::text[]) RETURNING tenant_id, id::text AS id',
        [items.map((item) => item.tenantId), items.map((item) => item.body)],
      );
      const firstOf = new Map<string, string>();
      for (const row of stored.rows) if (!firstOf.has(row.tenant_id)) firstOf.set(row.tenant_id, row.id);
      for (const [tenantId, inboxId] of firstOf) {
        await scheduleInbox(tenantId, inboxId).catch((error: unknown) =>
          deps.logger.warn('webhook bodies stored but no inbox job queued; the CRM sweep will read them', { tenant: tenantId, error: String(error) }),
        );
      }
    },
    {
      maxBatch: 1_000,
      // Few, large commits: a burst is thousands of POSTs, each waiting only for its own commit, and
      // every commit is a round trip. The embedded database has one connection anyway, and its
      // commits run on the event loop: the pause is what lets a burst's POSTs be read meanwhile.
      maxInFlight: deps.db.kind === 'postgres' ? 2 : 1,
      lingerMs: deps.db.kind === 'postgres' ? 5 : 2,
      onBatch: (size) => deps.metrics.crmInboxBatchSize.observe(size),
    },
  );
  const services: CrmServices = {
    deps,
    accounts,
    access,
    async receiveWebhook(account, body) {
      await inbox.submit({ tenantId: account.tenantId, body });
    },
    async scheduleSetUp(account) {
      await deps.queue.add<TenantJob>(CRM_QUEUES.setup, 'set-up', { tenantId: account.tenantId }, { jobId: `setup-${account.tenantId}-${Date.now()}` });
    },
  };
  const runtime = { services, adapters, scheduleFlush, scheduleInbox };
  runtimes.set(deps, runtime);
  return runtime;
}

async function activeAccount(runtime: CrmRuntime, tenantId: string): Promise<CrmAccount | undefined> {
  const account = await runtime.services.accounts.byTenant(tenantId);
  return account?.status === 'active' ? account : undefined;
}

function adapterFor(runtime: CrmRuntime, account: CrmAccount): CrmAdapter {
  const adapter = runtime.adapters.get(account.crm);
  if (!adapter) throw new PermanentJobError(`No ${account.crm} adapter in this build`);
  return adapter;
}

/**
 * Reads the tenant's unprocessed webhook bodies — the job's own and any others waiting, up to
 * INBOX_BATCH — in one transaction: under a burst (Bitrix24 sends one POST per event) the jobs
 * behind find their bodies done and return at once.
 */
async function processInbox(runtime: CrmRuntime, job: Job<InboxJob>): Promise<void> {
  const { db, logger } = runtime.services.deps;
  const account = await runtime.services.accounts.byTenant(job.data.tenantId);
  if (!account) throw new PermanentJobError(`Tenant ${job.data.tenantId} has no CRM account`);
  const adapter = adapterFor(runtime, account);
  const touched = await db.transaction(async (tx) => {
    const claimed = await tx.query<{ id: string; body: string }>(
      `SELECT id::text AS id, body FROM crm_inbox WHERE tenant_id = $1 AND processed_at IS NULL
       ORDER BY (id = $2::bigint) DESC, id LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [account.tenantId, job.data.inboxId, INBOX_BATCH],
    );
    const changes: CrmChanges = { touchedDealIds: [], deletedDealIds: [], stageChanges: [], touchedContactIds: [], updatedDeals: [] };
    const otherwiseTouched = new Set<string>();
    for (const row of claimed.rows) {
      let read: CrmChanges;
      try {
        read = adapter.readWebhook(row.body);
      } catch (error) {
        // Bodies are checked on receipt, so this is a bug, not bad input: say so, keep the body, go on.
        logger.error('a stored webhook body cannot be read; it stays in crm_inbox for a look', { tenant: account.tenantId, inboxId: row.id, error: String(error) });
        continue;
      }
      changes.touchedDealIds.push(...read.touchedDealIds);
      changes.deletedDealIds.push(...read.deletedDealIds);
      changes.stageChanges.push(...read.stageChanges);
      changes.touchedContactIds.push(...read.touchedContactIds);
      changes.updatedDeals.push(...read.updatedDeals);
      const updateOnly = new Set(read.updatedDeals.map((state) => state.dealId));
      for (const id of read.touchedDealIds) if (!updateOnly.has(id)) otherwiseTouched.add(id);
    }
    await markDealsDeleted(tx, account.tenantId, changes.deletedDealIds);
    await saveStageChanges(tx, account.tenantId, changes.stageChanges, 'webhook');
    const viaContacts = await dealsOfContacts(tx, account.tenantId, [...new Set(changes.touchedContactIds)]);
    // An update that leaves a deal exactly as we last saw it is our own write coming back — unless
    // another body says more happened to that deal.
    const updatedOnly = changes.updatedDeals.filter((state) => !otherwiseTouched.has(state.dealId));
    const echoes = await unchangedSinceEnrichment(tx, account.tenantId, updatedOnly);
    const dealIds = [...new Set([...changes.touchedDealIds.filter((id) => !echoes.has(id)), ...viaContacts])].filter(
      (id) => !changes.deletedDealIds.includes(id),
    );
    await touchDeals(tx, account.tenantId, dealIds);
    await tx.query('UPDATE crm_inbox SET processed_at = now() WHERE id = ANY($1::bigint[])', [claimed.rows.map((row) => row.id)]);
    return dealIds.length;
  });
  if (touched > 0 && account.status === 'active') await runtime.scheduleFlush(account.tenantId);
  // Bodies stored while this job ran, or beyond its batch, may belong to a window whose job was
  // this one: look once more, and leave them to a new job.
  const left = await db.query<{ id: string }>(
    'SELECT id::text AS id FROM crm_inbox WHERE tenant_id = $1 AND processed_at IS NULL ORDER BY id LIMIT 1',
    [account.tenantId],
  );
  // One such job per window, whichever jobs of the window found bodies left (it runs after the window).
  if (left.rows[0]) await runtime.scheduleInbox(account.tenantId, left.rows[0].id, `after-w${Math.floor(Date.now() / INBOX_WINDOW_MS)}`);
}

async function flush(runtime: CrmRuntime, job: Job<TenantJob>): Promise<void> {
  const { deps } = runtime.services;
  const account = await activeAccount(runtime, job.data.tenantId);
  if (!account) return; // its deals stay pending until it is active again
  const connection = adapterFor(runtime, account).connect(account, runtime.services);
  const adapter = adapterFor(runtime, account);
  const noteReadBackAfterMs = 2 * adapter.requestTimeoutMs;
  const { phoneRegion } = await tenantSettings(deps.db, account.tenantId);
  const context = { db: deps.db, identityKey: deps.identityKey, logger: deps.logger, metrics: deps.metrics, lookbackDays: HISTORY_DAYS, noteReadBackAfterMs, phoneRegion, callDealWindowMs: deps.config.callDealWindowMs };
  let deferredAny = false;
  let enriched = 0;
  // One lane failing stops the others: a failed flush is retried as a whole, never half-running.
  let failure: unknown;
  const lane = async () => {
    while (failure === undefined) {
      const claim = await claimDeals(deps.db, account.tenantId, adapter.claimBatch ?? CLAIM_BATCH, CLAIM_LEASE_MS, deps.config.enrichmentDelayMs);
      if (claim.dealIds.length === 0) {
        // Deals still arriving, or in another lane's hands: stay until none waits at all.
        if (!(await anyUnclaimed(deps.db, account.tenantId))) return;
        await sleep(LANE_POLL_MS);
        continue;
      }
      try {
        const outcome = await enrichDeals(context, account, connection, claim.dealIds);
        await finishDeals(deps.db, account.tenantId, claim, claim.dealIds.filter((id) => !outcome.deferred.includes(id)));
        await deferDeals(deps.db, account.tenantId, outcome.deferred, noteReadBackAfterMs);
        deferredAny ||= outcome.deferred.length > 0;
        enriched += outcome.read;
      } catch (error) {
        failure ??= error;
        await releaseDeals(deps.db, account.tenantId, claim.dealIds);
      }
    }
  };
  await Promise.all(
    Array.from({ length: FLUSH_LANES }, () =>
      lane().catch((error: unknown) => {
        failure ??= error;
      }),
    ),
  );
  if (failure !== undefined) {
    const error = failure;
    if (error instanceof AccountUnavailableError) {
      deps.logger.warn('enrichment waits: the CRM account cannot be worked on now', { tenant: account.tenantId, reason: error.message });
      return;
    }
    throw error;
  }
  if (deferredAny) await runtime.scheduleFlush(account.tenantId, noteReadBackAfterMs + 1_000);
  if (enriched > 0) deps.logger.info('deals enriched', { tenant: account.tenantId, crm: account.crm, deals: enriched });
}

async function setUp(runtime: CrmRuntime, job: Job<TenantJob>): Promise<void> {
  const { deps, accounts } = runtime.services;
  const account = await activeAccount(runtime, job.data.tenantId);
  if (!account) return;
  const log = { tenant: account.tenantId, crm: account.crm, domain: account.domain };
  let connection = adapterFor(runtime, account).connect(account, runtime.services);
  try {
    const created = await connection.setUp();
    await accounts.mergeSetup(account.tenantId, created);
    const withSetup = await accounts.byTenant(account.tenantId);
    if (withSetup) connection = adapterFor(runtime, withSetup).connect(withSetup, runtime.services);
    await saveStages(deps.db, account.tenantId, await connection.listStages());
    deps.logger.info('CRM set up: fields, webhook and stages ready; importing history', log);

    const since = new Date(Date.now() - HISTORY_DAYS * 86_400_000);
    let deals = 0;
    for await (const page of connection.dealsUpdatedSince(since)) {
      await saveDeals(deps.db, account.tenantId, page);
      await touchDeals(deps.db, account.tenantId, page.map((deal) => deal.id));
      deals += page.length;
      deps.metrics.crmHistoryImported.inc({ crm: account.crm, kind: 'deals' }, page.length);
      deps.logger.info('history import: deals', { ...log, imported: deals });
    }
    let changes = 0;
    for await (const page of connection.stageChangesSince(since)) {
      changes += await saveStageChanges(deps.db, account.tenantId, page, 'history');
      deps.metrics.crmHistoryImported.inc({ crm: account.crm, kind: 'stage_changes' }, page.length);
      deps.logger.info('history import: stage changes', { ...log, imported: changes });
    }
    await accounts.mergeSetup(account.tenantId, { historyImportedAt: new Date().toISOString(), historyDeals: deals, historyStageChanges: changes });
    deps.logger.info('history import finished', { ...log, deals, stageChanges: changes });
  } catch (error) {
    if (error instanceof AccountUnavailableError) return;
    throw error;
  }
  await runtime.scheduleFlush(account.tenantId);
}

/** Changes are listed again from this long before the last sync: the CRM's clock and ours differ, and its times have whole seconds. */
const RECONCILE_OVERLAP_MS = 5 * 60_000;

/**
 * The deals changed since the account's last sync (at first, its history import) and their stage
 * moves: what webhooks that never arrived would have said (Bitrix24 never re-sends an event). The
 * deals are saved and touched, so a flush reads them; one already enriched and unchanged costs a
 * share of a bulk read and writes nothing.
 */
async function reconcile(runtime: CrmRuntime, account: CrmAccount): Promise<void> {
  const { deps, accounts } = runtime.services;
  const startedAt = new Date();
  const lastSync = Date.parse(String(account.setup['lastSyncAt'] ?? account.setup['historyImportedAt']));
  if (!Number.isFinite(lastSync) || startedAt.getTime() - lastSync < deps.config.crmReconcileEveryMs) return;
  const since = new Date(lastSync - RECONCILE_OVERLAP_MS);
  const connection = adapterFor(runtime, account).connect(account, runtime.services);
  let deals = 0;
  for await (const page of connection.dealsUpdatedSince(since)) {
    await saveDeals(deps.db, account.tenantId, page);
    await touchDeals(deps.db, account.tenantId, page.map((deal) => deal.id));
    deals += page.length;
  }
  let stageChanges = 0;
  for await (const page of connection.stageChangesSince(since)) stageChanges += await saveStageChanges(deps.db, account.tenantId, page, 'history');
  await accounts.mergeSetup(account.tenantId, { lastSyncAt: startedAt.toISOString() });
  if (deals > 0) await runtime.scheduleFlush(account.tenantId);
  deps.logger.info('CRM reconciled', { tenant: account.tenantId, crm: account.crm, domain: account.domain, since: since.toISOString(), deals, stageChanges });
}

async function sweep(runtime: CrmRuntime): Promise<void> {
  const { deps } = runtime.services;
  for (const account of await runtime.services.accounts.list('active')) {
    try {
      await reconcile(runtime, account);
    } catch (error) {
      // One account's trouble (blocked, re-authorisation needed) must not stop the sweep; the next one tries again.
      deps.logger.warn('CRM reconciliation failed; the next sweep tries again', { tenant: account.tenantId, crm: account.crm, error: String(error) });
    }
  }
  const waiting = await deps.db.query<{ tenant_id: string }>(
    `SELECT DISTINCT p.tenant_id FROM enrichment_pending p JOIN crm_accounts a ON a.tenant_id = p.tenant_id
     WHERE a.status = 'active' AND (p.claimed_until IS NULL OR p.claimed_until < now())`,
  );
  for (const row of waiting.rows) await runtime.scheduleFlush(row.tenant_id);
  // Webhook bodies no inbox job picked up (a job that gave up, a window's job that had just finished).
  const unread = await deps.db.query<{ tenant_id: string; id: string }>(
    `SELECT tenant_id, min(id)::text AS id FROM crm_inbox WHERE processed_at IS NULL AND received_at < now() - interval '30 seconds'
     GROUP BY tenant_id`,
  );
  for (const row of unread.rows) await runtime.scheduleInbox(row.tenant_id, row.id, `sweep-${row.id}-${Date.now()}`);
  await scheduleSweep(deps);
}

async function scheduleSweep(deps: FeatureDeps): Promise<void> {
  const every = Math.min(SWEEP_EVERY_MS, deps.config.crmReconcileEveryMs);
  const window = Math.floor(Date.now() / every);
  await deps.queue.add(CRM_QUEUES.sweep, 'sweep', {}, { jobId: `sweep-${window + 1}`, delayMs: every, attempts: 1 });
}

export function crmFeature(factories: readonly CrmAdapterFactory[]): Feature {
  return {
    name: 'crm',
    queues: Object.values(CRM_QUEUES),
    routers: (deps) => {
      const runtime = runtimeFor(deps, factories);
      return [...runtime.adapters.values()].flatMap((adapter) => adapter.routes(runtime.services));
    },
    fastRoutes: (deps) => {
      const runtime = runtimeFor(deps, factories);
      return [...runtime.adapters.values()].flatMap((adapter) => adapter.fastRoutes?.(runtime.services) ?? []);
    },
    workers: (deps): WorkerRegistration[] => {
      const runtime = runtimeFor(deps, factories);
      void scheduleSweep(deps).catch((error: unknown) => deps.logger.warn('could not schedule the CRM sweep', { error: String(error) }));
      return [
        { queue: CRM_QUEUES.inbox, handler: ((job: Job<InboxJob>) => processInbox(runtime, job)) as never },
        { queue: CRM_QUEUES.enrich, handler: ((job: Job<TenantJob>) => flush(runtime, job)) as never },
        { queue: CRM_QUEUES.setup, handler: ((job: Job<TenantJob>) => setUp(runtime, job)) as never, concurrency: 1 },
        { queue: CRM_QUEUES.sweep, handler: (() => sweep(runtime)) as never, concurrency: 1 },
      ];
    },
    readiness: async (deps) => {
      const runtime = runtimeFor(deps, factories);
      const needing = await runtime.services.accounts.list('needs_reauth');
      return {
        accounts: await runtime.services.accounts.countByStatus(),
        needsReauthorisation: needing.map((account) => ({ tenant: account.tenantId, crm: account.crm, domain: account.domain, reason: account.statusReason })),
      };
    },
  };
}

/**
 * The tenant's CRM account, when it can be worked on now, and a connection to it: for other features
 * that call the CRM (lead delivery). Needs the CRM feature in the same process.
 */
export async function tenantCrm(
  deps: FeatureDeps,
  tenantId: string,
): Promise<{ account: CrmAccount; connection: CrmConnection; requestTimeoutMs: number } | undefined> {
  const runtime = runtimes.get(deps);
  if (!runtime) throw new Error('The CRM feature is not running in this process');
  const account = await activeAccount(runtime, tenantId);
  if (!account) return undefined;
  const adapter = adapterFor(runtime, account);
  return { account, connection: adapter.connect(account, runtime.services), requestTimeoutMs: adapter.requestTimeoutMs };
}
