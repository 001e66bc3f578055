/**
 * `crm.{deal,lead,contact}.userfield.add|list|get|update|delete` (bitrix24.md 3.4): `UF_CRM_`
 * prefix normalisation, name checks, `SHOW_FILTER` Y -> E, labels defaulting from `LABEL`,
 * enumeration `LIST`, an unpaginated list with `total` whose labels appear only with `filter.LANG`.
 */
import { userFieldEntityIds } from '../crm/fields.js';
import { isFieldObject } from '../crm/records.js';
import { legacyError, RestError } from '../envelope.js';
import type { CrmKind, EnumItem, LabelValue, UserField } from '../state.js';
import { idParam, looseParam, type MethodContext, type MethodTable } from './context.js';

const userTypes = new Set(['string', 'integer', 'double', 'boolean', 'datetime', 'date', 'money', 'url', 'address', 'enumeration', 'file', 'employee', 'crm_status', 'iblock_section', 'iblock_element', 'crm']);
const labelKeys = ['EDIT_FORM_LABEL', 'LIST_COLUMN_LABEL', 'LIST_FILTER_LABEL', 'ERROR_MESSAGE', 'HELP_MESSAGE'] as const;

/** `MANAGER_NOTE` -> `UF_CRM_MANAGER_NOTE`, `UF_X` -> `UF_CRM_X`, `UF_CRM_X` unchanged (file 3.4). */
export function normaliseFieldName(name: string): string {
  const upper = name.toUpperCase();
  if (upper.startsWith('UF_CRM_')) return upper;
  if (upper.startsWith('UF_')) return `UF_CRM_${upper.slice(3)}`;
  return `UF_CRM_${upper}`;
}

function yesNo(value: unknown, fallback: 'Y' | 'N'): 'Y' | 'N' {
  if (value === undefined || value === null || value === '') return fallback;
  return value === 'Y' || value === true || value === '1' || value === 1 ? 'Y' : 'N';
}

function labelOf(value: unknown): LabelValue | null {
  if (typeof value === 'string') return value;
  if (isFieldObject(value)) return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return null;
}

function labelIn(label: LabelValue | null, lang: string): string | null {
  if (label === null) return null;
  return typeof label === 'string' ? label : (label[lang] ?? null);
}

function defaultSettings(userTypeId: string, given: unknown): Record<string, unknown> {
  const settings = isFieldObject(given) ? given : {};
  // file 3.4: the proxy sets DEFAULT_VALUE/ROWS for strings; other keys per type are [UNCONFIRMED].
  if (userTypeId === 'string') return { DEFAULT_VALUE: '', ROWS: 1, ...settings };
  if (userTypeId === 'double') return { PRECISION: 2, ...settings };
  if (userTypeId === 'boolean') return { DISPLAY: 'CHECKBOX', ...settings };
  if (userTypeId === 'enumeration') return { DISPLAY: 'LIST', LIST_HEIGHT: 1, ...settings };
  return settings;
}

function enumItems(context: MethodContext, list: unknown): EnumItem[] {
  const items = Array.isArray(list) ? list : isFieldObject(list) ? Object.values(list) : [];
  return items.filter(isFieldObject).map((item, index) => ({
    ID: String(context.state.nextId('enum')),
    VALUE: String(item['VALUE'] ?? ''),
    SORT: String(item['SORT'] ?? (index + 1) * 10),
    DEF: yesNo(item['DEF'], 'N'),
    XML_ID: String(item['XML_ID'] ?? ''),
  }));
}

