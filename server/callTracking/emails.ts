/**
 * Tracked e-mails (`POST /api/v1/emails`): an e-mail to a visit's plus-address (`sales+k7f3qa@...`)
 * is matched to that visit by its tag; the sender's address becomes an identity of the visitor.
 * Stored once per `message_id` when one is given (a mail gateway re-posting a message changes nothing).
 */
import { recordIdentity, type IdentityKey } from '../crm/identities.js';
import type { Database, Queryable } from '../storage/database.js';
import { splitPlusAddress } from './emailTags.js';

export type EmailMatchReason = 'no_plus_tag' | 'unknown_tag';

export interface EmailReport {
  from: string;
  to: string[];
  subject?: string | null;
  receivedAt: Date;
  messageId?: string | null;
}

export interface StoredEmail {
  id: string;
  messageId: string | null;
  fromAddress: string;
  toAddress: string;
  subject: string | null;
  receivedAt: Date;
  siteId: string | null;
  tag: string | null;
  visitId: string | null;
  visitorId: string | null;
  matchReason: EmailMatchReason | null;
}

interface EmailRow {
  id: string | number;
  message_id: string | null;
  from_address: string;
  to_address: string;
  subject: string | null;
  received_at: Date | string;
  site_id: string | null;
  tag: string | null;
  visit_id: string | null;
  visitor_id: string | null;
  match_reason: EmailMatchReason | null;
}

const emailColumns = 'id, message_id, from_address, to_address, subject, received_at, site_id, tag, visit_id, visitor_id, match_reason';

function fromRow(row: EmailRow): StoredEmail {
  return {
    id: String(row.id),
    messageId: row.message_id,
    fromAddress: row.from_address,
    toAddress: row.to_address,
    subject: row.subject,
    receivedAt: new Date(row.received_at),
    siteId: row.site_id,
    tag: row.tag,
    visitId: row.visit_id,
    visitorId: row.visitor_id,
    matchReason: row.match_reason,
  };
}

/** `"Sales" <Sales+K7F3QA@Example.com>` -> `sales+k7f3qa@example.com`; undefined when there is no address. */
export function addressOf(header: string): string | undefined {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(header);
  const bare = angle?.[1] ?? header.trim();
  const lower = bare.toLowerCase();
  return /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(lower) ? lower : undefined;
}

async function byMessageId(db: Queryable, tenantId: string, messageId: string): Promise<StoredEmail | undefined> {
  const { rows } = await db.query<EmailRow>(`SELECT ${emailColumns} FROM emails WHERE tenant_id = $1 AND message_id = $2`, [tenantId, messageId]);
  return rows[0] && fromRow(rows[0]);
}

interface TagMatch {
  toAddress: string;
  tag: string;
  siteId: string;
  visitId: string;
  visitorId: string;
}

/** The first recipient whose tag belongs to a visit of this tenant and whose address is that site's. */
async function matchRecipients(db: Queryable, tenantId: string, recipients: string[]): Promise<TagMatch | { reason: EmailMatchReason }> {
  let tagged = false;
  for (const address of recipients) {
    const { base, tag } = splitPlusAddress(address);
    if (!tag) continue;
    tagged = true;
    const { rows } = await db.query<{ site_id: string; visit_id: string; visitor_id: string; email_address: string | null }>(
      `SELECT t.site_id, t.visit_id, t.visitor_id, s.email_address FROM email_tags t JOIN site_lead_tracking s ON s.site_id = t.site_id
        WHERE t.tenant_id = $1 AND t.tag = $2`,
      [tenantId, tag],
    );
    const row = rows[0];
    if (row && row.email_address === base) return { toAddress: address, tag, siteId: row.site_id, visitId: row.visit_id, visitorId: row.visitor_id };
  }
  return { reason: tagged ? 'unknown_tag' : 'no_plus_tag' };
}

export interface RecordedEmail {
  email: StoredEmail;
  created: boolean;
}

/** `from` and `to` must already be plain addresses (`addressOf`). */
export async function recordEmail(db: Database, identityKey: IdentityKey, tenantId: string, report: EmailReport): Promise<RecordedEmail> {
  if (report.messageId) {
    const earlier = await byMessageId(db, tenantId, report.messageId);
    if (earlier) return { email: earlier, created: false };
  }
  const match = await matchRecipients(db, tenantId, report.to);
  const matched = 'visitId' in match ? match : undefined;
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<EmailRow>(
      `INSERT INTO emails (tenant_id, message_id, from_address, to_address, subject, received_at, site_id, tag, visit_id, visitor_id, match_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (tenant_id, message_id) WHERE message_id IS NOT NULL DO NOTHING
       RETURNING ${emailColumns}`,
      [
        tenantId,
        report.messageId ?? null,
        report.from,
        matched?.toAddress ?? report.to.join(', '),
        report.subject ?? null,
        report.receivedAt.toISOString(),
        matched?.siteId ?? null,
        matched?.tag ?? null,
        matched?.visitId ?? null,
        matched?.visitorId ?? null,
        matched ? null : (match as { reason: EmailMatchReason }).reason,
      ],
    );
    if (!rows[0]) return { email: (await byMessageId(tx, tenantId, report.messageId as string)) as StoredEmail, created: false };
    const email = fromRow(rows[0]);
    if (email.visitorId) await recordIdentity(tx, identityKey, { tenantId, visitorId: email.visitorId, kind: 'email', value: report.from, origin: 'email', at: report.receivedAt });
    return { email, created: true };
  });
}

export function emailJson(email: StoredEmail) {
  return {
    id: email.id,
    message_id: email.messageId,
    from: email.fromAddress,
    to: email.toAddress,
    subject: email.subject,
    received_at: email.receivedAt.toISOString(),
    site_id: email.siteId,
    matched: email.visitId !== null,
    visit_id: email.visitId,
    visitor_id: email.visitorId,
    match_reason: email.matchReason,
  };
}
