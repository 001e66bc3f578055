/**
 * The one way a lead enters LongFunnel, whatever brought it (a site's form, its backend, a tracked
 * call or e-mail): `acceptLead` stores it — before any CRM call — and queues its delivery to the
 * tenant's CRM (leadDelivery.ts). A CRM outage delays the lead, never loses it.
 *
 * - The phone is read with libphonenumber-js in the tenant's phone region; one that cannot be read is
 *   kept as typed and flagged (`phone_invalid`), never dropped. Likewise an e-mail.
 * - The same form sent twice within DEDUPE_WINDOW_MS (same site, same form name, same normalised
 *   phone and e-mail) is one lead: the repeat is answered with the first one's id.
 * - A submission with an `externalId` (a call id, a caller's idempotency key) is stored once per
 *   tenant and origin: sending it again answers the first one's id.
 * - The phone and e-mail become identities of the visitor (hashed), so the person's other devices
 *   merge with this one (identities.ts `mergedVisitorIds`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { FeatureDeps } from '../runtime.js';
import { normalizeEmail, normalizePhone, recordIdentity } from '../crm/identities.js';
import type { Queryable } from '../storage/database.js';
import type { LeadContent } from '../crm/crmAdapter.js';
import type { NoMatchReason } from '../crm/enrichment/matchReasons.js';
import { tenantSettings } from '../tenants/tenantSettings.js';

export type LeadOrigin = 'form' | 'call' | 'email' | 'api';

export interface LeadSubmission extends LeadContent {
  tenantId: string;
  siteId?: string;
  origin: LeadOrigin;
  /** e.g. a call id, or the caller's idempotency key: the same one twice is one lead. */
  externalId?: string;
  /**
   * Without a visitor: why none is known (e.g. a call to a number no visit held). The lead's deal is
   * recorded as `none` with this reason unless its phone or e-mail matches a visitor.
   */
  noMatchReason?: NoMatchReason;
  receivedAt: Date;
}

export interface AcceptedLead {
  /** The lead this submission belongs to: its own id, or the first one's when it repeated one. */
  id: string;
  /** Set (to the first submission's id) when this one repeated it and made no new lead. */
  duplicateOf?: string;
}

/** Queue of lead deliveries to the CRM (leadDelivery.ts). */
export const LEAD_QUEUE = 'lead-deliver';
/** The same form with the same phone/e-mail within this long is one lead. */
export const DEDUPE_WINDOW_MS = 60_000;
/** Attempts of one delivery job; the lead sweep starts another job for a lead still pending after them. */
export const DELIVERY_ATTEMPTS = 8;
export const DELIVERY_BACKOFF_MS = 2_000;

/** Job id of a lead's first delivery (the sweep's later ones add a suffix). */
export function deliveryJobId(leadId: string, round = 0): string {
  return round === 0 ? `lead-${leadId}` : `lead-${leadId}-r${round}`;
}

interface Normalised {
  phoneE164: string | null;
  phoneInvalid: boolean;
  email: string | null;
  emailInvalid: boolean;
}

function clean(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function dedupeKey(input: LeadSubmission, normalised: Normalised, phone: string | undefined, email: string | undefined): string {
  // A phone that cannot be read is compared by its digits; an e-mail as typed, lower-cased.
  const phoneKey = normalised.phoneE164 ?? (phone ? `raw:${phone.replace(/\D/g, '')}` : '');
  const emailKey = normalised.email ?? (email ? `raw:${email.toLowerCase()}` : '');
  return createHash('sha256')
    .update(JSON.stringify([input.origin, input.siteId ?? '', (input.formName ?? '').trim().toLowerCase(), phoneKey, emailKey]))
    .digest('hex');
}

async function existingByExternalId(db: Queryable, input: LeadSubmission): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM lead_requests WHERE tenant_id = $1 AND origin = $2 AND external_id = $3', [
    input.tenantId,
    input.origin,
    input.externalId,
  ]);
  return rows[0]?.id;
}

/**
 * Stores a lead and queues its delivery to the tenant's CRM. Throws `AppError` 400 when it has
 * neither a phone nor an e-mail, 404 for an unknown tenant.
 */
