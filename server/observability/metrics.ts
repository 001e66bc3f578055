/**
 * Prometheus metrics of one process. One registry per app instance (tests start several in one
 * process); names follow Prometheus conventions and carry the `longfunnel_` prefix.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface QueueDepthSource {
  /** Job counts by state for every queue this process knows; called on each scrape. */
  depths(): Promise<Array<{ queue: string; state: string; count: number }>>;
}

export interface CrmAccountSource {
  /** Installed CRM accounts by CRM and status; called on each scrape. */
  countByStatus(): Promise<Array<{ crm: string; status: string; count: number }>>;
}

export interface NumberPoolSource {
  /** Each site's pool size and the most visits that wanted a number at once; called on each scrape. */
  pools(): Promise<Array<{ site: string; poolSize: number; peakWanted: number }>>;
}

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'longfunnel_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'longfunnel_http_request_duration_seconds',
    help: 'Time from request to response, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly jobOutcomes = new Counter({
    name: 'longfunnel_jobs_total',
    help: 'Jobs finished by this process, by queue and outcome (completed, retried, failed)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'longfunnel_job_duration_seconds',
    help: 'Time a job handler ran, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
    registers: [this.registry],
  });

  readonly crmRequests = new Counter({
    name: 'longfunnel_crm_requests_total',
    help: 'Requests made to a CRM API, by CRM and HTTP status (or "error" when no answer came)',
    labelNames: ['crm', 'status'] as const,
    registers: [this.registry],
  });

  readonly crmRateLimited = new Counter({
    name: 'longfunnel_crm_rate_limited_total',
    help: 'CRM answers that said "too many requests" (429 or a block), by CRM; should stay 0',
    labelNames: ['crm'] as const,
    registers: [this.registry],
  });

  readonly crmTokenRefreshes = new Counter({
    name: 'longfunnel_crm_token_refreshes_total',
    help: 'OAuth token refreshes, by CRM and outcome (refreshed, revoked, failed)',
    labelNames: ['crm', 'outcome'] as const,
    registers: [this.registry],
  });


  readonly dealsEnriched = new Counter({
    name: 'longfunnel_deals_enriched_total',
    help: 'Deals read and matched by enrichment, by CRM and match method (visitor_id, phone, email, none)',
    labelNames: ['crm', 'method'] as const,
    registers: [this.registry],
  });

  readonly crmWebhooks = new Counter({
    name: 'longfunnel_crm_webhooks_total',
    help: 'CRM webhook requests, by CRM and outcome (accepted, unknown_key, malformed, inactive)',
    labelNames: ['crm', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly leadsAccepted = new Counter({
    name: 'longfunnel_leads_accepted_total',
    help: 'Leads submitted (forms, calls, e-mails, API), by origin and outcome (stored, flagged: a phone or e-mail kept as typed, repeat: a repeat of an earlier one)',
    labelNames: ['origin', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly leadsDelivered = new Counter({
    name: 'longfunnel_leads_delivered_total',
    help: 'Lead deliveries to a CRM, by CRM and outcome (created, found: an earlier attempt had created it, retry, waiting: no usable CRM account, failed: the CRM refused it)',
    labelNames: ['crm', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly crmHistoryImported = new Counter({
    name: 'longfunnel_crm_history_imported_total',
    help: 'Deals and stage changes imported from a CRM at install, by CRM and kind (deals, stage_changes)',
    labelNames: ['crm', 'kind'] as const,
    registers: [this.registry],
  });

  readonly collectedHits = new Counter({
    name: 'longfunnel_collect_hits_total',
    help: 'Tracker hits received by /collect, by outcome (stored, bot, rejected, rate_limited, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly crmInboxBatchSize = new Histogram({
    name: 'longfunnel_crm_inbox_commit_batch_size',
    help: 'CRM webhook bodies written per database transaction (group commit)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly collectBatchSize = new Histogram({
    name: 'longfunnel_collect_commit_batch_size',
    help: 'Tracker hits written per database transaction (group commit)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });

  readonly numberLeases = new Counter({
    name: 'longfunnel_number_leases_total',
    help: 'Visits that asked for a tracking number, by outcome (leased: a pool number; exhausted: the pool had none free, the visit saw the static or default number)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly numberPoolExhausted = new Counter({
    name: 'longfunnel_number_pool_exhausted_total',
    help: "Visits that found their site's pool of tracking numbers exhausted, by site id: their calls cannot be tied to them",
    labelNames: ['site'] as const,
    registers: [this.registry],
  });

  readonly callsReceived = new Counter({
    name: 'longfunnel_calls_total',
    help: 'Calls received by the calls API, by outcome (matched, call_to_non_leased_number, lease_expired, repeated)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly emailsReceived = new Counter({
    name: 'longfunnel_emails_total',
    help: 'E-mails received by the e-mails API, by outcome (matched, no_plus_tag, unknown_tag, repeated)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly numberPoolPeakWanted: Gauge<'site'>;

  readonly numberPoolSize: Gauge<'site'>;

  private numberPoolSource: NumberPoolSource | undefined;

  readonly queueDepth: Gauge<'queue' | 'state'>;

  readonly crmAccountsNeedingReauth: Gauge<'crm'>;

  private queueDepthSource: QueueDepthSource | undefined;

  private crmAccountSource: CrmAccountSource | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'longfunnel_' });
    const metrics = this;
    // Read from the database at scrape time: every process then reports the peak whichever
    // process saw it, and a pool resized by the admin API shows at once.
    let poolsRead: Promise<Array<{ site: string; poolSize: number; peakWanted: number }> | undefined> | undefined;
    const readPools = () => {
      poolsRead ??= (metrics.numberPoolSource?.pools() ?? Promise.resolve(undefined)).catch(() => undefined).finally(() => setImmediate(() => (poolsRead = undefined)));
      return poolsRead;
    };
    this.numberPoolPeakWanted = new Gauge({
      name: 'longfunnel_number_pool_peak_wanted',
      help: 'When a site ran out of tracking numbers, the visits wanting one then plus the numbers cooling down, at its highest: the pool size that would have been enough (read at scrape time)',
      labelNames: ['site'] as const,
      registers: [this.registry],
      async collect() {
        const pools = await readPools();
        if (!pools) return;
        this.reset();
        for (const pool of pools) this.set({ site: pool.site }, pool.peakWanted);
      },
    });
    this.numberPoolSize = new Gauge({
      name: 'longfunnel_number_pool_size',
      help: 'Tracking numbers in the pool of each site (read at scrape time)',
      labelNames: ['site'] as const,
      registers: [this.registry],
      async collect() {
        const pools = await readPools();
        if (!pools) return;
        this.reset();
        for (const pool of pools) this.set({ site: pool.site }, pool.poolSize);
      },
    });
    this.queueDepth = new Gauge({
      name: 'longfunnel_queue_jobs',
      help: 'Jobs in each queue by state (waiting, delayed, active, failed), read at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const source = metrics.queueDepthSource;
        if (!source) return;
        this.reset();
        // An unreachable queue must not break the whole scrape; /readyz reports it.
        const depths = await source.depths().catch(() => []);
        for (const { queue, state, count } of depths) this.set({ queue, state }, count);
      },
    });
    // Read from the database at scrape time: the moment a grant is revoked (by whichever worker),
    // and in every process, not only where a periodic job happens to run.
    this.crmAccountsNeedingReauth = new Gauge({
      name: 'longfunnel_crm_accounts_needing_reauth',
      help: 'Installed CRM accounts whose grant was revoked: a CRM admin must re-install; their work waits (read at scrape time)',
      labelNames: ['crm'] as const,
      registers: [this.registry],
      async collect() {
        const source = metrics.crmAccountSource;
        if (!source) return;
        // An unreachable database must not break the whole scrape; /readyz reports it.
        const counts = await source.countByStatus().catch(() => undefined);
        if (!counts) return;
        this.reset();
        for (const { crm, status, count } of counts) this.inc({ crm }, status === 'needs_reauth' ? count : 0);
      },
    });
  }

  /** Makes scrapes report each site's pool size and the peak of visits wanting a number. */
  watchNumberPools(source: NumberPoolSource): void {
    this.numberPoolSource = source;
  }

  /** Makes scrapes report the depth of the given queues. */
  watchQueueDepth(source: QueueDepthSource): void {
    this.queueDepthSource = source;
  }

  /** Makes scrapes report the CRM accounts waiting for re-authorisation. */
  watchCrmAccounts(source: CrmAccountSource): void {
    this.crmAccountSource = source;
  }
}
