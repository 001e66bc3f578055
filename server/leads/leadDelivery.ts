/**
 * Delivers stored leads (leadIntake.ts) to the tenant's CRM through `CrmConnection.createLead`,
 * exactly once:
 * - one delivery at a time per lead (a short claim on the row);
 * - the record is created with our reference in its title; an attempt whose answer never came
 *   (timeout, connection cut) leaves `attempt_started_at` set, and the next attempt first looks the
 *   reference up — no sooner than twice the CRM's request timeout after it, so a request still on
 *   its way has landed — and takes the record it finds instead of creating a second one;
 * - a CRM outage is retried with backoff (DELIVERY_ATTEMPTS), then by the lead sweep every
 *   SWEEP_EVERY_MS for as long as the lead is pending: nothing is dropped. A lead the CRM refuses
 *   outright (validation) is marked failed with the CRM's words, for an operator to look at.
 * The created deal is touched for enrichment, which records it as matched by `form` (or `call`,
 * `email`) with the visitor of the lead.
 */
import { CrmError } from '../../integrations/crmError.js';
import { AccountUnavailableError } from '../crm/crmAccess.js';
import { tenantCrm } from '../crm/crmFeature.js';
import type { NewCrmLead } from '../crm/crmAdapter.js';
import { touchDeals } from '../crm/enrichment/pendingDeals.js';
import { visitsForDeals } from '../crm/enrichment/dealVisits.js';
import { hashOf, visitorsByIdentity } from '../crm/identities.js';
import type { NoMatchReason } from '../crm/enrichment/matchReasons.js';
import { dealSourceValues, matchConfidence, type DealMatch } from '../crm/sourceFields.js';
import { errorMeta } from '../observability/logger.js';
import { PermanentJobError, type Job } from '../queue/jobQueue.js';
import type { FeatureDeps } from '../runtime.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import { DELIVERY_ATTEMPTS, DELIVERY_BACKOFF_MS, LEAD_QUEUE, deliveryJobId } from './leadIntake.js';

/** How long one delivery holds its lead (a worker that died lets go after this). */
const CLAIM_MS = 5 * 60_000;
/** The lead sweep runs this often. */
export const SWEEP_EVERY_MS = 60_000;
/** A pending lead no delivery touched for this long gets a new delivery job from the sweep. */
export const RESTART_AFTER_MS = 5 * 60_000;

export interface DeliverJob {
  leadId: string;
}

interface LeadRow {
  id: string;
  tenant_id: string;
  origin: 'form' | 'call' | 'email' | 'api';
  visitor_id: string | null;
  no_match_reason: NoMatchReason | null;
  name: string | null;
  phone: string | null;
  phone_e164: string | null;
  email: string | null;
  email_normalized: string | null;
  comment: string | null;
  form_name: string | null;
  page_url: string | null;
  referrer: string | null;
  ip: string | null;
  received_at: Date | string;
  status: string;
  attempt_started_at: Date | string | null;
}

/** `LF-` and 12 hex digits of the lead's id: what the CRM record's title carries. */
export function leadReference(leadId: string): string {
  return `LF-${leadId.replace(/-/g, '').slice(0, 12)}`;
}

const titles = {
  ru: { form: 'Заявка с сайта', api: 'Заявка с сайта', call: 'Звонок', email: 'Письмо' },
  en: { form: 'Website lead', api: 'Website lead', call: 'Call', email: 'E-mail' },
} as const;

/** The match a lead's own record gets: its visitor (or the one who left its phone or e-mail) and how it came. */
async function leadMatch(deps: FeatureDeps, lead: LeadRow, region: Parameters<typeof hashOf>[3]): Promise<DealMatch> {
  const method = lead.origin === 'call' ? 'call' : lead.origin === 'email' ? 'email' : 'form';
  if (lead.visitor_id) return { method, visitorId: lead.visitor_id, confidence: matchConfidence[method], reason: null };
  for (const kind of ['phone', 'email'] as const) {
    const value = kind === 'phone' ? lead.phone_e164 : lead.email_normalized;
    const hash = value ? hashOf(deps.identityKey, kind, value, region) : undefined;
    if (!hash) continue;
    const visitor = (await visitorsByIdentity(deps.db, lead.tenant_id, kind, [hash])).get(hash);
    if (visitor) return { method: kind, visitorId: visitor, confidence: matchConfidence[kind], reason: null };
  }
  const hasIdentity = Boolean(lead.phone || lead.email);
  return { method: 'none', visitorId: null, confidence: 0, reason: lead.no_match_reason ?? (hasIdentity ? 'no_tracker_visit' : 'no_identity') };
}

