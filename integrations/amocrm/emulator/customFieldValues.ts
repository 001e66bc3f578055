/**
 * `custom_fields_values` on leads (amocrm.md 2.3, 2.7): written by `field_id` or `field_code`,
 * checked against the field's type, returned with field name, code and type, `null` when empty.
 */
import type { ValidationError } from './responses.js';
import type { CustomField, EmulatorState, StoredCustomFieldValues, StoredFieldValue } from './state.js';

const textLikeTypes = new Set(['text', 'textarea', 'tracking_data', 'url', 'streetaddress', 'price', 'monetary']);
const enumTypes = new Set(['select', 'multiselect', 'radiobutton']);
const dateTypes = new Set(['date', 'date_time', 'birthday']);

export interface ParsedFieldValues {
  updates: StoredCustomFieldValues[];
  errors: ValidationError[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findField(state: EmulatorState, accountId: number, item: Record<string, unknown>, entityType: CustomField['entityType']): CustomField | undefined {
  const fields = state.customFieldsOf(accountId, entityType);
  if ('field_id' in item) return fields.find((field) => field.id === item['field_id']);
  return fields.find((field) => field.code !== null && field.code === item['field_code']);
}

/** Returns the stored value, or the validation error code for it. */
function storedValue(field: CustomField, raw: Record<string, unknown>): StoredFieldValue | 'InvalidType' | 'NotSupportedChoice' {
  const value = raw['value'];
  if (textLikeTypes.has(field.type)) {
    return typeof value === 'string' || typeof value === 'number' ? { value: String(value) } : 'InvalidType';
  }
  if (field.type === 'multitext') {
    // PHONE/EMAIL values carry a type: `enum_id` or `enum_code`, the first type when neither (amocrm.md 2.5).
    if (typeof value !== 'string' && typeof value !== 'number') return 'InvalidType';
    const choice =
      'enum_id' in raw ? field.enums?.find((option) => option.id === raw['enum_id'])
      : 'enum_code' in raw ? field.enums?.find((option) => option.code === raw['enum_code'] || option.value === raw['enum_code'])
      : field.enums?.[0];
    if (!choice) return 'NotSupportedChoice';
    return { value: String(value), enumId: choice.id, enumCode: choice.code ?? choice.value };
  }
  if (field.type === 'numeric') {
    const isNumeric = typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)));
    return isNumeric ? { value: String(value) } : 'InvalidType';
  }
  if (field.type === 'checkbox') return typeof value === 'boolean' ? { value } : 'InvalidType';
  if (dateTypes.has(field.type)) {
    if (typeof value === 'number' && Number.isInteger(value)) return { value };
    const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    return Number.isNaN(parsed) ? 'InvalidType' : { value: Math.floor(parsed / 1000) };
  }
  if (enumTypes.has(field.type)) {
    const choice = field.enums?.find((option) => ('enum_id' in raw ? option.id === raw['enum_id'] : option.value === value));
    return choice ? { value: choice.value, enumId: choice.id, enumCode: choice.code } : 'NotSupportedChoice';
  }
  return { value };
}

export function parseCustomFieldsValues(state: EmulatorState, accountId: number, input: unknown, entityType: CustomField['entityType'] = 'leads'): ParsedFieldValues {
  const updates: StoredCustomFieldValues[] = [];
  const errors: ValidationError[] = [];
  if (input === null || input === undefined) return { updates, errors };
  if (!Array.isArray(input)) {
    return { updates, errors: [{ code: 'InvalidType', path: 'custom_fields_values', detail: 'This value should be of type array.' }] };
  }
  input.forEach((item: unknown, index) => {
    const path = `custom_fields_values.${index}`;
    if (!isRecord(item)) {
      errors.push({ code: 'InvalidType', path, detail: 'This value should be of type object.' });
      return;
    }
    if (!('field_id' in item) && !('field_code' in item)) {
      errors.push({ code: 'NotBlank', path: `${path}.field_id`, detail: 'This value should not be blank.' });
      return;
    }
    const field = findField(state, accountId, item, entityType);
    if (!field) {
      const key = 'field_id' in item ? 'field_id' : 'field_code';
      errors.push({ code: 'NotSupportedChoice', path: `${path}.${key}`, detail: 'The value you selected is not a valid choice.' });
      return;
    }
    const rawValues = item['values'];
    // [UNCONFIRMED] `values: null` or `[]` clears the field (amocrm.md 2.7).
    if (rawValues === null || (Array.isArray(rawValues) && rawValues.length === 0)) {
      updates.push({ fieldId: field.id, values: [] });
      return;
    }
    if (!Array.isArray(rawValues)) {
      errors.push({ code: 'InvalidType', path: `${path}.values`, detail: 'This value should be of type array.' });
      return;
    }
    const values: StoredFieldValue[] = [];
    rawValues.forEach((rawValue: unknown, valueIndex) => {
      const valuePath = `${path}.values.${valueIndex}`;
      const result = isRecord(rawValue) ? storedValue(field, rawValue) : 'InvalidType';
      if (result === 'InvalidType') errors.push({ code: 'InvalidType', path: `${valuePath}.value`, detail: 'This value has an invalid type.' });
      else if (result === 'NotSupportedChoice') errors.push({ code: 'NotSupportedChoice', path: `${valuePath}.enum_id`, detail: 'The value you selected is not a valid choice.' });
      else values.push(result);
    });
    updates.push({ fieldId: field.id, values });
  });
  return { updates, errors };
}

/** Written fields replace their previous values; fields not mentioned keep theirs. */
export function applyCustomFieldValues(lead: { customFieldsValues: StoredCustomFieldValues[] }, updates: StoredCustomFieldValues[]): void {
  for (const update of updates) {
    lead.customFieldsValues = lead.customFieldsValues.filter((existing) => existing.fieldId !== update.fieldId);
    if (update.values.length > 0) lead.customFieldsValues.push(update);
  }
}

export function renderCustomFieldsValues(state: EmulatorState, lead: { customFieldsValues: StoredCustomFieldValues[] }): unknown[] | null {
  if (lead.customFieldsValues.length === 0) return null;
  return lead.customFieldsValues.map((entry) => {
    const field = state.customFields.get(entry.fieldId);
    return {
      field_id: entry.fieldId,
      field_name: field?.name ?? null,
      field_code: field?.code ?? null,
      field_type: field?.type ?? null,
      values: entry.values.map((stored) =>
        stored.enumId === undefined ? { value: stored.value } : { value: stored.value, enum_id: stored.enumId, enum_code: stored.enumCode ?? null },
      ),
    };
  });
}
