/**
 * Incoming leads from forms (amocrm.md 2.4, checklist 23): `POST /leads/unsorted/forms` (requires
 * `source_uid` and `source_name`; stores metadata `form_id`, `form_name`, `form_page`, `ip`,
 * `form_sent_at`, `referer`, `visitor_uid`, `form_type`), `GET /leads/unsorted`
 * (`filter[category]`, `filter[pipeline_id]`) and `GET /leads/unsorted/{uid}`. The lead sits in
 * the pipeline's unsorted stage; its contacts are hidden from contact lists. Re-adding the same
 * data while it is still unsorted answers 400 (body [UNCONFIRMED]). `accept` and `decline` end it.
 * Subscribers of `add_unsorted` / `delete_unsorted` get `unsorted[add]` / `unsorted[delete]`
 * (with `action` accept or decline) (amocrm.md 4.2, 6.7).
 */
import { unixSeconds } from '../clock.js';
import { readFormMetadata, unsortedStatusId, unsortedUid } from '../incoming.js';
import { firstRegularStatusId, readLeadInput, type LeadChanges } from '../leadInput.js';
import { leadUpdateChanges } from '../notify.js';
import { leadSnapshot, type EntityChange } from '../webhookPayload.js';
import { sendPage } from '../paging.js';
import { bracketValues } from '../query.js';
import { sendHal, sendProblem, sendValidationErrors, type ValidationError, type ValidationErrorEntry } from '../responses.js';
import type { FormMetadata, Pipeline, UnsortedEntry } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord, readBatch, requestIdOf } from './batch.js';
import { insertContact, readContactInput, type ContactChanges } from './contacts.js';
import { newLead } from './leads.js';

interface FormItem {
  requestId: string;
  sourceUid: string;
  sourceName: string;
  pipeline: Pipeline;
  createdAt: number;
  metadata: FormMetadata;
  lead: LeadChanges;
  contacts: ContactChanges[];
  fingerprint: string;
}

function readForm(context: ApiContext, item: unknown, index: number, now: number): { ok: true; value: FormItem } | { ok: false; entry: ValidationErrorEntry } {
  const requestId = requestIdOf(item, index);
  if (!isRecord(item)) return { ok: false, entry: { request_id: requestId, errors: [{ code: 'InvalidType', path: '', detail: 'This value should be of type object.' }] } };
  const errors: ValidationError[] = [];
  for (const key of ['source_uid', 'source_name'] as const) {
    if (typeof item[key] !== 'string' || (item[key] as string).trim() === '') errors.push({ code: 'NotBlank', path: key, detail: 'This value should not be blank.' });
  }
  const pipelines = context.state.pipelinesOf(context.account.id);
  const pipelineInput = item['pipeline_id'];
  const pipeline = pipelineInput === undefined ? pipelines.find((candidate) => candidate.isMain) : pipelines.find((candidate) => candidate.id === pipelineInput);
  if (!pipeline || !pipeline.isUnsortedOn) errors.push({ code: 'NotSupportedChoice', path: 'pipeline_id', detail: 'The value you selected is not a valid choice.' });
  const createdAt = item['created_at'];
  if (createdAt !== undefined && (typeof createdAt !== 'number' || !Number.isInteger(createdAt))) errors.push({ code: 'InvalidType', path: 'created_at', detail: 'This value should be of type int.' });
  const metadata = readFormMetadata(item['metadata'] ?? {}, 'metadata', now, errors);
  const embedded = isRecord(item['_embedded']) ? item['_embedded'] : {};
  const leads = embedded['leads'] ?? [{}];
  let lead: LeadChanges = { customFields: [] };
  if (!Array.isArray(leads) || leads.length > 1) errors.push({ code: 'NotSupportedChoice', path: '_embedded.leads', detail: 'This collection should contain 1 element or less.' });
  else {
    const leadInput = isRecord(leads[0]) ? { ...leads[0] } : leads[0] ?? {};
    if (isRecord(leadInput)) {
      delete leadInput['status_id'];
      leadInput['pipeline_id'] = pipeline?.id;
    }
    const result = readLeadInput(context.state, context.account, leadInput, undefined);
    if (result.ok) lead = result.changes;
    else errors.push(...result.errors.map((error) => ({ ...error, path: `_embedded.leads.0.${error.path}`.replace(/\.$/, '') })));
  }
  const contacts: ContactChanges[] = [];
  const contactInputs = embedded['contacts'] ?? [];
  if (!Array.isArray(contactInputs)) errors.push({ code: 'InvalidType', path: '_embedded.contacts', detail: 'This value should be of type array.' });
  else contactInputs.forEach((contact: unknown, contactIndex) => {
    const result = readContactInput(context, contact);
    if (result.ok) contacts.push(result.changes);
    else errors.push(...result.errors.map((error) => ({ ...error, path: `_embedded.contacts.${contactIndex}.${error.path}`.replace(/\.$/, '') })));
  });
  if (errors.length > 0 || !pipeline || !metadata) return { ok: false, entry: { request_id: requestId, errors } };
  // "The same data": same source and the same form payload, ignoring request_id and timestamps.
  const { form_sent_at: _sentAt, ...stableMetadata } = metadata;
  const fingerprint = JSON.stringify([item['source_uid'], pipeline.id, stableMetadata, embedded]);
  return {
    ok: true,
    value: {
      requestId,
      sourceUid: item['source_uid'] as string,
      sourceName: item['source_name'] as string,
      pipeline,
      createdAt: typeof createdAt === 'number' ? createdAt : now,
      metadata,
      lead,
      contacts,
      fingerprint,
    },
  };
}

