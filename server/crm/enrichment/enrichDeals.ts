/**
 * Enriches one claimed batch of a tenant's deals (DESIGN.md "Matching" and "What gets written"):
 * one bulk read of the deals, at most one bulk read of their contacts, matching each deal to a
 * visitor (its visitor-id field first, then contact phone/e-mail against visitors' identities),
 * computing the source fields from that visitor's visits, and writing only what changed and is
 * ours to write, in bulk. One short note per deal, never twice — also when a run dies mid-post.
 * A deal read in another stage than our copy records the stage change (for CRMs whose webhooks
 * only say "changed", see `CrmDeal.stageChangedAt`).
 */
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Queryable } from '../../storage/database.js';
import type { CrmAccount } from '../crmAccounts.js';
import type { CountryCode } from 'libphonenumber-js';
import type { CrmConnection, CrmContact, CrmDeal, DealFieldWrite } from '../crmAdapter.js';
import {
  dealStates,
  markDealsDeleted,
  markNotesAdded,
  markNotesAttempted,
  recordEnrichment,
  saveDeals,
  saveStageChanges,
  stageChangesOnRead,
  type EnrichmentRecord,
  entryStageKeys,
} from '../dealStore.js';
import { hashOf, hasIdentities, visitorsByIdentity, type IdentityKey } from '../identities.js';
import { dealNoteText, dealSourceValues, matchConfidence, valuesToWrite, type DealMatch, type SourceFieldKey, type TouchVisit } from '../sourceFields.js';
import { visitsForDeals } from './dealVisits.js';
import { NO_MATCH_REASONS, type NoMatchReason } from './matchReasons.js';
import { applyCallEvidence } from '../../callTracking/callEvidence.js';

/**
 * Deals our lead intake created, with the visitor and how the lead came (form, call, e-mail): by the
 * deal id the delivery stored, or — when the CRM announces the new deal before the delivery has
 * stored its id — by the reference in the deal's title (`[LF-<12 hex>]`, server/leads/leadDelivery.ts).
 */
interface CreatedLead {
  visitorId: string | null;
  method: 'form' | 'call' | 'email';
  /** Without a visitor: why the intake knew none (a call to a number no visit held). */
  noMatchReason: NoMatchReason | null;
}

async function leadsCreatedFor(db: Queryable, tenantId: string, deals: readonly CrmDeal[]): Promise<Map<string, CreatedLead>> {
  if (deals.length === 0) return new Map();
  const byReference = new Map<string, string>();
  for (const deal of deals) {
    const reference = /\[LF-([0-9a-f]{12})\]/.exec(deal.name ?? '')?.[1];
    if (reference) byReference.set(`${reference.slice(0, 8)}-${reference.slice(8)}`, deal.id);
  }
  const { rows } = await db.query<{ id: string; crm_deal_id: string | null; visitor_id: string | null; origin: string; no_match_reason: NoMatchReason | null }>(
    `SELECT id, crm_deal_id, visitor_id, origin, no_match_reason FROM lead_requests
     WHERE tenant_id = $1 AND (visitor_id IS NOT NULL OR no_match_reason IS NOT NULL) AND (crm_deal_id = ANY($2::text[]) OR left(id, 13) = ANY($3::text[]))
     ORDER BY received_at`,
    [tenantId, deals.map((deal) => deal.id), [...byReference.keys()]],
  );
  const found = new Map<string, CreatedLead>();
  for (const row of rows) {
    const dealId = row.crm_deal_id ?? byReference.get(row.id.slice(0, 13));
    if (!dealId || found.has(dealId)) continue;
    found.set(dealId, { visitorId: row.visitor_id, method: row.origin === 'call' ? 'call' : row.origin === 'email' ? 'email' : 'form', noMatchReason: row.no_match_reason });
  }
  return found;
}

export interface EnrichmentContext {
  db: Queryable;
  /** Key of the phone and e-mail digests (FeatureDeps.identityKey). */
  identityKey: IdentityKey;
  logger: Logger;
  metrics: Metrics;
  /** Visits older than this before the deal's creation are not part of its path. */
  lookbackDays: number;
  /** A note posted without an answer is looked for only this long after (the CRM may still apply it). */
  noteReadBackAfterMs: number;
  /** The tenant's phone region (contacts' numbers written without a country code). Default RU. */
  phoneRegion?: CountryCode;
  /** A tracked call this close to a deal's creation, from the deal's contact, is that deal's call (CALL_DEAL_WINDOW_MS). */
  callDealWindowMs?: number;
}

export interface BatchOutcome {
  read: number;
  missing: number;
  written: number;
  notes: number;
  /** Deals whose note may be on its way from an earlier attempt: they come back after `noteReadBackAfterMs`. */
  deferred: string[];
}

