/**
 * The per-tenant set of deals waiting for enrichment (DESIGN.md "Queue and the CRM rate limits").
 * Webhooks add to it; a flush claims up to one bulk read's worth with a lease, and removes what it
 * finished. A deal touched again while claimed keeps its row (its `touched_at` moves), so the
 * next flush reads it again; a flush that dies leaves its claim to lapse, and the deals come back.
 */
import type { Queryable } from '../../storage/database.js';

export async function touchDeals(db: Queryable, tenantId: string, dealIds: readonly string[], at = new Date()): Promise<void> {
  if (dealIds.length === 0) return;
  await db.query(
    `INSERT INTO enrichment_pending (tenant_id, deal_id, touched_at)
     SELECT $1, id, $3 FROM unnest($2::text[]) AS id
     ON CONFLICT (tenant_id, deal_id) DO UPDATE SET touched_at = GREATEST(enrichment_pending.touched_at, EXCLUDED.touched_at)`,
    [tenantId, [...new Set(dealIds)], at.toISOString()],
  );
}

export interface Claim {
  dealIds: string[];
  /** `touched_at` of each claimed deal when claimed: a later touch means "read it again". */
  touchedAt: Map<string, string>;
}

/**
 * Claims up to `limit` unclaimed (or lapsed) deals of the tenant, oldest touch first — but only a
 * full batch, or whatever is there once no deal was touched for `settleMs`: while deals keep
 * arriving, waiting a moment makes one bulk read instead of two half-empty ones.
 */
export async function claimDeals(db: Queryable, tenantId: string, limit: number, leaseMs: number, settleMs = 0): Promise<Claim> {
  const result = await db.query<{ deal_id: string; touched_at: string }>(
    `WITH ready AS (
       SELECT count(*) AS waiting, max(touched_at) AS newest FROM enrichment_pending
       WHERE tenant_id = $1 AND (claimed_until IS NULL OR claimed_until < now()))
     UPDATE enrichment_pending SET claimed_until = now() + ($3::int * interval '1 millisecond')
     WHERE tenant_id = $1 AND deal_id IN (
       SELECT deal_id FROM enrichment_pending
       WHERE tenant_id = $1 AND (claimed_until IS NULL OR claimed_until < now())
       ORDER BY touched_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       AND ((SELECT waiting FROM ready) >= $2 OR (SELECT newest FROM ready) <= now() - ($4::int * interval '1 millisecond'))
     RETURNING deal_id, touched_at::text AS touched_at`,
    [tenantId, limit, leaseMs, settleMs],
  );
  const touchedAt = new Map(result.rows.map((row) => [row.deal_id, row.touched_at]));
  return { dealIds: [...touchedAt.keys()], touchedAt };
}

/** Removes finished deals, except those touched again since the claim (they are released instead). */
export async function finishDeals(db: Queryable, tenantId: string, claim: Claim, dealIds: readonly string[] = claim.dealIds): Promise<void> {
  if (dealIds.length === 0) return;
  const touched = dealIds.map((id) => claim.touchedAt.get(id) ?? '-infinity');
  await db.query(
    `DELETE FROM enrichment_pending p USING unnest($2::text[], $3::timestamptz[]) AS f(deal_id, touched_at)
     WHERE p.tenant_id = $1 AND p.deal_id = f.deal_id AND p.touched_at <= f.touched_at`,
    [tenantId, dealIds, touched],
  );
  await releaseDeals(db, tenantId, dealIds);
}

/** Gives claimed deals back without finishing them (the account cannot be worked on now). */
export async function releaseDeals(db: Queryable, tenantId: string, dealIds: readonly string[]): Promise<void> {
  if (dealIds.length === 0) return;
  await db.query('UPDATE enrichment_pending SET claimed_until = NULL WHERE tenant_id = $1 AND deal_id = ANY($2::text[])', [tenantId, dealIds]);
}

/** Whether any deal of the tenant waits unclaimed (still arriving, or not yet full batch). */
export async function anyUnclaimed(db: Queryable, tenantId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM enrichment_pending WHERE tenant_id = $1 AND (claimed_until IS NULL OR claimed_until < now()) LIMIT 1', [tenantId]);
  return result.rows.length > 0;
}

/** Keeps deals out of every flush for `delayMs` (their turn comes again after it). */
export async function deferDeals(db: Queryable, tenantId: string, dealIds: readonly string[], delayMs: number): Promise<void> {
  if (dealIds.length === 0) return;
  await db.query(
    `UPDATE enrichment_pending SET claimed_until = now() + ($3::int * interval '1 millisecond') WHERE tenant_id = $1 AND deal_id = ANY($2::text[])`,
    [tenantId, dealIds, Math.round(delayMs)],
  );
}

export async function pendingCount(db: Queryable, tenantId: string): Promise<number> {
  const result = await db.query<{ count: string | number }>('SELECT count(*) AS count FROM enrichment_pending WHERE tenant_id = $1', [tenantId]);
  return Number(result.rows[0]?.count ?? 0);
}