function entryBody(context: ApiContext, entry: UnsortedEntry): Record<string, unknown> {
  return {
    uid: entry.uid,
    source_uid: entry.sourceUid,
    source_name: entry.sourceName,
    category: entry.category,
    pipeline_id: entry.pipelineId,
    created_at: entry.createdAt,
    metadata: entry.metadata,
    account_id: entry.accountId,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/unsorted/${entry.uid}` } },
    _embedded: {
      leads: [{ id: entry.leadId, _links: { self: { href: `${context.baseUrl}/api/v4/leads/${entry.leadId}` } } }],
      contacts: entry.contactIds.map((id) => ({ id, _links: { self: { href: `${context.baseUrl}/api/v4/contacts/${id}` } } })),
      companies: [],
    },
  };
}

function addForms(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const now = unixSeconds(context.clock);
  const failures: ValidationErrorEntry[] = [];
  const accepted: FormItem[] = [];
  const waiting = new Set([...context.state.unsorted.values()].filter((entry) => entry.accountId === context.account.id).map((entry) => entry.fingerprint));
  items.forEach((item, index) => {
    const result = readForm(context, item, index, now);
    if (!result.ok) return failures.push(result.entry);
    if (waiting.has(result.value.fingerprint)) {
      return failures.push({ request_id: result.value.requestId, errors: [{ code: 'NotUnique', path: '', detail: 'An identical incoming lead already exists.' }] });
    }
    waiting.add(result.value.fingerprint);
    accepted.push(result.value);
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const changes: EntityChange[] = [];
  const created = accepted.map((form) => {
    const lead = newLead(context.state, context.account, form.lead, now);
    lead.statusId = unsortedStatusId(form.pipeline) ?? lead.statusId;
    lead.createdAt = form.createdAt;
    const contacts = form.contacts.map((changes) => {
      const contact = insertContact(context.state, context.account.id, context.account.currentUserId, changes, now);
      contact.isUnsorted = true;
      return contact;
    });
    lead.contacts = contacts.map((contact, index) => ({ id: contact.id, isMain: index === 0 }));
    const entry: UnsortedEntry = {
      uid: unsortedUid(context.state, context.account.id),
      accountId: context.account.id,
      category: 'forms',
      sourceUid: form.sourceUid,
      sourceName: form.sourceName,
      pipelineId: form.pipeline.id,
      createdAt: form.createdAt,
      metadata: form.metadata,
      leadId: lead.id,
      contactIds: contacts.map((contact) => contact.id),
      fingerprint: form.fingerprint,
    };
    context.state.unsorted.set(entry.uid, entry);
    changes.push({ entity: 'unsorted', action: 'add', entry });
    return {
      uid: entry.uid,
      account_id: entry.accountId,
      request_id: form.requestId,
      _embedded: { leads: [{ id: lead.id }], contacts: entry.contactIds.map((id) => ({ id })) },
    };
  });
  context.notify(context.account, changes, 0);
  sendHal(context.response, 200, {
    _total_items: created.length,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/unsorted/forms` } },
    _embedded: { unsorted: created },
  });
}

function listUnsorted(context: ApiContext): void {
  const categories = new Set(bracketValues(context.query, 'filter[category]'));
  const pipelineIds = new Set(bracketValues(context.query, 'filter[pipeline_id]').map(Number));
  const entries = [...context.state.unsorted.values()]
    .filter((entry) => entry.accountId === context.account.id)
    .filter((entry) => categories.size === 0 || categories.has(entry.category))
    .filter((entry) => pipelineIds.size === 0 || pipelineIds.has(entry.pipelineId))
    .sort((left, right) => (context.query.get('order[created_at]') === 'desc' ? right.createdAt - left.createdAt : left.createdAt - right.createdAt));
  sendPage(context, entries, { path: '/api/v4/leads/unsorted', key: 'unsorted', totalItems: true, render: (entry) => entryBody(context, entry) });
}

function getUnsorted(context: ApiContext, [uid]: string[]): void {
  const entry = context.state.unsorted.get(uid ?? '');
  if (!entry || entry.accountId !== context.account.id) return sendProblem(context.response, 404, 'Unsorted not found');
  sendHal(context.response, 200, entryBody(context, entry));
}

