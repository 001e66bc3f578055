/**
 * Number leases: which visit is shown which pool number, and when (DESIGN.md `number_lease`).
 *
 * - A lease is open (`released_at IS NULL`) from the visit's first hit while the visit is active:
 *   it ends `graceMs` after the visit's last hit. Ordinary hits renew it for free, since they move
 *   `visits.last_activity_at`; nothing about leases is written on the hot path.
 * - Ended leases are released lazily, only when a visit finds no free number: `released_at` is
 *   then set to when the lease really ended (last hit + grace), not to when it was noticed.
 * - A released number rests `cooldownMs` before another visit gets it (the same visit may take its
 *   number back at once).
 * - Never two open leases of one number, nor two of one visit: two partial unique indexes say so
 *   (migration 0008), so it holds across server processes on PostgreSQL as on PGlite. Candidates are
 *   picked with `FOR UPDATE SKIP LOCKED` so concurrent visits take different numbers; a pick that
 *   still collides (a lease committed between our snapshot and our lock) inserts nothing and the
 *   next attempt looks again.
 * - A visit that finds the pool exhausted gets an open lease without a number, so the peak of
 *   visits wanting a number, plus the numbers cooling down then (the pool size that would have
 *   been enough), can be counted.
 */
import type { Queryable } from '../storage/database.js';

export interface LeasePolicy {
  graceMs: number;
  cooldownMs: number;
}

export interface LeaseRequest {
  tenantId: string;
  siteId: string;
  visitId: string;
  visitorId: string;
  now: Date;
}

export type LeaseOutcome =
  /** `fresh`: leased by this request (not one the visit already held). */
  | { kind: 'leased'; number: string; fresh: boolean }
  /** `fresh`: this request found the pool exhausted (a visit that already had found it so is not counted again). */
  | { kind: 'exhausted'; fresh: boolean; wanted: number; poolSize: number };

/** A pick can lose a race to another process; it then looks again, this many times at most. */
const MAX_ATTEMPTS = 25;

const interval = (index: number) => `($${index}::double precision * interval '1 millisecond')`;

/** Releases this site's leases whose visit has been quiet for longer than the grace period. */
export async function releaseEndedLeases(db: Queryable, siteId: string, now: Date, graceMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `WITH ended AS (
       SELECT o.id, GREATEST(o.leased_at, COALESCE(v.last_activity_at, o.leased_at)) + ${interval(3)} AS ends_at
         FROM number_leases o LEFT JOIN visits v ON v.tenant_id = o.tenant_id AND v.id = o.visit_id
        WHERE o.site_id = $1 AND o.released_at IS NULL
     ),
     locked AS (
       SELECT l.id, e.ends_at FROM number_leases l JOIN ended e ON e.id = l.id
        WHERE e.ends_at <= $2 AND l.released_at IS NULL
        ORDER BY l.id FOR UPDATE OF l SKIP LOCKED
     )
     UPDATE number_leases l SET released_at = k.ends_at FROM locked k WHERE l.id = k.id AND l.released_at IS NULL`,
    [siteId, request(now), graceMs],
  );
  return rowCount;
}

function request(now: Date): string {
  return now.toISOString();
}

async function openLeaseOf(db: Queryable, tenantId: string, visitId: string): Promise<{ number: string | null } | undefined> {
  const { rows } = await db.query<{ number: string | null }>(
    `SELECT n.number FROM number_leases l LEFT JOIN tracking_numbers n ON n.id = l.number_id
      WHERE l.tenant_id = $1 AND l.visit_id = $2 AND l.released_at IS NULL`,
    [tenantId, visitId],
  );
  return rows[0];
}

/** One attempt: undefined when no number is free, else the number and whether the insert won. */
async function tryLease(db: Queryable, lease: LeaseRequest, cooldownMs: number): Promise<{ number: string; taken: boolean } | undefined> {
  const { rows } = await db.query<{ number: string; taken: number }>(
    `WITH candidate AS (
       SELECT n.id, n.number FROM tracking_numbers n
        WHERE n.site_id = $2 AND n.kind = 'pool' AND n.retired_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM number_leases l WHERE l.number_id = n.id AND l.released_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM number_leases l WHERE l.number_id = n.id AND l.released_at > $6::timestamptz - ${interval(7)}
                            AND NOT (l.tenant_id = $1 AND l.visit_id = $3))
        ORDER BY EXISTS (SELECT 1 FROM number_leases l WHERE l.number_id = n.id AND l.tenant_id = $1 AND l.visit_id = $3) DESC,
                 (SELECT max(l.released_at) FROM number_leases l WHERE l.number_id = n.id) ASC NULLS FIRST,
                 n.id
        LIMIT 1
        FOR UPDATE OF n SKIP LOCKED
     ),
     taken AS (
       INSERT INTO number_leases (tenant_id, site_id, number_id, visit_id, visitor_id, leased_at)
       SELECT $1, $2, id, $3, $4, $5 FROM candidate
       ON CONFLICT DO NOTHING
       RETURNING number_id
     )
     SELECT c.number, (SELECT count(*) FROM taken)::int AS taken FROM candidate c`,
    [lease.tenantId, lease.siteId, lease.visitId, lease.visitorId, request(lease.now), request(lease.now), cooldownMs],
  );
  const row = rows[0];
  return row && { number: row.number, taken: row.taken > 0 };
}

