/** Lead custom fields: list (paged, `filter[type][]`), get one, create (amocrm.md 2.7). */
import { sendPage } from '../paging.js';
import { bracketValues } from '../query.js';
import { sendHal, sendProblem, sendValidationErrors, type ValidationError, type ValidationErrorEntry } from '../responses.js';
import type { CustomField, CustomFieldGroup, FieldEnum } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord, readBatch, requestIdOf } from './batch.js';

/** Field types amoCRM knows (amocrm.md 2.7). */
const fieldTypes = new Set([
  'text', 'numeric', 'checkbox', 'select', 'multiselect', 'multitext', 'date', 'url', 'textarea', 'radiobutton',
  'streetaddress', 'smart_address', 'birthday', 'legal_entity', 'date_time', 'items', 'category', 'price',
  'tracking_data', 'linked_entity', 'org_legal_name', 'monetary', 'chained_list', 'file', 'payer', 'supplier',
]);
const typesWithEnums = new Set(['select', 'multiselect', 'radiobutton']);

function fieldBody(context: ApiContext, field: CustomField): Record<string, unknown> {
  return {
    id: field.id,
    name: field.name,
    type: field.type,
    account_id: field.accountId,
    code: field.code,
    sort: field.sort,
    is_api_only: field.isApiOnly,
    enums: field.enums?.map((option) => ({ id: option.id, value: option.value, sort: option.sort })) ?? null,
    group_id: field.groupId ?? null,
    required_statuses: [],
    is_deletable: field.isDeletable,
    is_predefined: field.isPredefined,
    entity_type: field.entityType,
    tracking_callback: field.trackingCallback,
    remind: null,
    triggers: [],
    currency: null,
    hidden_statuses: [],
    chained_lists: null,
    search_in: null,
    is_visible: true,
    is_required: false,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/custom_fields/${field.id}` } },
  };
}

function listFields(context: ApiContext): void {
  const types = new Set(bracketValues(context.query, 'filter[type]'));
  const fields = context.state
    .customFieldsOf(context.account.id)
    .filter((field) => types.size === 0 || types.has(field.type))
    .sort((left, right) => left.sort - right.sort || left.id - right.id);
  sendPage(context, fields, { path: '/api/v4/leads/custom_fields', key: 'custom_fields', totalItems: true, render: (field) => fieldBody(context, field) });
}

function getField(context: ApiContext, [id]: string[]): void {
  const field = context.state.customFields.get(Number(id));
  if (!field || field.accountId !== context.account.id) return sendProblem(context.response, 404, 'Custom field not found');
  sendHal(context.response, 200, fieldBody(context, field));
}

function validateNewField(context: ApiContext, item: unknown, codesInBatch: Set<string>): ValidationError[] {
  if (!isRecord(item)) return [{ code: 'InvalidType', path: '', detail: 'This value should be of type object.' }];
  const errors: ValidationError[] = [];
  if (typeof item['name'] !== 'string' || item['name'].trim() === '') {
    errors.push({ code: 'NotBlank', path: 'name', detail: 'This value should not be blank.' });
  }
  // `multitext` (phones, e-mails) is for contacts and companies only (amocrm.md 2.5).
  if (typeof item['type'] !== 'string' || !fieldTypes.has(item['type']) || item['type'] === 'multitext') {
    errors.push({ code: 'NotSupportedChoice', path: 'type', detail: 'The value you selected is not a valid choice.' });
  }
  const code = item['code'];
  if (code !== undefined && code !== null) {
    const taken = context.state.customFieldsOf(context.account.id).some((field) => field.code === code) || codesInBatch.has(String(code));
    if (typeof code !== 'string') errors.push({ code: 'InvalidType', path: 'code', detail: 'This value should be of type string.' });
    // [UNCONFIRMED] error code for a duplicate field code; codes must be unique to be usable as `field_code`.
    else if (taken) errors.push({ code: 'NotSupportedChoice', path: 'code', detail: 'A field with this code already exists.' });
    else codesInBatch.add(code);
  }
  if (typeof item['type'] === 'string' && typesWithEnums.has(item['type'])) {
    const enums = item['enums'];
    if (!Array.isArray(enums) || enums.length === 0) errors.push({ code: 'NotBlank', path: 'enums', detail: 'This value should not be blank.' });
    else enums.forEach((option: unknown, index) => {
      if (!isRecord(option) || typeof option['value'] !== 'string' || option['value'] === '') {
        errors.push({ code: 'NotBlank', path: `enums.${index}.value`, detail: 'This value should not be blank.' });
      }
    });
  }
  const groupId = item['group_id'];
  if (groupId !== undefined && groupId !== null) {
    const group = typeof groupId === 'string' ? context.state.customFieldGroups.get(groupId) : undefined;
    if (!group || group.accountId !== context.account.id) errors.push({ code: 'NotSupportedChoice', path: 'group_id', detail: 'The value you selected is not a valid choice.' });
  }
  for (const [key, expected] of [['sort', 'number'], ['is_api_only', 'boolean']] as const) {
    if (item[key] !== undefined && typeof item[key] !== expected) {
      errors.push({ code: 'InvalidType', path: key, detail: `This value should be of type ${expected}.` });
    }
  }
  return errors;
}

function createField(context: ApiContext, item: Record<string, unknown>): CustomField {
  const { state, account } = context;
  const type = String(item['type']);
  const enums: FieldEnum[] | null = typesWithEnums.has(type)
    ? (item['enums'] as Array<Record<string, unknown>>).map((option, index) => ({
        id: state.nextId('enum'),
        value: String(option['value']),
        sort: typeof option['sort'] === 'number' ? option['sort'] : index + 1,
        code: typeof option['code'] === 'string' ? option['code'] : null,
      }))
    : null;
  const field: CustomField = {
    id: state.nextId('customField'),
    accountId: account.id,
    entityType: 'leads',
    name: String(item['name']),
    type,
    code: typeof item['code'] === 'string' ? item['code'] : null,
    sort: typeof item['sort'] === 'number' ? item['sort'] : 500,
    isApiOnly: item['is_api_only'] === true,
    isPredefined: false,
    isDeletable: true,
    enums,
    trackingCallback: typeof item['tracking_callback'] === 'string' ? item['tracking_callback'] : null,
    groupId: typeof item['group_id'] === 'string' ? item['group_id'] : null,
  };
  state.customFields.set(field.id, field);
  return field;
}

function createFields(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const codesInBatch = new Set<string>();
  const failures: ValidationErrorEntry[] = [];
  items.forEach((item, index) => {
    const errors = validateNewField(context, item, codesInBatch);
    if (errors.length > 0) failures.push({ request_id: requestIdOf(item, index), errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const created = (items as Array<Record<string, unknown>>).map((item, index) => ({
    ...fieldBody(context, createField(context, item)),
    request_id: requestIdOf(item, index),
  }));
  sendHal(context.response, context.options.customFieldCreateStatus, {
    _total_items: created.length,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/custom_fields` } },
    _embedded: { custom_fields: created },
  });
}