export async function acceptLead(deps: FeatureDeps, input: LeadSubmission): Promise<AcceptedLead> {
  const phone = clean(input.phone);
  const email = clean(input.email);
  if (!phone && !email) throw AppError.validation('A lead needs a phone or an e-mail');
  const settings = await tenantSettings(deps.db, input.tenantId);
  const phoneE164 = phone ? (normalizePhone(phone, settings.phoneRegion) ?? null) : null;
  const normalizedEmail = email ? (normalizeEmail(email) ?? null) : null;
  const normalised: Normalised = { phoneE164, phoneInvalid: Boolean(phone) && !phoneE164, email: normalizedEmail, emailInvalid: Boolean(email) && !normalizedEmail };
  const externalId = clean(input.externalId);
  // Forms repeat (a double click, a "send" pressed again); calls and e-mails have their own ids.
  const key = externalId ? null : dedupeKey(input, normalised, phone, email);

  const outcome = await deps.db.transaction(async (tx) => {
    // Two copies of one submission arriving at once wait for each other here, so one of them finds the other.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lead:${input.tenantId}:${externalId ? `x:${input.origin}:${externalId}` : key}`]);
    if (externalId) {
      const first = await existingByExternalId(tx, { ...input, externalId });
      if (first) return { id: first, duplicateOf: first };
    } else {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM lead_requests WHERE tenant_id = $1 AND dedupe_key = $2 AND received_at > $3 AND received_at <= $4
         ORDER BY received_at LIMIT 1`,
        [input.tenantId, key, new Date(input.receivedAt.getTime() - DEDUPE_WINDOW_MS).toISOString(), new Date(input.receivedAt.getTime() + DEDUPE_WINDOW_MS).toISOString()],
      );
      const first = rows[0]?.id;
      if (first) {
        await tx.query('UPDATE lead_requests SET repeats = repeats + 1 WHERE id = $1', [first]);
        return { id: first, duplicateOf: first };
      }
    }
    const id = randomUUID();
    await tx.query(
      `INSERT INTO lead_requests (id, tenant_id, site_id, origin, external_id, visitor_id, name, phone, phone_e164, phone_invalid, email,
         email_normalized, email_invalid, comment, form_name, page_url, referrer, ip, dedupe_key, received_at, no_match_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      [
        id,
        input.tenantId,
        input.siteId ?? null,
        input.origin,
        externalId ?? null,
        clean(input.visitorId) ?? null,
        clean(input.name) ?? null,
        phone ?? null,
        normalised.phoneE164,
        normalised.phoneInvalid,
        email ?? null,
        normalised.email,
        normalised.emailInvalid,
        clean(input.comment) ?? null,
        clean(input.formName) ?? null,
        clean(input.pageUrl) ?? null,
        clean(input.referrer) ?? null,
        clean(input.ip) ?? null,
        key,
        input.receivedAt.toISOString(),
        clean(input.visitorId) ? null : (input.noMatchReason ?? null),
      ],
    );
    const visitorId = clean(input.visitorId);
    if (visitorId) {
      const origin = input.origin;
      if (phoneE164) await recordIdentity(tx, deps.identityKey, { tenantId: input.tenantId, visitorId, kind: 'phone', value: phoneE164, origin, at: input.receivedAt, region: settings.phoneRegion });
      if (normalizedEmail) await recordIdentity(tx, deps.identityKey, { tenantId: input.tenantId, visitorId, kind: 'email', value: normalizedEmail, origin, at: input.receivedAt });
    }
    return { id };
  });

  if (outcome.duplicateOf) {
    deps.metrics.leadsAccepted.inc({ origin: input.origin, outcome: 'repeat' });
    return outcome;
  }
  deps.metrics.leadsAccepted.inc({ origin: input.origin, outcome: normalised.phoneInvalid || normalised.emailInvalid ? 'flagged' : 'stored' });
  // Stored first: if queuing fails now, the lead sweep queues it later (leadDelivery.ts).
  try {
    await deps.queue.add(LEAD_QUEUE, 'deliver', { leadId: outcome.id }, { jobId: deliveryJobId(outcome.id), attempts: DELIVERY_ATTEMPTS, backoff: { delayMs: DELIVERY_BACKOFF_MS, jitter: 0.5 } });
  } catch (error) {
    deps.logger.warn('lead stored but its delivery could not be queued now; the lead sweep queues it', { tenant: input.tenantId, lead: outcome.id, error: String(error) });
  }
  return outcome;
}