function decisionBody(entry: UnsortedEntry): Record<string, unknown> {
  return {
    uid: entry.uid,
    category: entry.category,
    pipeline_id: entry.pipelineId,
    created_at: entry.createdAt,
    _embedded: { leads: [{ id: entry.leadId }], contacts: entry.contactIds.map((id) => ({ id })), companies: [] },
  };
}

/** The `user_id` of an accept/decline body (0 = the integration), already validated by readDecision. */
function decisionUserId(context: ApiContext): number {
  const userId = isRecord(context.body) ? context.body['user_id'] : undefined;
  return typeof userId === 'number' ? userId : 0;
}

function readDecision(context: ApiContext, uid: string | undefined): UnsortedEntry | undefined {
  const entry = context.state.unsorted.get(uid ?? '');
  if (!entry || entry.accountId !== context.account.id) {
    sendProblem(context.response, 404, 'Unsorted not found');
    return undefined;
  }
  const body = context.body;
  if (body !== undefined && !isRecord(body)) {
    sendProblem(context.response, 400, 'Request body must be an object');
    return undefined;
  }
  const userId = isRecord(body) ? body['user_id'] : undefined;
  if (userId !== undefined && userId !== 0 && (typeof userId !== 'number' || !context.state.isActiveUser(context.account.id, userId))) {
    sendValidationErrors(context.response, [{ request_id: '0', errors: [{ code: 'NotSupportedChoice', path: 'user_id', detail: 'The value you selected is not a valid choice.' }] }]);
    return undefined;
  }
  return entry;
}

/**
 * `POST /leads/unsorted/{uid}/accept` with optional `{user_id, status_id}`: the lead moves to
 * `status_id` (a regular stage of its pipeline; default the first one), its contacts become
 * visible, and the move is a status change (event, `status_lead`).
 */
function acceptUnsorted(context: ApiContext, [uid]: string[]): void {
  const entry = readDecision(context, uid);
  if (!entry) return;
  const lead = context.state.leads.get(entry.leadId);
  const pipeline = context.state.pipelines.get(entry.pipelineId);
  if (!lead || !pipeline) return sendProblem(context.response, 404, 'Unsorted not found');
  const statusInput = isRecord(context.body) ? context.body['status_id'] : undefined;
  const target = statusInput === undefined ? firstRegularStatusId(pipeline) : pipeline.statuses.find((status) => status.id === statusInput && status.type === 0)?.id;
  if (target === undefined) {
    return sendValidationErrors(context.response, [{ request_id: '0', errors: [{ code: 'NotSupportedChoice', path: 'status_id', detail: 'The value you selected is not a valid choice.' }] }]);
  }
  const now = unixSeconds(context.clock);
  const before = leadSnapshot(lead);
  lead.statusId = target;
  lead.closedAt = target === 142 || target === 143 ? now : null;
  lead.updatedAt = now;
  for (const id of entry.contactIds) {
    const contact = context.state.contacts.get(id);
    if (contact) contact.isUnsorted = false;
  }
  context.state.unsorted.delete(entry.uid);
  const decided: EntityChange = { entity: 'unsorted', action: 'delete', entry, decision: 'accept', userId: decisionUserId(context) };
  context.notify(context.account, [decided, ...leadUpdateChanges(lead, before)], 0);
  sendHal(context.response, 200, decisionBody(entry));
}

/** `DELETE /leads/unsorted/{uid}/decline`: the incoming lead and its hidden contacts are deleted. */
function declineUnsorted(context: ApiContext, [uid]: string[]): void {
  const entry = readDecision(context, uid);
  if (!entry) return;
  const lead = context.state.leads.get(entry.leadId);
  if (lead) lead.isDeleted = true;
  for (const id of entry.contactIds) {
    const contact = context.state.contacts.get(id);
    if (contact?.isUnsorted) contact.isDeleted = true;
  }
  context.state.unsorted.delete(entry.uid);
  context.notify(context.account, [{ entity: 'unsorted', action: 'delete', entry, decision: 'decline', userId: decisionUserId(context) }], 0);
  sendHal(context.response, 200, decisionBody(entry));
}

export const unsortedRoutes: ApiRoute[] = [
  { method: 'POST', path: /^\/api\/v4\/leads\/unsorted\/([0-9a-f]{40})\/accept$/, handler: acceptUnsorted },
  { method: 'DELETE', path: /^\/api\/v4\/leads\/unsorted\/([0-9a-f]{40})\/decline$/, handler: declineUnsorted },
  { method: 'POST', path: /^\/api\/v4\/leads\/unsorted\/forms$/, handler: addForms },
  { method: 'GET', path: /^\/api\/v4\/leads\/unsorted$/, handler: listUnsorted },
  { method: 'GET', path: /^\/api\/v4\/leads\/unsorted\/([0-9a-f]{40})$/, handler: getUnsorted },
];
