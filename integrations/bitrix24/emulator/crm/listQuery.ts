/**
 * Reading legacy CRM records (bitrix24.md 3.2, 3.6, 3.7): rendering with `select` masks, filters
 * whose operator is a key prefix, `order`, and the fixed 50-row pages with `next` and `total`.
 */
import { legacyError } from '../envelope.js';
import type { Bitrix24EmulatorOptions } from '../options.js';
import type { Bitrix24State, CrmRecord, MultiFieldKind, Portal, UserField } from '../state.js';
import { fieldsOf, multiFieldKinds, userFieldEntityIds, type FieldDefinition } from './fields.js';
import { isFieldObject, stageDictionary } from './records.js';
import { comparable, renderValue } from './values.js';

export const pageSize = 50;

function renderMulti(values: CrmRecord['multi'][MultiFieldKind], kind: MultiFieldKind): unknown[] {
  return values.map((entry) => ({ ID: String(entry.id), VALUE_TYPE: entry.valueType, VALUE: entry.value, TYPE_ID: kind }));
}

function standardValue(record: CrmRecord, field: FieldDefinition, portal: Portal, state: Bitrix24State): string | null {
  if (field.name === 'HAS_PHONE') return record.multi.PHONE.length > 0 ? 'Y' : 'N';
  if (field.name === 'HAS_EMAIL') return record.multi.EMAIL.length > 0 ? 'Y' : 'N';
  if (field.name === 'HAS_IMOL') return record.multi.IM.some((entry) => entry.valueType === 'IMOL') ? 'Y' : 'N';
  if (field.name === 'IS_NEW') {
    const first = state.statusesOf(portal.id, stageDictionary(record))[0];
    return record.values['STAGE_ID'] === first?.statusId ? 'Y' : 'N';
  }
  return renderValue(field, record.values[field.name], portal.timezoneOffset);
}

/**
 * One record as `get`/`list` show it. `select` undefined = `get` (all standard, user fields, and
 * non-empty multifields); otherwise the names and masks `*` / `UF_*` (file 3.2: multifields only
 * when named).
 */
export function renderRecord(state: Bitrix24State, portal: Portal, record: CrmRecord, select?: string[]): Record<string, unknown> {
  const all = select === undefined;
  const names = new Set(select ?? []);
  const star = all || names.has('*');
  const ufAll = all || names.has('UF_*');
  const out: Record<string, unknown> = {};
  for (const field of fieldsOf[record.kind]) {
    if (field.writeOnly) continue;
    if (field.type === 'crm_multifield') {
      const kind = field.name as MultiFieldKind;
      const values = record.multi[kind];
      if ((all && values.length > 0) || names.has(field.name)) {
        if (values.length > 0) out[field.name] = renderMulti(values, kind);
      }
      continue;
    }
    if (star || names.has(field.name)) out[field.name] = standardValue(record, field, portal, state);
  }
  for (const userField of state.userFieldsOf(portal.id, userFieldEntityIds[record.kind])) {
    if (!ufAll && !names.has(userField.fieldName)) continue;
    out[userField.fieldName] = record.userFields[userField.fieldName] ?? (userField.multiple === 'Y' ? [] : '');
  }
  return out;
}

const operators = ['!@', '!=', '!%', '>=', '<=', '=%', '%=', '!', '>', '<', '@', '=', '%'] as const;
type Operator = (typeof operators)[number];

export function splitFilterKey(key: string): { operator: Operator | ''; name: string } {
  const operator = operators.find((candidate) => key.startsWith(candidate));
  return operator ? { operator, name: key.slice(operator.length) } : { operator: '', name: key };
}

function likeToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${escaped}$`, 'is');
}

function digits(text: string): string {
  return text.replace(/\D/g, '');
}

function matchOne(operator: Operator | '', candidate: string | number | null, wanted: unknown, field: FieldDefinition | undefined): boolean {
  if (Array.isArray(wanted) && operator !== '@' && operator !== '!@') {
    const inList = wanted.some((item) => matchOne('=', candidate, item, field));
    return operator === '!' || operator === '!=' ? !inList : inList;
  }
  const target = comparable(field, wanted);
  switch (operator) {
    case '':
    case '=':
      return candidate === target;
    case '!':
    case '!=':
      return candidate !== target;
    case '>':
      return candidate !== null && target !== null && candidate > target;
    case '>=':
      return candidate !== null && target !== null && candidate >= target;
    case '<':
      return candidate !== null && target !== null && candidate < target;
    case '<=':
      return candidate !== null && target !== null && candidate <= target;
    case '@':
    case '!@': {
      const list = Array.isArray(wanted) ? wanted : isFieldObject(wanted) ? Object.values(wanted) : String(wanted).split(',');
      const found = list.some((item) => candidate === comparable(field, item));
      return operator === '@' ? found : !found;
    }
    case '%':
      return candidate !== null && String(candidate).toLowerCase().includes(String(wanted).toLowerCase());
    case '!%':
      return candidate === null || !String(candidate).toLowerCase().includes(String(wanted).toLowerCase());
    case '=%':
    case '%=':
      return candidate !== null && likeToRegExp(String(wanted)).test(String(candidate));
  }
}

export interface ListContext {
  state: Bitrix24State;
  portal: Portal;
  options: Bitrix24EmulatorOptions;
}

function filterPredicate(context: ListContext, kind: CrmRecord['kind'], filter: Record<string, unknown>): (record: CrmRecord) => boolean {
  const userFields = new Map<string, UserField>(context.state.userFieldsOf(context.portal.id, userFieldEntityIds[kind]).map((field) => [field.fieldName, field]));
  const checks = Object.entries(filter).map(([key, wanted]) => {
    const { operator, name } = splitFilterKey(key);
    if (kind !== 'deal' && (multiFieldKinds as string[]).includes(name)) {
      const normalise = context.options.multifieldFilter === 'digits' && name === 'PHONE' ? digits : (text: string) => text.toLowerCase();
      return (record: CrmRecord) => {
        const values = record.multi[name as MultiFieldKind].map((entry) => normalise(entry.value));
        const found = values.includes(normalise(String(wanted)));
        return operator === '!' || operator === '!=' ? !found : found;
      };
    }
    const field = fieldsOf[kind].find((candidate) => candidate.name === name && !candidate.writeOnly);
    if (field) return (record: CrmRecord) => matchOne(operator, comparable(field, record.values[name]), wanted, field);
    if (userFields.has(name)) return (record: CrmRecord) => matchOne(operator, comparable(undefined, record.userFields[name]), wanted, undefined);
    // Unknown filter keys are ignored. [UNCONFIRMED]
    return () => true;
  });
  return (record) => checks.every((check) => check(record));
}

function orderComparator(context: ListContext, kind: CrmRecord['kind'], order: Record<string, unknown>): (left: CrmRecord, right: CrmRecord) => number {
  const keys = Object.entries(order).map(([name, direction]) => ({ name: name.toUpperCase(), sign: String(direction).toUpperCase() === 'DESC' ? -1 : 1 }));
  const stageSort = (record: CrmRecord) => context.state.statusesOf(context.portal.id, stageDictionary(record)).find((row) => row.statusId === record.values['STAGE_ID'])?.sort ?? 0;
  return (left, right) => {
    for (const { name, sign } of keys) {
      const field = fieldsOf[kind].find((candidate) => candidate.name === name);
      // file 3.2: ordering by STAGE_ID sorts by the stage's sort order.
      const a = name === 'STAGE_ID' ? stageSort(left) : comparable(field, left.values[name]);
      const b = name === 'STAGE_ID' ? stageSort(right) : comparable(field, right.values[name]);
      if (a === b) continue;
      if (a === null) return -sign;
      if (b === null) return sign;
      return (a < b ? -1 : 1) * sign;
    }
    return left.id - right.id;
  };
}

/** Reads `filter`/`order` params the way the legacy proxy does (file 3.1): objects or an error. */
export function objectParam(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined || value === null || value === '') return {};
  if (Array.isArray(value) && value.length === 0) return {};
  if (!isFieldObject(value)) throw legacyError(`Parameter '${name}' must be array.`);
  return value;
}

export function selectParam(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = Array.isArray(value) ? value : isFieldObject(value) ? Object.values(value) : [value];
  const names = list.filter((item): item is string => typeof item === 'string').map((item) => item.toUpperCase());
  return names.length === 0 ? undefined : names;
}

export interface Page<T> {
  rows: T[];
  next?: number;
  total: number;
}

/**
 * file 3.2 paging: page = floor(start/50)+1, `next` = page*50 only when more rows exist, `total` on
 * every call with start >= 0; start=-1 skips the count (total 0, no next); an out-of-range start
 * gives page 1 (option `outOfRangeStart`).
 */
export function pageOf<T>(rows: T[], start: number, options: Bitrix24EmulatorOptions): Page<T> {
  if (start === -1) return { rows: rows.slice(0, pageSize), total: 0 };
  let page = Math.floor(Math.max(0, start) / pageSize) + 1;
  if ((page - 1) * pageSize >= rows.length && page > 1) {
    if (options.outOfRangeStart === 'empty') return { rows: [], total: rows.length };
    page = 1;
  }
  const offset = (page - 1) * pageSize;
  const pageRows = rows.slice(offset, offset + pageSize);
  return { rows: pageRows, total: rows.length, ...(rows.length > offset + pageSize ? { next: page * pageSize } : {}) };
}

export function startParam(value: unknown): number {
  const number = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(number)) return 0;
  return Math.trunc(number) < 0 ? -1 : Math.trunc(number);
}

export function listRecords(context: ListContext, kind: CrmRecord['kind'], params: { filter: Record<string, unknown>; order: Record<string, unknown> }): CrmRecord[] {
  return context.state
    .recordsOf(context.portal.id, kind)
    .filter(filterPredicate(context, kind, params.filter))
    .sort(orderComparator(context, kind, params.order));
}
