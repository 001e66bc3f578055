/**
 * Contacts (amocrm.md 2.5, checklist 24): list with `query=` over name, phone and e-mail (phones
 * compared by digits), `filter[id]`, `with=leads`; get one; create (array); update (array, one).
 * `PHONE`/`EMAIL` are `multitext` fields with `enum_code`/`enum_id` types.
 */
import { unixSeconds } from '../clock.js';
import { applyCustomFieldValues, parseCustomFieldsValues, renderCustomFieldsValues } from '../customFieldValues.js';
import type { EmulatorOptions } from '../options.js';
import { sendPage } from '../paging.js';
import { bracketValues, withValues } from '../query.js';
import { sendHal, sendNoContent, sendProblem, sendValidationErrors, type ValidationError, type ValidationErrorEntry } from '../responses.js';
import type { Contact, EmulatorState, StoredCustomFieldValues } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord, readBatch, requestIdOf } from './batch.js';

function contactHref(context: ApiContext, id: number): string {
  return `${context.baseUrl}/api/v4/contacts/${id}`;
}

function contactBody(context: ApiContext, contact: Contact, selfQuery: string): Record<string, unknown> {
  const embedded: Record<string, unknown> = {
    tags: contact.tagIds.map((id) => ({ id, name: context.state.tags.get(id)?.name ?? '', color: null })),
    companies: [],
  };
  if (withValues(context.query).has('leads')) {
    embedded['leads'] = context.state
      .leadsOf(context.account.id)
      .filter((lead) => lead.contacts.some((link) => link.id === contact.id))
      .map((lead) => ({ id: lead.id, _links: { self: { href: `${context.baseUrl}/api/v4/leads/${lead.id}` } } }));
  }
  return {
    id: contact.id,
    name: contact.name,
    first_name: contact.firstName,
    last_name: contact.lastName,
    responsible_user_id: contact.responsibleUserId,
    group_id: contact.groupId,
    created_by: contact.createdBy,
    updated_by: contact.updatedBy,
    created_at: contact.createdAt,
    updated_at: contact.updatedAt,
    closest_task_at: contact.closestTaskAt,
    is_deleted: contact.isDeleted,
    is_unsorted: contact.isUnsorted,
    custom_fields_values: renderCustomFieldsValues(context.state, contact),
    account_id: contact.accountId,
    _links: { self: { href: `${contactHref(context, contact.id)}${selfQuery}` } },
    _embedded: embedded,
  };
}

const digitsOf = (text: string) => text.replace(/\D/g, '');

function valuesOfCode(state: EmulatorState, contact: Contact, code: string): string[] {
  return contact.customFieldsValues
    .filter((entry) => state.customFields.get(entry.fieldId)?.code === code)
    .flatMap((entry) => entry.values.map((stored) => String(stored.value)));
}

/**
 * Full-text `query` (amocrm.md 2.1, 2.5): case-insensitive substring of name or e-mail; a query
 * with digits also matches phones by digits only, so `8 (900) 123-45-67`-style punctuation does not
 * matter. With `phoneSearch: 'last10'` the last ten digits must be equal instead. [UNCONFIRMED]
 */
export function contactMatchesQuery(state: EmulatorState, options: EmulatorOptions, contact: Contact, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  const texts = [contact.name, contact.firstName, contact.lastName, ...valuesOfCode(state, contact, 'EMAIL')];
  if (texts.some((text) => text.toLowerCase().includes(needle))) return true;
  const queryDigits = digitsOf(needle);
  if (queryDigits.length === 0) return false;
  return valuesOfCode(state, contact, 'PHONE').some((phone) => {
    const phoneDigits = digitsOf(phone);
    if (options.phoneSearch === 'last10') return queryDigits.length >= 10 && phoneDigits.slice(-10) === queryDigits.slice(-10);
    return phoneDigits.includes(queryDigits);
  });
}

function findContact(context: ApiContext, id: unknown): Contact | undefined {
  const contact = typeof id === 'number' ? context.state.contacts.get(id) : undefined;
  return contact && contact.accountId === context.account.id && !contact.isDeleted ? contact : undefined;
}

function listContacts(context: ApiContext): void {
  const ids = new Set(bracketValues(context.query, 'filter[id]').map(Number));
  const search = context.query.get('query') ?? '';
  const contacts = context.state
    .contactsOf(context.account.id)
    .filter((contact) => ids.size === 0 || ids.has(contact.id))
    .filter((contact) => contactMatchesQuery(context.state, context.options, contact, search))
    .sort((left, right) => left.id - right.id);
  const queryString = context.query.toString();
  const selfQuery = queryString === '' ? '' : `?${queryString}`;
  // A search miss answers 204 (amocrm.md 2.5, SDK-ISSUE#110), as every empty page does.
  sendPage(context, contacts, { path: '/api/v4/contacts', key: 'contacts', render: (contact) => contactBody(context, contact, selfQuery) });
}

function getContact(context: ApiContext, [id]: string[]): void {
  const contact = findContact(context, Number(id));
  if (contact) return sendHal(context.response, 200, contactBody(context, contact, ''));
  if (context.options.missingLeadStatus === 204) return sendNoContent(context.response);
  sendProblem(context.response, 404, 'Contact not found');
}