/** Records that the visit wanted a number the pool did not have; false when the visit already holds a lease row. */
async function recordShortfall(db: Queryable, lease: LeaseRequest): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO number_leases (tenant_id, site_id, number_id, visit_id, visitor_id, leased_at) VALUES ($1, $2, NULL, $3, $4, $5)
     ON CONFLICT DO NOTHING RETURNING id`,
    [lease.tenantId, lease.siteId, lease.visitId, lease.visitorId, request(lease.now)],
  );
  return rows.length > 0;
}

/**
 * What the pool would have needed now: the visits wanting a number (holding one or not) plus the
 * numbers still cooling down. The peak is kept on the site.
 */
async function recordExhaustion(db: Queryable, lease: LeaseRequest, cooldownMs: number): Promise<{ wanted: number; poolSize: number }> {
  const { rows } = await db.query<{ wanted: number; pool_size: number }>(
    `WITH counts AS (
       SELECT (SELECT count(*) FROM number_leases WHERE site_id = $1 AND released_at IS NULL)::int
              + (SELECT count(*) FROM tracking_numbers n WHERE n.site_id = $1 AND n.kind = 'pool' AND n.retired_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM number_leases l WHERE l.number_id = n.id AND l.released_at IS NULL)
                   AND EXISTS (SELECT 1 FROM number_leases l WHERE l.number_id = n.id AND l.released_at > $2::timestamptz - ${interval(3)}))::int AS wanted,
              (SELECT count(*) FROM tracking_numbers WHERE site_id = $1 AND kind = 'pool' AND retired_at IS NULL)::int AS pool_size
     ),
     stats AS (
       UPDATE site_lead_tracking s SET peak_wanted = GREATEST(s.peak_wanted, c.wanted), exhausted_total = s.exhausted_total + 1,
              last_exhausted_at = $2
         FROM counts c WHERE s.site_id = $1
     )
     SELECT wanted, pool_size FROM counts`,
    [lease.siteId, request(lease.now), cooldownMs],
  );
  return { wanted: rows[0]?.wanted ?? 0, poolSize: rows[0]?.pool_size ?? 0 };
}

/** The pool number this visit shows: the one it holds, else a free one, else none (exhausted). */
export async function leaseNumber(db: Queryable, lease: LeaseRequest, policy: LeasePolicy): Promise<LeaseOutcome> {
  let swept = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const held = await openLeaseOf(db, lease.tenantId, lease.visitId);
    if (held) {
      if (held.number) return { kind: 'leased', number: held.number, fresh: false };
      return { kind: 'exhausted', fresh: false, wanted: 0, poolSize: 0 };
    }
    const picked = await tryLease(db, lease, policy.cooldownMs);
    if (picked?.taken) return { kind: 'leased', number: picked.number, fresh: true };
    if (picked) continue;
    if (!swept) {
      swept = true;
      if ((await releaseEndedLeases(db, lease.siteId, lease.now, policy.graceMs)) > 0) continue;
    }
    if (await recordShortfall(db, lease)) return { kind: 'exhausted', fresh: true, ...(await recordExhaustion(db, lease, policy.cooldownMs)) };
  }
  throw new Error(`no number lease decided for visit ${lease.visitId} after ${MAX_ATTEMPTS} attempts`);
}

export interface LeaseAtTime {
  visitId: string;
  visitorId: string;
  leasedAt: Date;
  endsAt: Date;
}

/**
 * The last lease of any of these numbers that began at or before `at`, with when it ended (or will
 * end, if the visit stays quiet): covering `at` when `endsAt > at`.
 */
export async function lastLeaseBefore(db: Queryable, numberIds: readonly string[], at: Date, graceMs: number): Promise<LeaseAtTime | undefined> {
  if (numberIds.length === 0) return undefined;
  const { rows } = await db.query<{ visit_id: string; visitor_id: string; leased_at: Date | string; ends_at: Date | string }>(
    `SELECT l.visit_id, l.visitor_id, l.leased_at,
            COALESCE(l.released_at, GREATEST(l.leased_at, COALESCE(v.last_activity_at, l.leased_at)) + ${interval(3)}) AS ends_at
       FROM number_leases l LEFT JOIN visits v ON v.tenant_id = l.tenant_id AND v.id = l.visit_id
      WHERE l.number_id = ANY($1::text[]) AND l.leased_at <= $2
      ORDER BY l.leased_at DESC LIMIT 1`,
    [numberIds, request(at), graceMs],
  );
  const row = rows[0];
  return row && { visitId: row.visit_id, visitorId: row.visitor_id, leasedAt: new Date(row.leased_at), endsAt: new Date(row.ends_at) };
}
