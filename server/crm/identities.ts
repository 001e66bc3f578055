/**
 * Phones and e-mails visitors left (forms, calls, e-mails), kept hashed for matching a CRM contact
 * to a visitor (DESIGN.md "Matching", step 3). Phones are normalised to E.164 with
 * libphonenumber-js, e-mails lower-cased; only SHA-256 digests of the normalised values are stored.
 */
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
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

export function identityHash(kind: IdentityKind, normalized: string): string {
  return createHash('sha256').update(`${kind}:${normalized}`).digest('hex');
}

/** The hash of a raw phone or e-mail, or undefined when it cannot be normalised. */
export function hashOf(kind: IdentityKind, raw: string): string | undefined {
  const normalized = kind === 'phone' ? normalizePhone(raw) : normalizeEmail(raw);
  return normalized ? identityHash(kind, normalized) : undefined;
}

/** Remembers that `visitorId` left this phone or e-mail (idempotent). */
export async function recordIdentity(
  db: Queryable,
  input: { tenantId: string; visitorId: string; kind: IdentityKind; value: string; origin: string; at?: Date },
): Promise<boolean> {
  const hash = hashOf(input.kind, input.value);
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
