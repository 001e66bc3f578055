/**
 * What the collector answers a visit's first hit on a site with call or e-mail tracking
 * (tracker/PROTOCOL.md, "Swap"): the digits of the site's default number and of the number this
 * visit shows instead (its pool number; when the pool is exhausted the static number of its source
 * or channel; else nothing changes), the site's address and the visit's plus-address, and how long
 * the visit may stay quiet before it must ask again (the lease's grace period).
 *
 * Only hits that carry `swap` come here; a site without call or e-mail tracking costs one cached
 * lookup, answered from memory.
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queryable } from '../storage/database.js';
import { emailTagForVisit, plusAddress } from './emailTags.js';
import { leaseNumber, type LeasePolicy } from './leases.js';
import { loadSwapSetUp, nationalDigits, type SwapSetUp } from './siteNumbers.js';

export interface SwapAnswer {
  /** `[default number's digits, this visit's number's digits]`, both after the country code. */
  phone?: [string, string];
  /** `[site address, this visit's address]`. */
  email?: [string, string];
  /** Seconds the visit may stay quiet and keep this answer. */
  ttl: number;
}

export interface SwapVisit {
  tenantId: string;
  siteId: string;
  visitId: string;
  visitorId: string;
}

/** Set-ups by site, cached like sites are: every first hit of a visit asks. */
class SwapDirectory {
  private readonly cache = new Map<string, { setUp: SwapSetUp | undefined; expires: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly ttlMs = 30_000,
  ) {}

  async bySite(siteId: string): Promise<SwapSetUp | undefined> {
    const cached = this.cache.get(siteId);
    if (cached && cached.expires > Date.now()) return cached.setUp;
    const setUp = await loadSwapSetUp(this.db, siteId);
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(siteId, { setUp, expires: Date.now() + this.ttlMs });
    return setUp;
  }
}

const EXHAUSTION_LOG_EVERY_MS = 60_000;

export class VisitSwap {
  private readonly directory: SwapDirectory;
  private readonly exhaustionLogged = new Map<string, { at: number; since: number }>();

  constructor(
    private readonly deps: { db: Queryable; logger: Logger; metrics: Metrics; policy: LeasePolicy; now?: () => Date },
  ) {
    this.directory = new SwapDirectory(deps.db);
  }

  /** undefined: the site has no call or e-mail tracking (the hit is answered as any other). */
  async answer(visit: SwapVisit): Promise<SwapAnswer | undefined> {
    const setUp = await this.directory.bySite(visit.siteId);
    if (!setUp) return undefined;
    const now = this.deps.now?.() ?? new Date();
    const answer: SwapAnswer = { ttl: Math.floor(this.deps.policy.graceMs / 1000) };
    if (setUp.defaultNumber) {
      const shown = await this.numberFor(setUp, visit, now);
      if (shown && shown !== setUp.defaultNumber) answer.phone = [nationalDigits(setUp.defaultNumber), nationalDigits(shown)];
    }
    if (setUp.emailAddress) {
      const tag = await emailTagForVisit(this.deps.db, { ...visit, now });
      answer.email = [setUp.emailAddress, plusAddress(setUp.emailAddress, tag)];
    }
    return answer;
  }

  private async numberFor(setUp: SwapSetUp, visit: SwapVisit, now: Date): Promise<string | undefined> {
    if (!setUp.hasPool) return this.staticNumberFor(setUp, visit);
    const outcome = await leaseNumber(this.deps.db, { ...visit, now }, this.deps.policy);
    if (outcome.kind === 'leased') {
      if (outcome.fresh) this.deps.metrics.numberLeases.inc({ outcome: 'leased' });
      return outcome.number;
    }
    if (outcome.fresh) {
      this.deps.metrics.numberLeases.inc({ outcome: 'exhausted' });
      this.deps.metrics.numberPoolExhausted.inc({ site: visit.siteId });
      this.logExhaustion(visit.siteId, outcome.wanted, outcome.poolSize);
    }
    return this.staticNumberFor(setUp, visit);
  }

  /** The static number of the visit's source (`avito`), else of its channel group (`Classifieds`). */
  private async staticNumberFor(setUp: SwapSetUp, visit: SwapVisit): Promise<string | undefined> {
    if (setUp.staticNumbers.size === 0) return undefined;
    const { rows } = await this.deps.db.query<{ source: string; channel: string }>('SELECT source, channel FROM visits WHERE tenant_id = $1 AND id = $2', [
      visit.tenantId,
      visit.visitId,
    ]);
    const row = rows[0];
    if (!row) return undefined;
    return setUp.staticNumbers.get(row.source.toLowerCase()) ?? setUp.staticNumbers.get(row.channel.toLowerCase());
  }

  /** At most one line per site a minute, with how many visits it stands for. */
  private logExhaustion(siteId: string, wanted: number, poolSize: number): void {
    const now = Date.now();
    const last = this.exhaustionLogged.get(siteId);
    if (last && now - last.at < EXHAUSTION_LOG_EVERY_MS) {
      last.since++;
      return;
    }
    this.exhaustionLogged.set(siteId, { at: now, since: 0 });
    this.deps.logger.warn('tracking number pool exhausted: the visit sees the static or default number, and its calls cannot be tied to it', {
      site: siteId,
      poolSize,
      visitsWantingANumber: wanted,
      exhaustedSinceLastLine: last?.since ?? 0,
    });
  }
}