async function markWaiting(deps: FeatureDeps, leadId: string, reason: string): Promise<void> {
  await deps.db.query('UPDATE lead_requests SET last_error = $2, last_attempt_at = now(), delivering_until = NULL WHERE id = $1', [leadId, reason]);
}

export async function deliverLead(deps: FeatureDeps, job: Job<DeliverJob>): Promise<void> {
  const { db, logger, metrics } = deps;
  const { rows } = await db.query<LeadRow>('SELECT * FROM lead_requests WHERE id = $1', [job.data.leadId]);
  const lead = rows[0];
  if (!lead || lead.status !== 'pending') return;
  const log = { tenant: lead.tenant_id, lead: lead.id };
  const crm = await tenantCrm(deps, lead.tenant_id);
  if (!crm) {
    metrics.leadsDelivered.inc({ crm: 'none', outcome: 'waiting' });
    logger.warn('lead waits: the tenant has no active CRM account; it is delivered once one is installed or re-authorised', log);
    await markWaiting(deps, lead.id, 'waiting: no active CRM account');
    return;
  }
  const crmName = crm.account.crm;
  // An attempt whose answer never came: read back only once a request still on its way has landed.
  const mayExist = lead.attempt_started_at !== null;
  if (mayExist) {
    const readBackAt = new Date(lead.attempt_started_at as Date | string).getTime() + 2 * crm.requestTimeoutMs;
    const wait = readBackAt - Date.now();
    if (wait > 0) {
      await deps.queue.add<DeliverJob>(LEAD_QUEUE, 'deliver', { leadId: lead.id }, { jobId: `${deliveryJobId(lead.id)}-rb${readBackAt}`, delayMs: wait, attempts: DELIVERY_ATTEMPTS, backoff: { delayMs: DELIVERY_BACKOFF_MS, jitter: 0.5 } });
      return;
    }
  }
  const claimed = await db.query(
    `UPDATE lead_requests SET delivering_until = now() + $2 * interval '1 millisecond', attempts = attempts + 1, last_attempt_at = now()
     WHERE id = $1 AND status = 'pending' AND (delivering_until IS NULL OR delivering_until < now())`,
    [lead.id, CLAIM_MS],
  );
  if (claimed.rowCount === 0) return; // another delivery holds it

  const settings = await tenantSettings(db, lead.tenant_id);
  const receivedAt = new Date(lead.received_at);
  const match = await leadMatch(deps, lead, settings.phoneRegion);
  const paths = await visitsForDeals(db, lead.tenant_id, [{ id: lead.id, createdAt: receivedAt }], new Map([[lead.id, match]]), settings.lookbackDays);
  const fields = dealSourceValues(paths.get(lead.id) ?? [], match);
  const reference = leadReference(lead.id);
  const input: NewCrmLead = {
    requestId: lead.id,
    reference,
    title: `${lead.form_name ?? titles[settings.locale][lead.origin]} [${reference}]`,
    ...(lead.name ? { name: lead.name } : {}),
    ...(lead.phone_e164 || lead.phone ? { phone: (lead.phone_e164 ?? lead.phone) as string } : {}),
    phoneRegion: settings.phoneRegion,
    ...(lead.email_normalized || lead.email ? { email: (lead.email_normalized ?? lead.email) as string } : {}),
    ...(lead.comment ? { comment: lead.comment } : {}),
    ...(lead.form_name ? { formName: lead.form_name } : {}),
    ...(lead.page_url ? { pageUrl: lead.page_url } : {}),
    ...(lead.referrer ? { referrer: lead.referrer } : {}),
    ...(lead.ip ? { ip: lead.ip } : {}),
    ...(match.visitorId ? { visitorId: match.visitorId } : {}),
    sentAt: receivedAt,
    fields,
    entity: settings.bitrix24LeadEntity,
    mayExist,
    ...(mayExist ? { mayExistSince: new Date(lead.attempt_started_at as Date | string) } : {}),
  };
  // From here on the outcome of a failed attempt may be unknown: the next one reads back first.
  if (!mayExist) await db.query('UPDATE lead_requests SET attempt_started_at = now() WHERE id = $1', [lead.id]);
  let created;
  try {
    created = await crm.connection.createLead(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof AccountUnavailableError) {
      metrics.leadsDelivered.inc({ crm: crmName, outcome: 'waiting' });
      await markWaiting(deps, lead.id, `waiting: ${message}`);
      return;
    }
    if (error instanceof CrmError && error.failure.code === 'VALIDATION') {
      metrics.leadsDelivered.inc({ crm: crmName, outcome: 'failed' });
      await db.query("UPDATE lead_requests SET status = 'failed', last_error = $2, delivering_until = NULL WHERE id = $1", [lead.id, message]);
      logger.error('the CRM refused a lead; it is kept in lead_requests as failed', { ...log, crm: crmName, error: message, fields: error.failure.fields });
      throw new PermanentJobError(`${crmName} refused lead ${lead.id}: ${message}`);
    }
    metrics.leadsDelivered.inc({ crm: crmName, outcome: 'retry' });
    await db.query('UPDATE lead_requests SET last_error = $2, delivering_until = NULL WHERE id = $1', [lead.id, message]);
    logger.warn('lead delivery failed; it is retried', { ...log, crm: crmName, attempt: job.attempt, ...errorMeta(error) });
    throw error;
  }
  await db.query(
    `UPDATE lead_requests SET status = 'delivered', crm = $2, crm_deal_id = $3, crm_contact_id = $4, crm_entity = $5, delivered_at = now(),
       delivering_until = NULL, last_error = NULL WHERE id = $1`,
    [lead.id, crmName, created.dealId, created.contactId ?? null, created.entity],
  );
  await touchDeals(db, lead.tenant_id, [created.dealId]);
  metrics.leadsDelivered.inc({ crm: crmName, outcome: created.found ? 'found' : 'created' });
  logger.info(created.found ? 'lead found in the CRM from an earlier attempt' : 'lead created in the CRM', { ...log, crm: crmName, deal: created.dealId, entity: created.entity });
}