function addUserField(context: MethodContext, kind: CrmKind): number {
  const fields = looseParam(context.params, 'fields');
  if (!isFieldObject(fields)) throw legacyError("Parameter 'fields' must be array.");
  const rawName = fields['FIELD_NAME'];
  if (typeof rawName !== 'string' || rawName === '') throw legacyError("The 'FIELD_NAME' field is not found.");
  const userTypeId = fields['USER_TYPE_ID'];
  if (typeof userTypeId !== 'string' || userTypeId === '') throw legacyError("The 'USER_TYPE_ID' field is not found.");
  const fieldName = normaliseFieldName(rawName);
  if (fieldName.length > 50) throw new RestError(400, 'ERROR_CORE', 'Field name is too long (more than 50 characters).');
  if (!/^[A-Z0-9_]+$/.test(fieldName)) throw new RestError(400, 'ERROR_CORE', 'Field name contains invalid characters.');
  if (!userTypes.has(userTypeId)) throw new RestError(400, 'ERROR_CORE', 'Incorrect custom type specified.');
  const entityId = userFieldEntityIds[kind];
  if (context.state.userFieldsOf(context.portal.id, entityId).some((field) => field.fieldName === fieldName)) {
    throw new RestError(400, 'ERROR_CORE', context.options.duplicateUserFieldDescription);
  }
  const label = labelOf(fields['LABEL']);
  const labels = Object.fromEntries(labelKeys.map((key) => [key, labelOf(fields[key]) ?? (key.endsWith('_LABEL') ? label : null)])) as UserField['labels'];
  const field: UserField = {
    id: context.state.nextId('userField'),
    portalId: context.portal.id,
    entityId,
    fieldName,
    userTypeId,
    xmlId: typeof fields['XML_ID'] === 'string' ? fields['XML_ID'] : null,
    sort: Number.isFinite(Number(fields['SORT'])) && fields['SORT'] !== undefined ? Number(fields['SORT']) : 100,
    multiple: userTypeId === 'boolean' ? 'N' : yesNo(fields['MULTIPLE'], 'N'),
    mandatory: yesNo(fields['MANDATORY'], 'N'),
    showFilter: yesNo(fields['SHOW_FILTER'], 'N') === 'Y' ? 'E' : 'N',
    showInList: yesNo(fields['SHOW_IN_LIST'], 'Y'),
    editInList: yesNo(fields['EDIT_IN_LIST'], 'Y'),
    isSearchable: yesNo(fields['IS_SEARCHABLE'], 'N'),
    settings: defaultSettings(userTypeId, fields['SETTINGS']),
    labels,
    list: userTypeId === 'enumeration' ? enumItems(context, fields['LIST']) : null,
  };
  context.state.userFields.set(field.id, field);
  return field.id;
}

/** A user field as `userfield.list`/`get` show it; labels only for a language (file 3.4). */
export function renderUserField(field: UserField, lang: string | undefined): Record<string, unknown> {
  const row: Record<string, unknown> = {
    ID: String(field.id),
    ENTITY_ID: field.entityId,
    FIELD_NAME: field.fieldName,
    USER_TYPE_ID: field.userTypeId,
    XML_ID: field.xmlId,
    SORT: String(field.sort),
    MULTIPLE: field.multiple,
    MANDATORY: field.mandatory,
    SHOW_FILTER: field.showFilter,
    SHOW_IN_LIST: field.showInList,
    EDIT_IN_LIST: field.editInList,
    IS_SEARCHABLE: field.isSearchable,
    SETTINGS: field.settings,
  };
  if (lang !== undefined) for (const key of labelKeys) row[key] = labelIn(field.labels[key], lang);
  if (field.list) row['LIST'] = field.list.map((item) => ({ ...item }));
  return row;
}

/** A user field inside `crm.*.fields` (file 3.2). */
export function describeUserField(field: UserField, lang: string): Record<string, unknown> {
  const label = (key: (typeof labelKeys)[number]) => labelIn(field.labels[key], lang) ?? field.fieldName;
  return {
    type: field.userTypeId,
    isRequired: field.mandatory === 'Y',
    isReadOnly: false,
    isImmutable: false,
    isMultiple: field.multiple === 'Y',
    isDynamic: true,
    title: field.fieldName,
    listLabel: label('LIST_COLUMN_LABEL'),
    formLabel: label('EDIT_FORM_LABEL'),
    filterLabel: label('LIST_FILTER_LABEL'),
    settings: field.settings,
    ...(field.list ? { items: field.list.map((item) => ({ ID: item.ID, VALUE: item.VALUE })) } : {}),
  };
}

