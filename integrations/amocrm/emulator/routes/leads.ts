/** Leads: list, get, create, update one, bulk update (amocrm.md 2.3, checklist 17-20). */
import { unixSeconds } from '../clock.js';
import { renderCustomFieldsValues } from '../customFieldValues.js';
import { applyLeadChanges, readLeadInput, type LeadChanges } from '../leadInput.js';
import { sendPage } from '../paging.js';
import { filterLeads } from '../leadFilters.js';
import { withValues } from '../query.js';
import { sendHal, sendNoContent, sendProblem, sendValidationErrors, type ValidationErrorEntry } from '../responses.js';
import type { Account, EmulatorState, Lead } from '../state.js';
import { lossReasonBody } from './lossReasons.js';
import { leadUpdateChanges } from '../notify.js';
import { leadSnapshot, type EntityChange } from '../webhookPayload.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord, readBatch, requestIdOf } from './batch.js';

function leadHref(context: ApiContext, id: number): string {
  return `${context.baseUrl}/api/v4/leads/${id}`;
}

/** `selfQuery` reproduces the wire quirk of list elements echoing the list's query string (amocrm.md 2.1). */
function leadBody(context: ApiContext, lead: Lead, selfQuery: string): Record<string, unknown> {
  const embedded: Record<string, unknown> = {
    tags: lead.tagIds.map((id) => ({ id, name: context.state.tags.get(id)?.name ?? '', color: null })),
    companies: lead.companyIds.map((id) => ({ id, _links: { self: { href: `${context.baseUrl}/api/v4/companies/${id}` } } })),
  };
  if (withValues(context.query).has('contacts')) {
    embedded['contacts'] = lead.contacts.map((contact) => ({
      id: contact.id,
      is_main: contact.isMain,
      _links: { self: { href: `${context.baseUrl}/api/v4/contacts/${contact.id}` } },
    }));
  }
  // `with=loss_reason`: the lead's reason as a one-element list, read by the SDK as `_embedded.loss_reason[0]`.
  const reason = lead.lossReasonId === null ? undefined : context.state.lossReasons.get(lead.lossReasonId);
  if (withValues(context.query).has('loss_reason') && reason) embedded['loss_reason'] = [lossReasonBody(context, reason)];
  return {
    id: lead.id,
    name: lead.name,
    price: lead.price,
    responsible_user_id: lead.responsibleUserId,
    group_id: lead.groupId,
    status_id: lead.statusId,
    pipeline_id: lead.pipelineId,
    loss_reason_id: lead.lossReasonId,
    created_by: lead.createdBy,
    updated_by: lead.updatedBy,
    created_at: lead.createdAt,
    updated_at: lead.updatedAt,
    closed_at: lead.closedAt,
    closest_task_at: lead.closestTaskAt,
    is_deleted: lead.isDeleted,
    custom_fields_values: renderCustomFieldsValues(context.state, lead),
    score: lead.score,
    account_id: lead.accountId,
    labor_cost: lead.laborCost,
    _links: { self: { href: `${leadHref(context, lead.id)}${selfQuery}` } },
    _embedded: embedded,
  };
}

function findLead(context: ApiContext, id: unknown): Lead | undefined {
  const lead = typeof id === 'number' ? context.state.leads.get(id) : undefined;
  return lead && lead.accountId === context.account.id && !lead.isDeleted ? lead : undefined;
}

function listLeads(context: ApiContext): void {
  // `with=only_deleted` lists the trash instead of the live leads (amocrm.md 2.3 `with` values).
  const source = withValues(context.query).has('only_deleted')
    ? [...context.state.leads.values()].filter((lead) => lead.accountId === context.account.id && lead.isDeleted)
    : context.state.leadsOf(context.account.id);
  const leads = filterLeads(context.state, context.options, context.query, source);
  const queryString = context.query.toString();
  const selfQuery = queryString === '' ? '' : `?${queryString}`;
  sendPage(context, leads, { path: '/api/v4/leads', key: 'leads', render: (lead) => leadBody(context, lead, selfQuery) });
}

function getLead(context: ApiContext, [id]: string[]): void {
  const lead = findLead(context, Number(id));
  if (lead) return sendHal(context.response, 200, leadBody(context, lead, ''));
  if (context.options.missingLeadStatus === 204) return sendNoContent(context.response);
  sendProblem(context.response, 404, 'Lead not found');
}

export function newLead(state: EmulatorState, account: Account, changes: LeadChanges, now: number): Lead {
  const lead: Lead = {
    id: state.nextId('lead'),
    accountId: account.id,
    name: '',
    price: 0,
    responsibleUserId: account.currentUserId,
    groupId: 0,
    statusId: 0,
    pipelineId: 0,
    lossReasonId: null,
    createdBy: changes.createdBy ?? 0,
    updatedBy: 0,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closestTaskAt: null,
    isDeleted: false,
    score: null,
    laborCost: null,
    customFieldsValues: [],
    tagIds: [],
    contacts: [],
    companyIds: [],
  };
  applyLeadChanges(state, lead, changes, now);
  state.leads.set(lead.id, lead);
  return lead;
}