/**
 * `ourVisitorIds`: the visitor id each deal holds because we wrote it (a phone or e-mail match): it
 * is not evidence of its own, so such a deal is matched again the way it was first.
 */
async function matchDeals(
  context: EnrichmentContext,
  account: CrmAccount,
  connection: CrmConnection,
  deals: readonly CrmDeal[],
  ourVisitorIds: ReadonlyMap<string, string>,
): Promise<Map<string, DealMatch>> {
  const matches = new Map<string, DealMatch>();
  // A lead our own intake created (server/leads) names its visitor outright, whatever its fields say now.
  const created = await leadsCreatedFor(context.db, account.tenantId, deals);
  for (const [dealId, lead] of created) {
    if (lead.visitorId) matches.set(dealId, { method: lead.method, visitorId: lead.visitorId, confidence: matchConfidence[lead.method], reason: null });
  }
  let unmatched: CrmDeal[] = [];
  for (const deal of deals) {
    if (matches.has(deal.id)) continue;
    const visitorId = deal.fields.lf_visitor_id;
    if (visitorId && ourVisitorIds.get(deal.id) !== visitorId) matches.set(deal.id, { method: 'visitor_id', visitorId, confidence: matchConfidence.visitor_id, reason: null });
    else unmatched.push(deal);
  }
  // A deal still waiting in the incoming stage may carry its form's visitor id there (amoCRM unsorted).
  if (unmatched.length > 0 && connection.visitorIdsOfIncoming) {
    const entryStages = await entryStageKeys(context.db, account.tenantId);
    const incoming = unmatched.filter((deal) => entryStages.has(`${deal.pipelineId}:${deal.stageId}`));
    const found = incoming.length > 0 ? await connection.visitorIdsOfIncoming(incoming.map((deal) => deal.id)) : new Map<string, string>();
    for (const [dealId, visitorId] of found) matches.set(dealId, { method: 'visitor_id', visitorId, confidence: matchConfidence.visitor_id, reason: null });
    unmatched = unmatched.filter((deal) => !matches.has(deal.id));
  }
  const contactIds = [...new Set(unmatched.flatMap((deal) => deal.contactIds))];
  let contacts: Map<string, CrmContact> | undefined;
  if (contactIds.length > 0 && (await hasIdentities(context.db, account.tenantId))) {
    contacts = new Map((await connection.readContacts(contactIds)).map((contact) => [contact.id, contact]));
    const hashes = { phone: new Map<string, string>(), email: new Map<string, string>() };
    for (const contact of contacts.values()) {
      for (const phone of contact.phones) {
        const hash = hashOf(context.identityKey, 'phone', phone, context.phoneRegion);
        if (hash) hashes.phone.set(phone, hash);
      }
      for (const email of contact.emails) {
        const hash = hashOf(context.identityKey, 'email', email);
        if (hash) hashes.email.set(email, hash);
      }
    }
    const byPhone = await visitorsByIdentity(context.db, account.tenantId, 'phone', [...hashes.phone.values()]);
    const byEmail = await visitorsByIdentity(context.db, account.tenantId, 'email', [...hashes.email.values()]);
    for (const deal of unmatched) {
      for (const contactId of deal.contactIds) {
        const contact = contacts.get(contactId);
        const phoneVisitor = contact?.phones.map((phone) => byPhone.get(hashes.phone.get(phone) ?? '')).find(Boolean);
        const emailVisitor = contact?.emails.map((email) => byEmail.get(hashes.email.get(email) ?? '')).find(Boolean);
        if (phoneVisitor) matches.set(deal.id, { method: 'phone', visitorId: phoneVisitor, confidence: matchConfidence.phone, reason: null });
        else if (emailVisitor) matches.set(deal.id, { method: 'email', visitorId: emailVisitor, confidence: matchConfidence.email, reason: null });
        if (matches.has(deal.id)) break;
      }
    }
  }
  for (const deal of unmatched) {
    if (matches.has(deal.id)) continue;
    // Contacts read: a deal whose contacts hold no phone and no e-mail has nothing to match by. Not
    // read (no visitor left any identity yet): a contact is taken to hold one, so no visitor was known.
    const hasIdentity = contacts
      ? deal.contactIds.some((id) => {
          const contact = contacts?.get(id);
          return contact !== undefined && (contact.phones.length > 0 || contact.emails.length > 0);
        })
      : deal.contactIds.length > 0;
    const reason = created.get(deal.id)?.noMatchReason ?? (hasIdentity ? NO_MATCH_REASONS.no_tracker_visit : NO_MATCH_REASONS.no_identity);
    matches.set(deal.id, { method: 'none', visitorId: null, confidence: 0, reason });
  }
  await applyCallEvidence(context.db, account.tenantId, deals, matches, contacts, { windowMs: context.callDealWindowMs ?? 0, region: context.phoneRegion });
  return matches;
}