/** Pending leads no delivery has touched for RESTART_AFTER_MS (their jobs gave up, or were never queued) get a new job. */
export async function sweepLeads(deps: FeatureDeps): Promise<void> {
  const window = Math.floor(Date.now() / SWEEP_EVERY_MS);
  const { rows } = await deps.db.query<{ id: string }>(
    `SELECT id FROM lead_requests WHERE status = 'pending' AND COALESCE(last_attempt_at, created_at) < now() - $1 * interval '1 millisecond'
       AND (delivering_until IS NULL OR delivering_until < now())
     ORDER BY received_at LIMIT 500`,
    [RESTART_AFTER_MS],
  );
  for (const row of rows) {
    await deps.queue.add<DeliverJob>(LEAD_QUEUE, 'deliver', { leadId: row.id }, { jobId: `${deliveryJobId(row.id)}-w${window}`, attempts: DELIVERY_ATTEMPTS, backoff: { delayMs: DELIVERY_BACKOFF_MS, jitter: 0.5 } });
  }
  if (rows.length > 0) deps.logger.info('lead sweep: deliveries restarted', { leads: rows.length });
  await scheduleLeadSweep(deps);
}

export async function scheduleLeadSweep(deps: FeatureDeps): Promise<void> {
  const window = Math.floor(Date.now() / SWEEP_EVERY_MS);
  await deps.queue.add(LEAD_QUEUE, 'sweep', {}, { jobId: `lead-sweep-${window + 1}`, delayMs: SWEEP_EVERY_MS, attempts: 1 });
}