export interface ContactChanges {
  name?: string;
  firstName?: string;
  lastName?: string;
  responsibleUserId?: number;
  customFields: StoredCustomFieldValues[];
}

export function readContactInput(context: Pick<ApiContext, 'state' | 'account'>, item: unknown): { ok: true; changes: ContactChanges } | { ok: false; errors: ValidationError[] } {
  if (!isRecord(item)) return { ok: false, errors: [{ code: 'InvalidType', path: '', detail: 'This value should be of type object.' }] };
  const errors: ValidationError[] = [];
  const changes: ContactChanges = { customFields: [] };
  for (const [key, target] of [['name', 'name'], ['first_name', 'firstName'], ['last_name', 'lastName']] as const) {
    const value = item[key];
    if (value === undefined) continue;
    if (typeof value === 'string') changes[target] = value;
    else errors.push({ code: 'InvalidType', path: key, detail: 'This value should be of type string.' });
  }
  const responsible = item['responsible_user_id'];
  if (responsible !== undefined) {
    if (typeof responsible !== 'number' || !Number.isInteger(responsible)) errors.push({ code: 'InvalidType', path: 'responsible_user_id', detail: 'This value should be of type int.' });
    else if (!context.state.isActiveUser(context.account.id, responsible)) errors.push({ code: 'NotSupportedChoice', path: 'responsible_user_id', detail: 'The value you selected is not a valid choice.' });
    else changes.responsibleUserId = responsible;
  }
  const fields = parseCustomFieldsValues(context.state, context.account.id, item['custom_fields_values'], 'contacts');
  errors.push(...fields.errors);
  changes.customFields = fields.updates;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, changes };
}

/**
 * `multitextPatch: 'append'` keeps a contact's phones/e-mails and adds the new ones; `replace` (the
 * default, amocrm.md 2.5 [UNCONFIRMED]) makes the sent list the whole list. An empty list clears.
 */
function mergeMultitext(state: EmulatorState, contact: Contact, updates: StoredCustomFieldValues[]): StoredCustomFieldValues[] {
  return updates.map((update) => {
    const existing = contact.customFieldsValues.find((entry) => entry.fieldId === update.fieldId);
    if (state.customFields.get(update.fieldId)?.type !== 'multitext' || !existing || update.values.length === 0) return update;
    const added = update.values.filter((value) => !existing.values.some((old) => old.value === value.value && old.enumId === value.enumId));
    return { fieldId: update.fieldId, values: [...existing.values, ...added] };
  });
}

export function applyContactChanges(contact: Contact, changes: ContactChanges, now: number, patch?: { state: EmulatorState; mode: 'replace' | 'append' }): void {
  if (changes.firstName !== undefined) contact.firstName = changes.firstName;
  if (changes.lastName !== undefined) contact.lastName = changes.lastName;
  if (changes.name !== undefined) contact.name = changes.name;
  else if (changes.firstName !== undefined || changes.lastName !== undefined) contact.name = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  if (changes.responsibleUserId !== undefined) contact.responsibleUserId = changes.responsibleUserId;
  applyCustomFieldValues(contact, patch?.mode === 'append' ? mergeMultitext(patch.state, contact, changes.customFields) : changes.customFields);
  contact.updatedAt = now;
}

/** Creates one contact from validated changes; shared with `/leads/complex`. */
export function insertContact(state: EmulatorState, accountId: number, responsibleUserId: number, changes: ContactChanges, now: number): Contact {
  const contact: Contact = {
    id: state.nextId('contact'),
    accountId,
    name: '',
    firstName: '',
    lastName: '',
    responsibleUserId,
    groupId: 0,
    createdBy: 0,
    updatedBy: 0,
    createdAt: now,
    updatedAt: now,
    closestTaskAt: null,
    isDeleted: false,
    customFieldsValues: [],
    tagIds: [],
    isUnsorted: false,
  };
  applyContactChanges(contact, changes, now);
  state.contacts.set(contact.id, contact);
  return contact;
}