function createLeads(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  const accepted: Array<{ requestId: string; changes: LeadChanges }> = [];
  items.forEach((item, index) => {
    const result = readLeadInput(context.state, context.account, item, undefined);
    if (result.ok) accepted.push({ requestId: requestIdOf(item, index), changes: result.changes });
    else failures.push({ request_id: requestIdOf(item, index), errors: result.errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const now = unixSeconds(context.clock);
  const leads = accepted.map(({ changes }) => newLead(context.state, context.account, changes, now));
  const created = leads.map((lead, index) => ({ id: lead.id, request_id: accepted[index]?.requestId ?? String(index), _links: { self: { href: leadHref(context, lead.id) } } }));
  context.notify(context.account, leads.map((lead) => ({ entity: 'leads', action: 'add', lead })), 0);
  sendHal(context.response, context.options.leadCreateStatus, {
    _links: { self: { href: `${context.baseUrl}/api/v4/leads` } },
    _embedded: { leads: created },
  });
}

function updateLeads(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  const accepted: Array<{ requestId: string; lead: Lead; changes: LeadChanges }> = [];
  items.forEach((item, index) => {
    const requestId = requestIdOf(item, index);
    const id = isRecord(item) ? item['id'] : undefined;
    if (id === undefined) {
      failures.push({ request_id: requestId, errors: [{ code: 'NotBlank', path: 'id', detail: 'This value should not be blank.' }] });
      return;
    }
    const lead = findLead(context, id);
    if (!lead) {
      failures.push({ request_id: requestId, errors: [{ code: 'NotSupportedChoice', path: 'id', detail: 'The value you selected is not a valid choice.' }] });
      return;
    }
    const result = readLeadInput(context.state, context.account, item, lead);
    if (result.ok) accepted.push({ requestId, lead, changes: result.changes });
    else failures.push({ request_id: requestId, errors: result.errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const now = unixSeconds(context.clock);
  const changed: EntityChange[] = [];
  const updated = accepted.map(({ requestId, lead, changes }) => {
    const before = leadSnapshot(lead);
    applyLeadChanges(context.state, lead, changes, now);
    changed.push(...leadUpdateChanges(lead, before));
    return { id: lead.id, updated_at: lead.updatedAt, request_id: requestId, _links: { self: { href: leadHref(context, lead.id) } } };
  });
  // Our own PATCH also fires `update_lead` (and `status_lead` on a move), as on the real service.
  context.notify(context.account, changed, 0);
  sendHal(context.response, 200, {
    _links: { self: { href: `${context.baseUrl}/api/v4/leads` } },
    _embedded: { leads: updated },
  });
}

function updateLead(context: ApiContext, [id]: string[]): void {
  if (!isRecord(context.body)) return sendProblem(context.response, 400, 'Request body must be an object');
  const lead = findLead(context, Number(id));
  if (!lead) return sendProblem(context.response, 404, 'Lead not found');
  const result = readLeadInput(context.state, context.account, context.body, lead);
  if (!result.ok) return sendValidationErrors(context.response, [{ request_id: requestIdOf(context.body, 0), errors: result.errors }]);
  const before = leadSnapshot(lead);
  applyLeadChanges(context.state, lead, result.changes, unixSeconds(context.clock));
  context.notify(context.account, leadUpdateChanges(lead, before), 0);
  sendHal(context.response, 200, { id: lead.id, updated_at: lead.updatedAt, _links: { self: { href: leadHref(context, lead.id) } } });
}

/**
 * `POST /api/v4/leads/{id}/link` with `[{to_entity_id, to_entity_type: "contacts", metadata: {is_main}}]`
 * (amocrm.md 2.5); answers `_embedded.links[]` with `entity_id, entity_type, to_entity_id, to_entity_type, metadata`.
 */
function linkLead(context: ApiContext, [id]: string[]): void {
  const lead = findLead(context, Number(id));
  if (!lead) return sendProblem(context.response, 404, 'Lead not found');
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  const links: Array<{ contactId: number; isMain: boolean }> = [];
  items.forEach((item, index) => {
    const contactId = isRecord(item) ? item['to_entity_id'] : undefined;
    const contact = typeof contactId === 'number' ? context.state.contacts.get(contactId) : undefined;
    if (!isRecord(item) || item['to_entity_type'] !== 'contacts') {
      failures.push({ request_id: requestIdOf(item, index), errors: [{ code: 'NotSupportedChoice', path: 'to_entity_type', detail: 'The value you selected is not a valid choice.' }] });
    } else if (!contact || contact.accountId !== context.account.id || contact.isDeleted) {
      failures.push({ request_id: requestIdOf(item, index), errors: [{ code: 'NotSupportedChoice', path: 'to_entity_id', detail: 'The value you selected is not a valid choice.' }] });
    } else {
      const metadata = item['metadata'];
      links.push({ contactId: contact.id, isMain: isRecord(metadata) && metadata['is_main'] === true });
    }
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  for (const link of links) {
    if (link.isMain) lead.contacts = lead.contacts.map((existing) => ({ ...existing, isMain: false }));
    const existing = lead.contacts.find((candidate) => candidate.id === link.contactId);
    if (existing) existing.isMain = existing.isMain || link.isMain;
    else lead.contacts.push({ id: link.contactId, isMain: link.isMain || lead.contacts.length === 0 });
  }
  lead.updatedAt = unixSeconds(context.clock);
  sendHal(context.response, 200, {
    _total_items: links.length,
    _links: { self: { href: `${leadHref(context, lead.id)}/link` } },
    _embedded: {
      links: links.map((link) => ({
        entity_id: lead.id,
        entity_type: 'leads',
        to_entity_id: link.contactId,
        to_entity_type: 'contacts',
        metadata: { is_main: lead.contacts.find((candidate) => candidate.id === link.contactId)?.isMain ?? false },
      })),
    },
  });
}

export const leadRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/leads$/, handler: listLeads },
  { method: 'GET', path: /^\/api\/v4\/leads\/(\d+)$/, handler: getLead },
  { method: 'POST', path: /^\/api\/v4\/leads$/, handler: createLeads },
  { method: 'PATCH', path: /^\/api\/v4\/leads$/, handler: updateLeads },
  { method: 'PATCH', path: /^\/api\/v4\/leads\/(\d+)$/, handler: updateLead },
  { method: 'POST', path: /^\/api\/v4\/leads\/(\d+)\/link$/, handler: linkLead },
];