const filterable = new Set(['ID', 'FIELD_NAME', 'USER_TYPE_ID', 'XML_ID', 'SORT', 'MULTIPLE', 'MANDATORY', 'SHOW_FILTER', 'SHOW_IN_LIST', 'EDIT_IN_LIST', 'IS_SEARCHABLE']);

function listUserFields(context: MethodContext, kind: CrmKind): { result: unknown; total: number } {
  const filter = looseParam(context.params, 'filter');
  const conditions = isFieldObject(filter) ? filter : {};
  const lang = typeof conditions['LANG'] === 'string' ? conditions['LANG'] : undefined;
  const order = looseParam(context.params, 'order');
  const [orderKey, orderDirection] = Object.entries(isFieldObject(order) ? order : {})[0] ?? ['SORT', 'ASC'];
  const rows = context.state
    .userFieldsOf(context.portal.id, userFieldEntityIds[kind])
    .map((field) => renderUserField(field, lang))
    .filter((row) => Object.entries(conditions).every(([key, value]) => !filterable.has(key.toUpperCase()) || String(row[key.toUpperCase()]) === String(value)))
    .sort((left, right) => {
      const key = orderKey.toUpperCase();
      const numeric = key === 'ID' || key === 'SORT';
      const a = numeric ? Number(left[key]) : String(left[key]);
      const b = numeric ? Number(right[key]) : String(right[key]);
      const sign = String(orderDirection).toUpperCase() === 'DESC' ? -1 : 1;
      return a === b ? Number(left['ID']) - Number(right['ID']) : (a < b ? -1 : 1) * sign;
    });
  return { result: rows, total: rows.length };
}

function fieldOrThrow(context: MethodContext, kind: CrmKind): UserField {
  const field = context.state.userFields.get(idParam(context.params));
  if (!field || field.portalId !== context.portal.id || field.entityId !== userFieldEntityIds[kind]) throw legacyError('Not found');
  return field;
}

function userFieldMethods(kind: CrmKind): MethodTable {
  const prefix = `crm.${kind}.userfield`;
  return {
    [`${prefix}.add`]: { scope: 'crm', handler: (context) => ({ result: addUserField(context, kind) }) },
    [`${prefix}.list`]: { scope: 'crm', handler: (context) => listUserFields(context, kind) },
    [`${prefix}.get`]: { scope: 'crm', handler: (context) => ({ result: renderUserField(fieldOrThrow(context, kind), context.portal.languageId) }) },
    [`${prefix}.update`]: {
      scope: 'crm',
      handler(context) {
        const field = fieldOrThrow(context, kind);
        const fields = looseParam(context.params, 'fields');
        if (!isFieldObject(fields)) throw legacyError("Parameter 'fields' must be array.");
        if (fields['XML_ID'] !== undefined) field.xmlId = String(fields['XML_ID']);
        if (fields['SORT'] !== undefined && Number.isFinite(Number(fields['SORT']))) field.sort = Number(fields['SORT']);
        if (fields['MANDATORY'] !== undefined) field.mandatory = yesNo(fields['MANDATORY'], field.mandatory);
        if (fields['SHOW_FILTER'] !== undefined) field.showFilter = yesNo(fields['SHOW_FILTER'], 'N') === 'Y' ? 'E' : 'N';
        for (const key of labelKeys) if (fields[key] !== undefined) field.labels[key] = labelOf(fields[key]);
        if (fields['LABEL'] !== undefined) for (const key of labelKeys.slice(0, 3)) field.labels[key] = labelOf(fields['LABEL']);
        if (field.list && fields['LIST'] !== undefined) field.list = [...field.list, ...enumItems(context, fields['LIST'])];
        return { result: true };
      },
    },
    [`${prefix}.delete`]: {
      scope: 'crm',
      handler(context) {
        const field = fieldOrThrow(context, kind);
        context.state.userFields.delete(field.id);
        for (const record of context.state.recordsOf(context.portal.id, kind)) delete record.userFields[field.fieldName];
        return { result: true };
      },
    },
  };
}

export const userFieldMethodTable: MethodTable = { ...userFieldMethods('deal'), ...userFieldMethods('lead'), ...userFieldMethods('contact') };
