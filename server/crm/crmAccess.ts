/**
 * Every call to a CRM account goes through `CrmAccess.call`: it waits for the account's next
 * request slot (the shared pacer), attaches a fresh access token, and decides on failures the same
 * way for every CRM:
 * - too many requests: hold the account's schedule off and try again (not an attempt spent);
 * - an access token refused: refresh once (single-flight) and try again;
 * - a grant revoked: mark the account "needs re-authorisation"; its work waits, nothing is dropped;
 * - network trouble or a 5xx: back off and retry a few times, but only for calls that are safe to
 *   repeat — a create whose outcome is unknown is left to the caller, which reads back first.
 *
 * Token refresh is single-flight per account: in this process a shared promise, and across
 * processes a row lock on the account in PostgreSQL (every worker shares that database), so two
 * workers never spend one refresh token — with rotation the second would revoke the grant.
 */
import { CrmError } from '../../integrations/crmError.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Database, Queryable } from '../storage/database.js';
import type { CrmAccount, CrmAccountStore } from './crmAccounts.js';
import type { CrmKind, CrmTokens } from './crmAdapter.js';
import type { Pace, RequestPacer } from './requestPacer.js';

export type TokenRefresher = (account: CrmAccount, refreshToken: string) => Promise<CrmTokens>;

export interface CrmAccessOptions {
  db: Database;
  accounts: CrmAccountStore;
  pacer: RequestPacer;
  logger: Logger;
  metrics: Metrics;
  refresher(crm: CrmKind): TokenRefresher;
  /** Spacing of requests to one account of this CRM (its rate limit). */
  pace(crm: CrmKind): Pace;
  /** Refresh this long before the access token expires. */
  refreshAheadMs?: number;
  /** How long the schedule is held off after a "too many requests" answer. */
  rateLimitPauseMs?: number;
  /** Retries of a repeatable call after network trouble or a 5xx, within one call. */
  temporaryRetries?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  /** Whether sending the same request twice does no harm (reads, and writes of the same values). */
  repeatable: boolean;
}

/** The account cannot be worked on now (needs re-authorisation, disabled): its work must wait. */
export class AccountUnavailableError extends Error {
  constructor(readonly account: CrmAccount, readonly status: string) {
    super(`${account.crm} account ${account.domain} is ${status.replace('_', ' ')}: its work waits until it is re-installed`);
    this.name = 'AccountUnavailableError';
  }
}

const MAX_RATE_LIMITED_RETRIES = 20;

