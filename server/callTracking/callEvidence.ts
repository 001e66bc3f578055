/**
 * Calls as evidence for CRM deals (enrichment, `matchDeals`): a deal whose contact has the number of
 * a tracked caller, created within `CALL_DEAL_WINDOW_MS` of the call, is the deal the CRM's own
 * telephony made for that call, and the call is attached to it. Matched call: the deal is matched by
 * `call` to the call's visitor (stronger than a bare phone match). Unmatched call: a deal with no
 * visitor gets the call's reason (`call_to_non_leased_number`, `lease_expired`) instead of
 * "no tracker visit", so the report says why.
 */
import type { CountryCode } from 'libphonenumber-js';
import type { CrmContact, CrmDeal } from '../crm/crmAdapter.js';
import { NO_MATCH_REASONS } from '../crm/enrichment/matchReasons.js';
import { normalizePhone } from '../crm/identities.js';
import { matchConfidence, type DealMatch } from '../crm/sourceFields.js';
import type { Queryable } from '../storage/database.js';

interface CallRow {
  call_id: string;
  caller_number: string;
  started_at: Date | string;
  visitor_id: string | null;
  match_reason: 'call_to_non_leased_number' | 'lease_expired' | null;
}

export async function applyCallEvidence(
  db: Queryable,
  tenantId: string,
  deals: readonly CrmDeal[],
  matches: Map<string, DealMatch>,
  contacts: ReadonlyMap<string, CrmContact> | undefined,
  options: { windowMs: number; region?: CountryCode },
): Promise<void> {
  if (!contacts || contacts.size === 0) return;
  const candidates = deals.filter((deal) => {
    const match = matches.get(deal.id);
    return match && (match.method === 'phone' || (match.method === 'none' && match.reason === NO_MATCH_REASONS.no_tracker_visit));
  });
  const phonesOf = new Map<string, string[]>();
  for (const deal of candidates) {
    const phones = deal.contactIds.flatMap((id) => contacts.get(id)?.phones ?? []).map((phone) => normalizePhone(phone, options.region)).filter((phone): phone is string => Boolean(phone));
    if (phones.length > 0) phonesOf.set(deal.id, phones);
  }
  if (phonesOf.size === 0) return;
  const times = candidates.filter((deal) => phonesOf.has(deal.id)).map((deal) => deal.createdAt.getTime());
  const { rows } = await db.query<CallRow>(
    `SELECT call_id, caller_number, started_at, visitor_id, match_reason FROM calls
      WHERE tenant_id = $1 AND caller_number = ANY($2::text[]) AND started_at BETWEEN $3 AND $4`,
    [
      tenantId,
      [...new Set([...phonesOf.values()].flat())],
      new Date(Math.min(...times) - options.windowMs).toISOString(),
      new Date(Math.max(...times) + options.windowMs).toISOString(),
    ],
  );
  if (rows.length === 0) return;
  const attached: Array<{ callId: string; dealId: string }> = [];
  for (const deal of candidates) {
    const phones = phonesOf.get(deal.id);
    if (!phones) continue;
    const near = rows
      .filter((call) => phones.includes(call.caller_number) && Math.abs(new Date(call.started_at).getTime() - deal.createdAt.getTime()) <= options.windowMs)
      .sort((a, b) => Math.abs(new Date(a.started_at).getTime() - deal.createdAt.getTime()) - Math.abs(new Date(b.started_at).getTime() - deal.createdAt.getTime()));
    const matched = near.find((call) => call.visitor_id);
    if (matched) {
      matches.set(deal.id, { method: 'call', visitorId: matched.visitor_id, confidence: matchConfidence.call, reason: null });
      attached.push({ callId: matched.call_id, dealId: deal.id });
    } else if (near[0]?.match_reason && matches.get(deal.id)?.method === 'none') {
      matches.set(deal.id, { method: 'none', visitorId: null, confidence: 0, reason: near[0].match_reason });
      attached.push({ callId: near[0].call_id, dealId: deal.id });
    }
  }
  if (attached.length > 0) {
    await db.query(
      `UPDATE calls c SET deal_id = a.deal_id FROM jsonb_to_recordset($2::jsonb) AS a(call_id text, deal_id text)
        WHERE c.tenant_id = $1 AND c.call_id = a.call_id AND c.deal_id IS NULL`,
      [tenantId, JSON.stringify(attached.map((entry) => ({ call_id: entry.callId, deal_id: entry.dealId })))],
    );
  }
}