function groupBody(context: ApiContext, group: CustomFieldGroup): Record<string, unknown> {
  const fields = context.state.customFieldsOf(context.account.id).filter((field) => field.groupId === group.id).map((field) => field.id);
  return {
    id: group.id,
    name: group.name,
    sort: group.sort,
    is_predefined: group.isPredefined,
    entity_type: group.entityType,
    fields,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/custom_fields/groups/${group.id}` } },
  };
}

/** `GET /api/v4/leads/custom_fields/groups`: every group of the account, `_embedded.custom_field_groups`. */
function listGroups(context: ApiContext): void {
  const groups = [...context.state.customFieldGroups.values()].filter((group) => group.accountId === context.account.id).sort((a, b) => a.sort - b.sort);
  sendPage(context, groups, { path: '/api/v4/leads/custom_fields/groups', key: 'custom_field_groups', totalItems: true, render: (group) => groupBody(context, group) });
}

/**
 * `POST /api/v4/leads/custom_fields/groups` with `[{name, sort, request_id}]` (the SDK's `toApi`):
 * string ids; names must not be blank. [UNCONFIRMED] id format (`leads_<n>` here), status 200.
 */
function createGroups(context: ApiContext): void {
  const items = readBatch(context);
  if (!items) return;
  const failures: ValidationErrorEntry[] = [];
  items.forEach((item, index) => {
    const errors: ValidationError[] = [];
    if (!isRecord(item) || typeof item['name'] !== 'string' || item['name'].trim() === '') errors.push({ code: 'NotBlank', path: 'name', detail: 'This value should not be blank.' });
    else if (item['sort'] !== undefined && typeof item['sort'] !== 'number') errors.push({ code: 'InvalidType', path: 'sort', detail: 'This value should be of type number.' });
    if (errors.length > 0) failures.push({ request_id: requestIdOf(item, index), errors });
  });
  if (failures.length > 0) return sendValidationErrors(context.response, failures);
  const created = (items as Array<Record<string, unknown>>).map((item, index) => {
    const group: CustomFieldGroup = {
      id: `leads_${context.state.nextId('customField')}`,
      accountId: context.account.id,
      entityType: 'leads',
      name: String(item['name']),
      sort: typeof item['sort'] === 'number' ? item['sort'] : 10,
      isPredefined: false,
    };
    context.state.customFieldGroups.set(group.id, group);
    return { ...groupBody(context, group), request_id: requestIdOf(item, index) };
  });
  sendHal(context.response, 200, {
    _total_items: created.length,
    _links: { self: { href: `${context.baseUrl}/api/v4/leads/custom_fields/groups` } },
    _embedded: { custom_field_groups: created },
  });
}

export const customFieldRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/leads\/custom_fields\/groups$/, handler: listGroups },
  { method: 'POST', path: /^\/api\/v4\/leads\/custom_fields\/groups$/, handler: createGroups },
  { method: 'GET', path: /^\/api\/v4\/leads\/custom_fields$/, handler: listFields },
  { method: 'GET', path: /^\/api\/v4\/leads\/custom_fields\/(\d+)$/, handler: getField },
  { method: 'POST', path: /^\/api\/v4\/leads\/custom_fields$/, handler: createFields },
];
