/**
 * The Markov removal effects a deal card credits touches with when the tenant's model is `markov`:
 * computed over the tenant's paths of the lookback window (deals converting when won), as the channels
 * report computes them, and kept per tenant for a few minutes, so opening cards costs one computation
 * per tenant per TTL rather than one per card.
 */
import type { MarkovCredit } from '../attribution/index.js';
import { markovForScope, refreshDealPaths } from '../reports/dealCredits.js';
import type { Database } from '../storage/database.js';
import type { TenantSettings } from '../tenants/tenantSettings.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const MARKOV_CACHE_MS = 10 * 60 * 1000;

export type MarkovSource = (tenantId: string, settings: TenantSettings) => Promise<MarkovCredit>;

export function cachedTenantMarkov(db: Database, ttlMs = MARKOV_CACHE_MS, now: () => number = Date.now): MarkovSource {
  const cache = new Map<string, { at: number; credit: Promise<MarkovCredit> }>();
  return (tenantId, settings) => {
    const key = `${tenantId}\u001f${settings.lookbackDays}`;
    const cached = cache.get(key);
    if (cached && now() - cached.at < ttlMs) return cached.credit;
    const end = new Date(Math.ceil(now() / DAY_MS) * DAY_MS);
    const start = new Date(end.getTime() - settings.lookbackDays * DAY_MS);
    const iso = (date: Date) => date.toISOString().slice(0, 10);
    const period = { from: iso(start), to: iso(new Date(end.getTime() - DAY_MS)), start, end };
    const credit = (async () => {
      // The deal-path rollup the reports keep, brought up to date for this window first.
      await refreshDealPaths(db, tenantId, period, { lookbackDays: settings.lookbackDays, halfLifeDays: settings.timeDecayHalfLifeDays });
      return markovForScope(db, { tenantId, period, lookbackDays: settings.lookbackDays }, 'won');
    })();
    cache.set(key, { at: now(), credit });
    // A failed computation is not kept: the next card tries again.
    credit.catch(() => cache.delete(key));
    return credit;
  };
}
