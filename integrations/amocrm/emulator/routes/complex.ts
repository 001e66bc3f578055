/**
 * `POST /api/v4/leads/complex` (amocrm.md 2.3, checklist 22): a lead with at most one new contact
 * and one new company, linked to each other; ≤ 50 leads per call; ≤ 40 custom field values per
 * entity; `_embedded.metadata` makes the lead incoming (its stage becomes the unsorted one, any
 * other `status_id` is ignored). Answers a bare JSON array
 * `[{id, contact_id, company_id, request_id: [...], merged}]`.
 *
 * Duplicate control (off unless `setDuplicateControl` turned it on for the calling integration):
 * the new contact is compared by phone digits and e-mail with existing visible contacts, never
 * with others in the same request. On a match the existing contact is used instead; if it has an
 * open lead (not 142/143), the incoming lead is glued to the newest such lead, which is answered
 * with `merged: true` and every request id glued to it; nothing is written to it. [UNCONFIRMED:
 * matching rule and what a merge changes]
 */
import { unixSeconds } from '../clock.js';
import { unsortedStatusId, readFormMetadata, unsortedUid } from '../incoming.js';
import { readLeadInput, type LeadChanges } from '../leadInput.js';
import { sendJson, sendProblem, sendValidationErrors, type ValidationError, type ValidationErrorEntry } from '../responses.js';
import type { Company, Contact, EmulatorState, FormMetadata, Lead, StoredCustomFieldValues, UnsortedEntry } from '../state.js';
import type { EntityChange } from '../webhookPayload.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord, requestIdOf } from './batch.js';
import { insertContact, readContactInput, type ContactChanges } from './contacts.js';
import { newLead } from './leads.js';

export const maxComplexLeads = 50;
const maxFieldValues = 40;

interface ComplexItem {
  requestId: string;
  lead: LeadChanges;
  contact?: ContactChanges;
  companyName?: string;
  metadata?: FormMetadata;
}

function countValues(item: Record<string, unknown>, path: string, errors: ValidationError[]): void {
  const values = item['custom_fields_values'];
  if (Array.isArray(values) && values.length > maxFieldValues) {
    errors.push({ code: 'NotSupportedChoice', path: `${path}custom_fields_values`, detail: `This collection should contain ${maxFieldValues} elements or less.` });
  }
}

function readItem(context: ApiContext, item: unknown, index: number, now: number): { ok: true; value: ComplexItem } | { ok: false; entry: ValidationErrorEntry } {
  const requestId = requestIdOf(item, index);
  if (!isRecord(item)) return { ok: false, entry: { request_id: requestId, errors: [{ code: 'InvalidType', path: '', detail: 'This value should be of type object.' }] } };
  const errors: ValidationError[] = [];
  const embedded = isRecord(item['_embedded']) ? item['_embedded'] : {};
  const { contacts, companies, metadata: metadataInput, ...leadEmbedded } = embedded;
  const leadItem: Record<string, unknown> = { ...item, _embedded: leadEmbedded };
  let metadata: FormMetadata | undefined;
  if (metadataInput !== undefined) {
    metadata = readFormMetadata(metadataInput, '_embedded.metadata', now, errors);
    delete leadItem['status_id'];
  }
  countValues(item, '', errors);
  const lead = readLeadInput(context.state, context.account, leadItem, undefined);
  if (!lead.ok) errors.push(...lead.errors);
  const value: ComplexItem = { requestId, lead: lead.ok ? lead.changes : { customFields: [] } };
  if (metadata) value.metadata = metadata;
  if (contacts !== undefined) {
    if (!Array.isArray(contacts) || contacts.length > 1) {
      errors.push({ code: 'NotSupportedChoice', path: '_embedded.contacts', detail: 'This collection should contain 1 element or less.' });
    } else if (contacts[0] !== undefined) {
      const contact = readContactInput(context, contacts[0]);
      if (isRecord(contacts[0])) countValues(contacts[0], '_embedded.contacts.0.', errors);
      if (contact.ok) value.contact = contact.changes;
      else errors.push(...contact.errors.map((error) => ({ ...error, path: `_embedded.contacts.0.${error.path}`.replace(/\.$/, '') })));
    }
  }
  if (companies !== undefined) {
    if (!Array.isArray(companies) || companies.length > 1) {
      errors.push({ code: 'NotSupportedChoice', path: '_embedded.companies', detail: 'This collection should contain 1 element or less.' });
    } else if (companies[0] !== undefined) {
      const name = isRecord(companies[0]) ? companies[0]['name'] : undefined;
      if (typeof name === 'string') value.companyName = name;
      else errors.push({ code: 'InvalidType', path: '_embedded.companies.0.name', detail: 'This value should be of type string.' });
    }
  }
  return errors.length > 0 ? { ok: false, entry: { request_id: requestId, errors } } : { ok: true, value };
}

const digits = (text: string) => text.replace(/\D/g, '');

function fieldValues(state: EmulatorState, values: StoredCustomFieldValues[], code: string): string[] {
  return values.filter((entry) => state.customFields.get(entry.fieldId)?.code === code).flatMap((entry) => entry.values.map((stored) => String(stored.value)));
}

