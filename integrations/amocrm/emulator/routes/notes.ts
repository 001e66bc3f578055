/**
 * Notes on leads (amocrm.md 2.9, checklist 27): `POST /leads/notes` (array, each with `entity_id`),
 * `POST /leads/{id}/notes`, `GET /leads/{id}/notes`, `GET /leads/notes` (`filter[entity_id]`),
 * `GET /leads/notes/{id}`. Writable types and their required `params`: `common` {text},
 * `service_message`/`extended_service_message` {service, text}, `call_in`/`call_out`
 * {uniq, duration, source, link, phone}, `sms_in`/`sms_out` {text, phone}. A new note sends
 * `note_lead` webhooks.
 */
import { unixSeconds } from '../clock.js';
import { sendPage } from '../paging.js';
import { bracketValues } from '../query.js';
import { sendHal, sendProblem, sendValidationErrors, type ValidationError, type ValidationErrorEntry } from '../responses.js';
import type { Lead, Note } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord, readBatch, requestIdOf } from './batch.js';

const requiredParams: Record<string, string[]> = {
  common: ['text'],
  service_message: ['service', 'text'],
  extended_service_message: ['service', 'text'],
  call_in: ['uniq', 'duration', 'source', 'phone'],
  call_out: ['uniq', 'duration', 'source', 'phone'],
  sms_in: ['text', 'phone'],
  sms_out: ['text', 'phone'],
};

function noteHref(context: ApiContext, note: Note): string {
  return `${context.baseUrl}/api/v4/leads/${note.entityId}/notes/${note.id}`;
}

function noteBody(context: ApiContext, note: Note): Record<string, unknown> {
  return {
    id: note.id,
    entity_id: note.entityId,
    created_by: note.createdBy,
    updated_by: note.updatedBy,
    created_at: note.createdAt,
    updated_at: note.updatedAt,
    responsible_user_id: note.responsibleUserId,
    group_id: 0,
    note_type: note.noteType,
    params: note.params,
    account_id: note.accountId,
    is_pinned: false,
    _links: { self: { href: noteHref(context, note) } },
  };
}

function findLead(context: ApiContext, id: unknown): Lead | undefined {
  const lead = typeof id === 'number' ? context.state.leads.get(id) : undefined;
  return lead && lead.accountId === context.account.id && !lead.isDeleted ? lead : undefined;
}

function validateNote(context: ApiContext, item: unknown, pathLeadId: number | undefined): ValidationError[] {
  if (!isRecord(item)) return [{ code: 'InvalidType', path: '', detail: 'This value should be of type object.' }];
  const errors: ValidationError[] = [];
  const entityId = pathLeadId ?? item['entity_id'];
  if (pathLeadId === undefined && entityId === undefined) errors.push({ code: 'NotBlank', path: 'entity_id', detail: 'This value should not be blank.' });
  else if (!findLead(context, entityId)) errors.push({ code: 'NotSupportedChoice', path: 'entity_id', detail: 'The value you selected is not a valid choice.' });
  const type = item['note_type'];
  const required = typeof type === 'string' ? requiredParams[type] : undefined;
  if (!required) {
    errors.push({ code: 'NotSupportedChoice', path: 'note_type', detail: 'The value you selected is not a valid choice.' });
    return errors;
  }
  const params = item['params'];
  if (!isRecord(params)) {
    errors.push({ code: 'InvalidType', path: 'params', detail: 'This value should be of type object.' });
    return errors;
  }
  for (const key of required) {
    const value = params[key];
    if (value === undefined || value === null || value === '') errors.push({ code: 'NotBlank', path: `params.${key}`, detail: 'This value should not be blank.' });
  }
  const trigger = item['is_need_to_trigger_digital_pipeline'];
  if (trigger !== undefined && typeof trigger !== 'boolean') {
    errors.push({ code: 'InvalidType', path: 'is_need_to_trigger_digital_pipeline', detail: 'This value should be of type bool.' });
  }
  return errors;
}

function addNotes(context: ApiContext, pathLeadId: number | undefined): void {
  if (pathLeadId !== undefined && !findLead(context, pathLeadId)) return sendProblem(context.response, 404, 'Lead not found');
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  items.forEach((item, index) => {
    const errors = validateNote(context, item, pathLeadId);
    if (errors.length > 0) failures.push({ request_id: requestIdOf(item, index), errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const now = unixSeconds(context.clock);
  const notes = (items as Array<Record<string, unknown>>).map((item) => {
    const note: Note = {
      id: context.state.nextId('note'),
      accountId: context.account.id,
      entityId: pathLeadId ?? (item['entity_id'] as number),
      noteType: item['note_type'] as string,
      params: { ...(item['params'] as Record<string, unknown>) },
      responsibleUserId: context.account.currentUserId,
      createdBy: 0,
      updatedBy: 0,
      createdAt: now,
      updatedAt: now,
      isNeedToTriggerDigitalPipeline: item['is_need_to_trigger_digital_pipeline'] !== false,
    };
    context.state.notes.set(note.id, note);
    return note;
  });
  context.notify(context.account, notes.map((note) => ({ entity: 'leads', action: 'note', note })), 0);
  sendHal(context.response, 200, {
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/notes` } },
    _embedded: {
      notes: notes.map((note, index) => ({ id: note.id, entity_id: note.entityId, request_id: requestIdOf(items[index], index), _links: { self: { href: noteHref(context, note) } } })),
    },
  });
}

function listNotes(context: ApiContext, leadId: number | undefined): void {
  if (leadId !== undefined && !findLead(context, leadId)) return sendProblem(context.response, 404, 'Lead not found');
  const entityIds = new Set(bracketValues(context.query, 'filter[entity_id]').map(Number));
  const types = new Set(bracketValues(context.query, 'filter[note_type]'));
  const notes = [...context.state.notes.values()]
    .filter((note) => note.accountId === context.account.id && findLead(context, note.entityId))
    .filter((note) => (leadId === undefined ? entityIds.size === 0 || entityIds.has(note.entityId) : note.entityId === leadId))
    .filter((note) => types.size === 0 || types.has(note.noteType))
    .sort((left, right) => left.id - right.id);
  const path = leadId === undefined ? '/api/v4/leads/notes' : `/api/v4/leads/${leadId}/notes`;
  sendPage(context, notes, { path, key: 'notes', render: (note) => noteBody(context, note) });
}

function getNote(context: ApiContext, id: string, leadId: number | undefined): void {
  const note = context.state.notes.get(Number(id));
  if (!note || note.accountId !== context.account.id || (leadId !== undefined && note.entityId !== leadId) || !findLead(context, note.entityId)) {
    return sendProblem(context.response, 404, 'Note not found');
  }
  sendHal(context.response, 200, noteBody(context, note));
}

export const noteRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/leads\/notes$/, handler: (context) => listNotes(context, undefined) },
  { method: 'GET', path: /^\/api\/v4\/leads\/notes\/(\d+)$/, handler: (context, [id]) => getNote(context, id ?? '', undefined) },
  { method: 'POST', path: /^\/api\/v4\/leads\/notes$/, handler: (context) => addNotes(context, undefined) },
  { method: 'GET', path: /^\/api\/v4\/leads\/(\d+)\/notes$/, handler: (context, [id]) => listNotes(context, Number(id)) },
  { method: 'GET', path: /^\/api\/v4\/leads\/(\d+)\/notes\/(\d+)$/, handler: (context, [leadId, id]) => getNote(context, id ?? '', Number(leadId)) },
  { method: 'POST', path: /^\/api\/v4\/leads\/(\d+)\/notes$/, handler: (context, [id]) => addNotes(context, Number(id)) },
];