/** Enriches the deals with these ids; ids the CRM no longer has are marked deleted. */
export async function enrichDeals(context: EnrichmentContext, account: CrmAccount, connection: CrmConnection, dealIds: readonly string[]): Promise<BatchOutcome> {
  const { db, metrics } = context;
  const tenantId = account.tenantId;
  const deals = await connection.readDeals(dealIds);
  const found = new Set(deals.map((deal) => deal.id));
  const missing = dealIds.filter((id) => !found.has(id));
  await saveStageChanges(db, tenantId, await stageChangesOnRead(db, tenantId, deals), 'webhook');
  await saveDeals(db, tenantId, deals);
  await markDealsDeleted(db, tenantId, missing);

  const states = await dealStates(db, tenantId, deals.map((deal) => deal.id));
  const ourVisitorIds = new Map<string, string>();
  for (const [dealId, state] of states) {
    const written = state.writtenFields.lf_visitor_id;
    if (written && state.writtenFields.lf_match && !state.writtenFields.lf_match.startsWith('visitor id')) ourVisitorIds.set(dealId, written);
  }
  const matches = await matchDeals(context, account, connection, deals, ourVisitorIds);
  const visits = await visitsForDeals(db, tenantId, deals, matches, context.lookbackDays);

  const writes: DealFieldWrite[] = [];
  const records: EnrichmentRecord[] = [];
  const noteCandidates: Array<{ dealId: string; text: string; path: TouchVisit[]; attemptedAt: Date | null }> = [];
  for (const deal of deals) {
    const match = matches.get(deal.id) as DealMatch;
    const path = visits.get(deal.id) ?? [];
    if (match.method !== 'none' && path.length === 0) match.reason = 'the visitor has no visits within the lookback window before the deal';
    const computed = dealSourceValues(path, match);
    const state = states.get(deal.id);
    const lastWritten = state?.writtenFields ?? {};
    const changes = valuesToWrite(computed, deal.fields, lastWritten);
    if (Object.keys(changes).length > 0) writes.push({ dealId: deal.id, values: changes });
    const ours: Partial<Record<SourceFieldKey, string>> = {};
    for (const [key, value] of Object.entries(computed) as Array<[SourceFieldKey, string]>) {
      if (changes[key] !== undefined || deal.fields[key] === value) ours[key] = value;
    }
    records.push({ dealId: deal.id, match, writtenFields: ours, fieldsSeen: { ...deal.fields, ...changes } });
    metrics.dealsEnriched.inc({ crm: account.crm, method: match.method });
    if (computed.lf_last_touch && !state?.noteAddedAt) {
      noteCandidates.push({ dealId: deal.id, text: dealNoteText(computed, match), path, attemptedAt: state?.noteAttemptedAt ?? null });
    }
  }

  // Recorded before writing: the CRM announces our write at once, and the update webhook must
  // find the deal as we are about to leave it to be recognised as our own. A write that fails
  // leaves the deal pending; the values recorded as ours were never someone else's.
  await recordEnrichment(db, tenantId, records);
  // A CRM that writes fields and notes together gets them in one go, after the note read-back.
  const together = connection.writeEnrichment?.bind(connection);
  if (!together) await connection.writeDealFields(writes);

  // A note posted by a run that failed before its answer came is found by reading back, not posted
  // again — once the CRM had time to apply a request that was still on its way.
  const readBackFrom = Date.now() - context.noteReadBackAfterMs;
  const deferred = noteCandidates.filter((note) => note.attemptedAt && note.attemptedAt.getTime() > readBackFrom).map((note) => note.dealId);
  const attempted = noteCandidates.filter((note) => note.attemptedAt && note.attemptedAt.getTime() <= readBackFrom).map((note) => note.dealId);
  const alreadyThere = attempted.length > 0 ? await connection.dealsWithOurNote(attempted) : new Set<string>();
  await markNotesAdded(db, tenantId, [...alreadyThere]);
  const notes = noteCandidates.filter((note) => !alreadyThere.has(note.dealId) && !deferred.includes(note.dealId));
  await markNotesAttempted(db, tenantId, notes.map((note) => note.dealId));
  if (together) await together(writes, notes);
  else await connection.addDealNotes(notes);
  await markNotesAdded(db, tenantId, notes.map((note) => note.dealId));

  return { read: deals.length, missing: missing.length, written: writes.length, notes: notes.length, deferred };
}