function duplicateOf(state: EmulatorState, accountId: number, contact: ContactChanges, before: Set<number>): Contact | undefined {
  const phones = fieldValues(state, contact.customFields, 'PHONE').map(digits).filter((value) => value !== '');
  const emails = fieldValues(state, contact.customFields, 'EMAIL').map((value) => value.trim().toLowerCase()).filter((value) => value !== '');
  if (phones.length === 0 && emails.length === 0) return undefined;
  return state.contactsOf(accountId).find(
    (existing) =>
      before.has(existing.id) &&
      (fieldValues(state, existing.customFieldsValues, 'PHONE').some((phone) => phones.includes(digits(phone))) ||
        fieldValues(state, existing.customFieldsValues, 'EMAIL').some((email) => emails.includes(email.trim().toLowerCase()))),
  );
}

function openLeadOf(state: EmulatorState, accountId: number, contactId: number, before: Set<number>): Lead | undefined {
  return state
    .leadsOf(accountId)
    .filter((lead) => before.has(lead.id) && lead.statusId !== 142 && lead.statusId !== 143 && lead.contacts.some((link) => link.id === contactId))
    .sort((left, right) => right.createdAt - left.createdAt || right.id - left.id)[0];
}

function createComplex(context: ApiContext): void {
  const { body, response, state, account } = context;
  if (!Array.isArray(body) || body.length === 0) return sendProblem(response, 400, 'Request body must be a non-empty array');
  if (body.length > maxComplexLeads) return sendProblem(response, 400, `Too many entities in one request: ${body.length} > ${maxComplexLeads}`);
  const now = unixSeconds(context.clock);
  const failures: ValidationErrorEntry[] = [];
  const items: ComplexItem[] = [];
  body.forEach((item: unknown, index) => {
    const result = readItem(context, item, index, now);
    if (result.ok) items.push(result.value);
    else failures.push(result.entry);
  });
  if (failures.length > 0) return sendValidationErrors(response, failures);
  const changes: EntityChange[] = [];
  const duplicateControl = state.duplicateControl.has(`${account.id}:${context.clientId}`);
  // Only records that existed before this request count as duplicates.
  const contactsBefore = new Set(state.contactsOf(account.id).map((contact) => contact.id));
  const leadsBefore = new Set(state.leadsOf(account.id).map((lead) => lead.id));
  const merged = new Map<number, { id: number; contact_id: number; company_id: null; request_id: string[]; merged: true }>();
  const answer: unknown[] = [];
  for (const item of items) {
    const existingContact = duplicateControl && item.contact ? duplicateOf(state, account.id, item.contact, contactsBefore) : undefined;
    const existingLead = existingContact ? openLeadOf(state, account.id, existingContact.id, leadsBefore) : undefined;
    if (existingContact && existingLead) {
      const entry = merged.get(existingLead.id);
      if (entry) entry.request_id.push(item.requestId);
      else {
        const glued = { id: existingLead.id, contact_id: existingContact.id, company_id: null, request_id: [item.requestId], merged: true as const };
        merged.set(existingLead.id, glued);
        answer.push(glued);
      }
      continue;
    }
    const lead = newLead(state, account, item.lead, now);
    let contact: Contact | undefined = existingContact;
    if (item.contact && !contact) {
      contact = insertContact(state, account.id, account.currentUserId, item.contact, now);
      contact.isUnsorted = item.metadata !== undefined;
    }
    if (contact) lead.contacts = [{ id: contact.id, isMain: true }];
    let company: Company | undefined;
    if (item.companyName !== undefined) {
      company = { id: state.nextId('company'), accountId: account.id, name: item.companyName, createdAt: now };
      state.companies.set(company.id, company);
      lead.companyIds = [company.id];
    }
    if (item.metadata) {
      const pipeline = state.pipelines.get(lead.pipelineId);
      lead.statusId = (pipeline && unsortedStatusId(pipeline)) ?? lead.statusId;
      const uid = unsortedUid(state, account.id);
      const entry: UnsortedEntry = {
        uid,
        accountId: account.id,
        category: 'forms',
        sourceUid: item.metadata.form_id ?? uid,
        sourceName: item.metadata.form_name ?? '',
        pipelineId: lead.pipelineId,
        createdAt: now,
        metadata: item.metadata,
        leadId: lead.id,
        contactIds: contact ? [contact.id] : [],
        fingerprint: `complex:${uid}`,
      };
      state.unsorted.set(uid, entry);
      changes.push({ entity: 'unsorted', action: 'add', entry });
    } else {
      changes.push({ entity: 'leads', action: 'add', lead });
      if (contact && contact !== existingContact) changes.push({ entity: 'contacts', action: 'add', contact });
    }
    answer.push({ id: lead.id, contact_id: contact?.id ?? null, company_id: company?.id ?? null, request_id: [item.requestId], merged: false });
  }
  context.notify(account, changes, 0);
  sendJson(response, 200, answer);
}

export const complexRoutes: ApiRoute[] = [{ method: 'POST', path: /^\/api\/v4\/leads\/complex$/, handler: createComplex }];
