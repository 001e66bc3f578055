/**
 * Per-visit e-mail addresses by plus-addressing: `sales@example.com` is shown to a visit as
 * `sales+k7f3qa@example.com`; mail servers (Gmail, Yandex 360, Mail.ru for business, Microsoft 365,
 * Postfix with `recipient_delimiter = +`) deliver it to `sales@`, and the tag says which visit saw it.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../storage/database.js';

const TAG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const TAG_LENGTH = 6;
const MAX_ATTEMPTS = 5;

/** 6 characters of `a-z0-9`, about 31 bits: unique per tenant (a collision picks another). */
export function newEmailTag(): string {
  let tag = '';
  for (const byte of randomBytes(TAG_LENGTH * 2)) {
    if (byte < 252) tag += TAG_ALPHABET[byte % TAG_ALPHABET.length];
    if (tag.length === TAG_LENGTH) break;
  }
  return tag.length === TAG_LENGTH ? tag : newEmailTag();
}

export function plusAddress(address: string, tag: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at)}+${tag}${address.slice(at)}`;
}

/** `Sales+K7F3QA@Example.com` -> `{ base: 'sales@example.com', tag: 'k7f3qa' }`; tag null without a `+`. */
export function splitPlusAddress(address: string): { base: string; tag: string | null } {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  const local = lower.slice(0, at);
  const plus = local.indexOf('+');
  if (at < 0 || plus < 0) return { base: lower, tag: null };
  return { base: local.slice(0, plus) + lower.slice(at), tag: local.slice(plus + 1) || null };
}

/** The visit's tag: the one it has, else a new one. */
export async function emailTagForVisit(
  db: Queryable,
  visit: { tenantId: string; siteId: string; visitId: string; visitorId: string; now: Date },
): Promise<string> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { rows: existing } = await db.query<{ tag: string }>('SELECT tag FROM email_tags WHERE tenant_id = $1 AND visit_id = $2', [visit.tenantId, visit.visitId]);
    if (existing[0]) return existing[0].tag;
    const { rows } = await db.query<{ tag: string }>(
      `INSERT INTO email_tags (tenant_id, tag, site_id, visit_id, visitor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING RETURNING tag`,
      [visit.tenantId, newEmailTag(), visit.siteId, visit.visitId, visit.visitorId, visit.now.toISOString()],
    );
    if (rows[0]) return rows[0].tag;
  }
  throw new Error(`no e-mail tag for visit ${visit.visitId} after ${MAX_ATTEMPTS} attempts`);
}