function createContacts(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  const accepted: Array<{ requestId: string; changes: ContactChanges }> = [];
  items.forEach((item, index) => {
    const result = readContactInput(context, item);
    if (result.ok) accepted.push({ requestId: requestIdOf(item, index), changes: result.changes });
    else failures.push({ request_id: requestIdOf(item, index), errors: result.errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const now = unixSeconds(context.clock);
  const contacts = accepted.map(({ changes }) => insertContact(context.state, context.account.id, context.account.currentUserId, changes, now));
  context.notify(context.account, contacts.map((contact) => ({ entity: 'contacts', action: 'add', contact })), 0);
  sendHal(context.response, context.options.leadCreateStatus, {
    _links: { self: { href: `${context.baseUrl}/api/v4/contacts` } },
    _embedded: {
      contacts: contacts.map((contact, index) => ({ id: contact.id, request_id: accepted[index]?.requestId ?? String(index), _links: { self: { href: contactHref(context, contact.id) } } })),
    },
  });
}

function updateContacts(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  const accepted: Array<{ requestId: string; contact: Contact; changes: ContactChanges }> = [];
  items.forEach((item, index) => {
    const requestId = requestIdOf(item, index);
    const contact = findContact(context, isRecord(item) ? item['id'] : undefined);
    if (!contact) {
      failures.push({ request_id: requestId, errors: [{ code: 'NotSupportedChoice', path: 'id', detail: 'The value you selected is not a valid choice.' }] });
      return;
    }
    const result = readContactInput(context, item);
    if (result.ok) accepted.push({ requestId, contact, changes: result.changes });
    else failures.push({ request_id: requestId, errors: result.errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const now = unixSeconds(context.clock);
  for (const { contact, changes } of accepted) applyContactChanges(contact, changes, now, { state: context.state, mode: context.options.multitextPatch });
  context.notify(context.account, accepted.map(({ contact }) => ({ entity: 'contacts', action: 'update', contact })), 0);
  sendHal(context.response, 200, {
    _links: { self: { href: `${context.baseUrl}/api/v4/contacts` } },
    _embedded: {
      contacts: accepted.map(({ requestId, contact }) => ({ id: contact.id, updated_at: contact.updatedAt, request_id: requestId, _links: { self: { href: contactHref(context, contact.id) } } })),
    },
  });
}

function updateContact(context: ApiContext, [id]: string[]): void {
  if (!isRecord(context.body)) return sendProblem(context.response, 400, 'Request body must be an object');
  const contact = findContact(context, Number(id));
  if (!contact) return sendProblem(context.response, 404, 'Contact not found');
  const result = readContactInput(context, context.body);
  if (!result.ok) return sendValidationErrors(context.response, [{ request_id: requestIdOf(context.body, 0), errors: result.errors }]);
  applyContactChanges(contact, result.changes, unixSeconds(context.clock), { state: context.state, mode: context.options.multitextPatch });
  context.notify(context.account, [{ entity: 'contacts', action: 'update', contact }], 0);
  sendHal(context.response, 200, { id: contact.id, updated_at: contact.updatedAt, _links: { self: { href: contactHref(context, contact.id) } } });
}

/** `POST /api/v4/contacts/{id}/link` with `[{to_entity_id, to_entity_type: "leads", metadata?: {is_main}}]` (amocrm.md 2.5). */
function linkContact(context: ApiContext, [id]: string[]): void {
  const contact = findContact(context, Number(id));
  if (!contact) return sendProblem(context.response, 404, 'Contact not found');
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  const links: Array<{ leadId: number; isMain: boolean }> = [];
  items.forEach((item, index) => {
    const leadId = isRecord(item) ? item['to_entity_id'] : undefined;
    const lead = typeof leadId === 'number' ? context.state.leads.get(leadId) : undefined;
    if (!isRecord(item) || item['to_entity_type'] !== 'leads') {
      failures.push({ request_id: requestIdOf(item, index), errors: [{ code: 'NotSupportedChoice', path: 'to_entity_type', detail: 'The value you selected is not a valid choice.' }] });
    } else if (!lead || lead.accountId !== context.account.id || lead.isDeleted) {
      failures.push({ request_id: requestIdOf(item, index), errors: [{ code: 'NotSupportedChoice', path: 'to_entity_id', detail: 'The value you selected is not a valid choice.' }] });
    } else {
      const metadata = item['metadata'];
      links.push({ leadId: lead.id, isMain: isRecord(metadata) && metadata['is_main'] === true });
    }
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const now = unixSeconds(context.clock);
  const answer = links.map(({ leadId, isMain }) => {
    const lead = context.state.leads.get(leadId);
    if (!lead) throw new Error(`Lead ${leadId} vanished`);
    if (isMain) lead.contacts = lead.contacts.map((existing) => ({ ...existing, isMain: false }));
    const existing = lead.contacts.find((candidate) => candidate.id === contact.id);
    if (existing) existing.isMain = existing.isMain || isMain;
    else lead.contacts.push({ id: contact.id, isMain: isMain || lead.contacts.length === 0 });
    lead.updatedAt = now;
    return { entity_id: contact.id, entity_type: 'contacts', to_entity_id: leadId, to_entity_type: 'leads', metadata: null };
  });
  sendHal(context.response, 200, {
    _total_items: answer.length,
    _links: { self: { href: `${contactHref(context, contact.id)}/link` } },
    _embedded: { links: answer },
  });
}

export const contactRoutes: ApiRoute[] = [
  { method: 'POST', path: /^\/api\/v4\/contacts\/(\d+)\/link$/, handler: linkContact },
  { method: 'GET', path: /^\/api\/v4\/contacts$/, handler: listContacts },
  { method: 'GET', path: /^\/api\/v4\/contacts\/(\d+)$/, handler: getContact },
  { method: 'POST', path: /^\/api\/v4\/contacts$/, handler: createContacts },
  { method: 'PATCH', path: /^\/api\/v4\/contacts$/, handler: updateContacts },
  { method: 'PATCH', path: /^\/api\/v4\/contacts\/(\d+)$/, handler: updateContact },
];
