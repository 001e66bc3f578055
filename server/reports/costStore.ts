/**
 * Imported ad costs. Stored without VAT (`cost_net`); reports show them with VAT when the tenant's
 * `costsIncludeVat` says so, at its `vatPercent`. A re-import of the same day, source, medium and
 * campaign replaces the stored cost; lines of one file with the same key are added up first
 * (a Yandex report by day and ad network has two lines per campaign and day).
 */
import type { TenantSettings } from '../tenants/tenantSettings.js';
import type { Database, Queryable } from '../storage/database.js';
import type { CostLine, CostMapping } from './costImport.js';

export interface StoredCost {
  date: string;
  source: string;
  medium: string;
  campaign: string | null;
  cost: number;
  currency: string;
}

/** What one unit of stored (net) cost is shown as. */
export function costFactor(settings: TenantSettings): number {
  return settings.costsIncludeVat ? 1 + settings.vatPercent / 100 : 1;
}

/** Stores `rows`; `includesVat` says whether the file's costs include the tenant's VAT. Returns the keys written. */
export async function storeCosts(db: Database, tenantId: string, rows: readonly CostLine[], options: { mapping: CostMapping; includesVat: boolean; vatPercent: number }): Promise<number> {
  const sums = new Map<string, { day: string; source: string; medium: string; campaign: string; cost: number }>();
  for (const row of rows) {
    const key = JSON.stringify([row.day, row.source, row.medium, row.campaign]);
    const found = sums.get(key);
    if (found) found.cost += row.cost;
    else sums.set(key, { day: row.day, source: row.source, medium: row.medium, campaign: row.campaign, cost: row.cost });
  }
  const divisor = options.includesVat ? 1 + options.vatPercent / 100 : 1;
  const list = [...sums.values()];
  await db.transaction(async (tx) => {
    for (let offset = 0; offset < list.length; offset += 1000) {
      const chunk = list.slice(offset, offset + 1000);
      await tx.query(
        `INSERT INTO ad_costs (tenant_id, day, source, medium, campaign, cost_net, mapping)
         SELECT $1, day, source, medium, campaign, cost_net, $7 FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::numeric[]) AS r(day, source, medium, campaign, cost_net)
         ON CONFLICT (tenant_id, day, source, medium, campaign) DO UPDATE SET cost_net = EXCLUDED.cost_net, mapping = EXCLUDED.mapping, imported_at = now()`,
        [
          tenantId,
          chunk.map((row) => row.day),
          chunk.map((row) => row.source),
          chunk.map((row) => row.medium),
          chunk.map((row) => row.campaign),
          chunk.map((row) => (row.cost / divisor).toFixed(6)),
          options.mapping,
        ],
      );
    }
  });
  return list.length;
}

export async function listCosts(db: Queryable, tenantId: string, settings: TenantSettings, from: string, to: string): Promise<StoredCost[]> {
  const { rows } = await db.query<{ day: string; source: string; medium: string; campaign: string; cost_net: string }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, source, medium, campaign, cost_net::text AS cost_net FROM ad_costs
     WHERE tenant_id = $1 AND day >= $2::date AND day <= $3::date ORDER BY day, source, medium, campaign`,
    [tenantId, from, to],
  );
  const factor = costFactor(settings);
  return rows.map((row) => ({
    date: row.day,
    source: row.source,
    medium: row.medium,
    campaign: row.campaign === '' ? null : row.campaign,
    cost: roundMoney(Number(row.cost_net) * factor),
    currency: settings.currency,
  }));
}

export function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}
