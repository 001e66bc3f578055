/**
 * Phones and e-mails visitors left (forms, calls, e-mails), kept hashed for matching a CRM contact
 * to a visitor (DESIGN.md "Matching", step 3). Phones are normalised to E.164 with
 * libphonenumber-js, e-mails lower-cased; only keyed digests (HMAC-SHA-256 under a key derived from
 * ENCRYPTION_KEY, never stored in the database) of the normalised values are stored, so a copy of the
 * database alone cannot be turned back into phone numbers by trying every number.
 */
import { createHmac } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { TokenCipher } from '../security/tokenCipher.js';
import type { Queryable } from '../storage/database.js';

export type IdentityKind = 'phone' | 'email';

/** Numbers written without a country code are read as this country's (the product's home market). */
export const DEFAULT_PHONE_COUNTRY: CountryCode = 'RU';

/**
 * E.164, or undefined for what is not a real number. Valid, not merely possible: a form mask
 * filled with zeros (`+7 (000) 000-00-00`) has the right length, and accepting it would stitch
 * every visitor who typed it into one person.
 */
export function normalizePhone(raw: string, country: CountryCode = DEFAULT_PHONE_COUNTRY): string | undefined {
  const phone = parsePhoneNumberFromString(raw, country);
  return phone?.isValid() ? phone.number : undefined;
}

export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : undefined;
}

/** The HMAC key of identity digests; every process of a deployment derives the same one (FeatureDeps.identityKey). */
export type IdentityKey = Uint8Array;

export function identityKeyOf(cipher: TokenCipher): IdentityKey {
  return cipher.deriveKey('identity-hash');
}

export function identityHash(key: IdentityKey, kind: IdentityKind, normalized: string): string {
  return createHmac('sha256', key).update(`${kind}:${normalized}`).digest('hex');
}

/** The hash of a raw phone or e-mail, or undefined when it cannot be normalised. `region`: the tenant's phone region. */
export function hashOf(key: IdentityKey, kind: IdentityKind, raw: string, region: CountryCode = DEFAULT_PHONE_COUNTRY): string | undefined {
  const normalized = kind === 'phone' ? normalizePhone(raw, region) : normalizeEmail(raw);
  return normalized ? identityHash(key, kind, normalized) : undefined;
}

/** Remembers that `visitorId` left this phone or e-mail (idempotent). `region`: the tenant's phone region (tenantSettings). */
export async function recordIdentity(
  db: Queryable,
  key: IdentityKey,
  input: { tenantId: string; visitorId: string; kind: IdentityKind; value: string; origin: string; at?: Date; region?: CountryCode },
): Promise<boolean> {
  const hash = hashOf(key, input.kind, input.value, input.region);
  if (!hash) return false;
  await db.query(
    `INSERT INTO visitor_identities (tenant_id, kind, value_hash, visitor_id, origin, seen_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, kind, value_hash, visitor_id) DO UPDATE SET seen_at = GREATEST(visitor_identities.seen_at, EXCLUDED.seen_at)`,
    [input.tenantId, input.kind, hash, input.visitorId, input.origin, (input.at ?? new Date()).toISOString()],
  );
  return true;
}

/** For each hash, the visitor who left it most recently. */
export async function visitorsByIdentity(db: Queryable, tenantId: string, kind: IdentityKind, hashes: readonly string[]): Promise<Map<string, string>> {
  if (hashes.length === 0) return new Map();
  const result = await db.query<{ value_hash: string; visitor_id: string }>(
    `SELECT DISTINCT ON (value_hash) value_hash, visitor_id FROM visitor_identities
     WHERE tenant_id = $1 AND kind = $2 AND value_hash = ANY($3::text[])
     ORDER BY value_hash, seen_at DESC`,
    [tenantId, kind, hashes],
  );
  return new Map(result.rows.map((row) => [row.value_hash, row.visitor_id]));
}

/** Whether the tenant has any identities at all (no point reading contacts otherwise). */
export async function hasIdentities(db: Queryable, tenantId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM visitor_identities WHERE tenant_id = $1 LIMIT 1', [tenantId]);
  return result.rows.length > 0;
}

/** One person is at most this many visitor ids (devices, browsers, cleared cookies). */
export const MAX_MERGED_VISITORS = 50;
/** Hops followed from a visitor to others through shared phones and e-mails. */
export const MAX_MERGE_HOPS = 4;

/**
 * The visitor ids that are the same person as each of `visitorIds` (each included): visitors who
 * left the same phone or e-mail, transitively (A shares a phone with B, B an e-mail with C: one
 * person), up to MAX_MERGE_HOPS hops and MAX_MERGED_VISITORS ids per person — a phone shared by a
 * whole office, or a form's placeholder that slipped through, must not glue hundreds of people
 * into one. One query per hop for the whole set.
 */
export async function mergedVisitorGroups(db: Queryable, tenantId: string, visitorIds: readonly string[]): Promise<Map<string, string[]>> {
  const groups = new Map<string, Set<string>>(visitorIds.map((id) => [id, new Set([id])]));
  if (visitorIds.length === 0) return new Map();
  // Which starting visitors each known id belongs to (an id may reach several of them).
  const owners = new Map<string, Set<string>>(visitorIds.map((id) => [id, new Set([id])]));
  let frontier = [...new Set(visitorIds)];
  for (let hop = 0; hop < MAX_MERGE_HOPS && frontier.length > 0; hop += 1) {
    const { rows } = await db.query<{ visitor_id: string; other: string }>(
      `SELECT DISTINCT mine.visitor_id, other.visitor_id AS other FROM visitor_identities mine
       JOIN visitor_identities other ON other.tenant_id = mine.tenant_id AND other.kind = mine.kind AND other.value_hash = mine.value_hash
       WHERE mine.tenant_id = $1 AND mine.visitor_id = ANY($2::text[]) AND other.visitor_id <> mine.visitor_id
       ORDER BY mine.visitor_id, other.visitor_id`,
      [tenantId, frontier],
    );
    const next = new Set<string>();
    for (const row of rows) {
      for (const start of owners.get(row.visitor_id) ?? []) {
        const group = groups.get(start);
        if (!group || group.has(row.other) || group.size >= MAX_MERGED_VISITORS) continue;
        group.add(row.other);
        const reached = owners.get(row.other) ?? new Set<string>();
        reached.add(start);
        owners.set(row.other, reached);
        next.add(row.other);
      }
    }
    frontier = [...next];
  }
  return new Map([...groups].map(([id, group]) => [id, [...group]]));
}

/** The visitor ids that are the same person as `visitorId` (itself first); see `mergedVisitorGroups`. */
export async function mergedVisitorIds(db: Queryable, tenantId: string, visitorId: string): Promise<string[]> {
  const groups = await mergedVisitorGroups(db, tenantId, [visitorId]);
  return groups.get(visitorId) ?? [visitorId];
}