export class CrmAccess {
  private readonly refreshing = new Map<string, Promise<CrmTokens>>();
  private readonly refreshAheadMs: number;
  private readonly rateLimitPauseMs: number;
  private readonly temporaryRetries: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: CrmAccessOptions) {
    this.refreshAheadMs = options.refreshAheadMs ?? 10 * 60_000;
    this.rateLimitPauseMs = options.rateLimitPauseMs ?? 1_500;
    this.temporaryRetries = options.temporaryRetries ?? 3;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The pacing key of an account: its CRM and host, known before the account is stored (install). */
  static paceKey(crm: CrmKind, domain: string): string {
    return `${crm}:${domain}`;
  }

  /**
   * One read for an account that is not stored yet (the install's own calls), paced with the
   * account's other requests and repeated after "too many requests" or a temporary failure (a
   * timeout, a 5xx); other failures go to the caller.
   */
  async callBeforeInstall<T>(crm: CrmKind, domain: string, send: () => Promise<T>): Promise<T> {
    const key = CrmAccess.paceKey(crm, domain);
    for (let attempt = 1; ; attempt += 1) {
      await this.options.pacer.wait(key, this.options.pace(crm));
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof CrmError) || !['RATE_LIMITED', 'TEMPORARY'].includes(error.failure.code) || attempt >= 3) throw error;
        if (error.failure.code === 'TEMPORARY') {
          await this.sleep(500 * attempt);
          continue;
        }
        this.options.metrics.crmRateLimited.inc({ crm });
        await this.options.pacer.holdOff(key, this.rateLimitPauseMs, this.options.pace(crm));
      }
    }
  }

  /** Runs `send` with a valid access token, paced and retried as described above. */
  async call<T>(account: CrmAccount, send: (accessToken: string) => Promise<T>, options: CallOptions): Promise<T> {
    let tokens = await this.validTokens(account);
    let refreshedAfterRejection = false;
    let rateLimited = 0;
    let temporary = 0;
    const key = CrmAccess.paceKey(account.crm, account.domain);
    for (;;) {
      await this.options.pacer.wait(key, this.options.pace(account.crm));
      try {
        return await send(tokens.accessToken);
      } catch (error) {
        if (!(error instanceof CrmError)) throw error;
        const { code } = error.failure;
        if (code === 'RATE_LIMITED' && rateLimited < MAX_RATE_LIMITED_RETRIES) {
          rateLimited += 1;
          this.options.metrics.crmRateLimited.inc({ crm: account.crm });
          this.options.logger.warn('CRM answered "too many requests"; holding this account off', {
            crm: account.crm,
            tenant: account.tenantId,
            pauseMs: this.rateLimitPauseMs,
          });
          await this.options.pacer.holdOff(key, this.rateLimitPauseMs * Math.min(rateLimited, 4), this.options.pace(account.crm));
          continue;
        }
        if (code === 'BLOCKED') this.options.metrics.crmRateLimited.inc({ crm: account.crm });
        if (code === 'AUTH_EXPIRED' && !refreshedAfterRejection) {
          refreshedAfterRejection = true;
          tokens = await this.refresh(account, tokens.accessToken);
          continue;
        }
        if (code === 'AUTH_REVOKED') {
          await this.markNeedsReauth(account, error.failure.message);
          throw new AccountUnavailableError(account, 'needs_reauth');
        }
        if (code === 'TEMPORARY' && options.repeatable && temporary < this.temporaryRetries) {
          temporary += 1;
          await this.sleep(500 * 2 ** (temporary - 1));
          continue;
        }
        throw error;
      }
    }
  }

  /** The account's tokens, refreshed first when they expire soon. */
  private async validTokens(account: CrmAccount): Promise<CrmTokens> {
    const stored = await this.options.accounts.tokens(account.tenantId);
    if (!stored || stored.status !== 'active' || !stored.tokens) {
      throw new AccountUnavailableError(account, stored?.status ?? 'disabled');
    }
    if (stored.tokens.expiresAt.getTime() - this.now() > this.refreshAheadMs) return stored.tokens;
    return this.refresh(account);
  }

  /**
   * Refreshes the account's tokens unless someone already did: when the stored access token is no
   * longer `rejectedAccessToken` (or, without it, no longer expiring), that one is used instead.
   */
  private refresh(account: CrmAccount, rejectedAccessToken?: string): Promise<CrmTokens> {
    let running = this.refreshing.get(account.tenantId);
    if (!running) {
      running = this.refreshOnce(account, rejectedAccessToken).finally(() => this.refreshing.delete(account.tenantId));
      this.refreshing.set(account.tenantId, running);
    }
    return running;
  }

  private async refreshOnce(account: CrmAccount, rejectedAccessToken: string | undefined): Promise<CrmTokens> {
    const { db, accounts, logger, metrics } = this.options;
    let revoked: CrmError | undefined;
    const locked = <T>(work: (q: Queryable) => Promise<T>) => (db.kind === 'postgres' ? db.transaction(work) : work(db));
    const tokens = await locked(async (q) => {
      const stored = await accounts.tokens(account.tenantId, q, db.kind === 'postgres');
      if (!stored || stored.status !== 'active' || !stored.tokens) throw new AccountUnavailableError(account, stored?.status ?? 'disabled');
      const current = stored.tokens;
      const alreadyFresh = rejectedAccessToken
        ? current.accessToken !== rejectedAccessToken
        : current.expiresAt.getTime() - this.now() > this.refreshAheadMs;
      if (alreadyFresh) return current;
      try {
        const next = await this.options.refresher(account.crm)(account, current.refreshToken);
        await accounts.saveTokens(account.tenantId, next, q);
        metrics.crmTokenRefreshes.inc({ crm: account.crm, outcome: 'refreshed' });
        logger.info('CRM tokens refreshed', { crm: account.crm, tenant: account.tenantId, expiresAt: next.expiresAt.toISOString() });
        return next;
      } catch (error) {
        if (error instanceof CrmError && error.failure.code === 'AUTH_REVOKED') {
          revoked = error;
          return undefined;
        }
        metrics.crmTokenRefreshes.inc({ crm: account.crm, outcome: 'failed' });
        throw error;
      }
    });
    if (tokens) return tokens;
    metrics.crmTokenRefreshes.inc({ crm: account.crm, outcome: 'revoked' });
    await this.markNeedsReauth(account, revoked?.failure.message ?? 'refresh token revoked');
    throw new AccountUnavailableError(account, 'needs_reauth');
  }

  private async markNeedsReauth(account: CrmAccount, why: string): Promise<void> {
    await this.options.accounts.setStatus(account.tenantId, 'needs_reauth', why);
    this.options.logger.error('CRM grant revoked: the account must be re-installed; its work waits until then', {
      crm: account.crm,
      tenant: account.tenantId,
      domain: account.domain,
      reason: why,
    });
  }
}
