/**
 * Legacy CRM values (bitrix24.md 3.1): writes are cast to the field's type and stored as the API
 * shows them — strings (`"410"`, `"1000000.00"`, `"Y"`) or null; reads render datetimes as ISO 8601
 * with the portal's offset and date-only fields as a datetime whose date part is the stored date.
 */
import { isoWithOffset } from '../envelope.js';
import type { FieldDefinition } from './fields.js';
import { isIntegerType } from './fields.js';

/** A written value in stored form; `undefined` = not a usable value, dropped silently. */
export function internalize(field: FieldDefinition, value: unknown): string | number | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'object') return undefined;
  const text = String(value).trim();
  if (isIntegerType(field.type)) {
    const number = Number(text);
    return Number.isFinite(number) ? String(Math.trunc(number)) : undefined;
  }
  switch (field.type) {
    case 'double': {
      const number = Number(text);
      return Number.isFinite(number) ? number.toFixed(2) : undefined;
    }
    case 'char':
      if (value === true || text === '1' || text.toUpperCase() === 'Y') return 'Y';
      if (value === false || text === '0' || text.toUpperCase() === 'N') return 'N';
      return undefined;
    case 'date': {
      const date = /^(\d{4}-\d{2}-\d{2})/.exec(text)?.[1] ?? /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text)?.slice(1).reverse().join('-');
      return date && !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ? date : undefined;
    }
    case 'datetime': {
      const parsed = Date.parse(text);
      return Number.isNaN(parsed) ? undefined : parsed;
    }
    default:
      return String(value);
  }
}

/**
 * A date-only value as the docs show it: UTC midnight in the portal's offset for offsets east of
 * UTC (`2024-08-30T02:00:00+02:00`, file 3.1); west of UTC the time is 00:00 so the date part stays
 * the stored date (the exact rule is [UNCONFIRMED]).
 */
export function renderDate(date: string, offset: string): string {
  const east = /^\+(\d{2}):(\d{2})$/.exec(offset);
  return east ? `${date}T${east[1]}:${east[2]}:00${offset}` : `${date}T00:00:00${offset}`;
}

export function renderValue(field: FieldDefinition, stored: string | number | null | undefined, offset: string): string | null {
  if (stored === null || stored === undefined) return null;
  if (field.type === 'datetime' && typeof stored === 'number') return isoWithOffset(stored, offset);
  if (field.type === 'date' && typeof stored === 'string') return renderDate(stored, offset);
  return String(stored);
}

/** Comparable form of a stored or filter value: numbers for numeric and date fields. */
export function comparable(field: FieldDefinition | undefined, value: unknown): string | number | null {
  if (value === null || value === undefined || value === '') return null;
  if (!field) return String(value);
  if (isIntegerType(field.type) || field.type === 'double') {
    const number = Number(value);
    return Number.isFinite(number) ? number : String(value);
  }
  if (field.type === 'datetime' || field.type === 'date') {
    if (typeof value === 'number') return value;
    const text = String(value);
    const parsed = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
    return Number.isNaN(parsed) ? text : parsed;
  }
  return String(value);
}
