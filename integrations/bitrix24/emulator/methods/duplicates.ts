/**
 * `crm.duplicate.findbycomm` (bitrix24.md 3.7, "the dedicated lookup"): ids of leads, contacts (and
 * companies, which the emulator has none of) holding any of up to 20 phones or e-mails.
 * `{type: "PHONE"|"EMAIL", values: [...], entity_type?: "LEAD"|"CONTACT"|"COMPANY"}` ->
 * `{"CONTACT": [12, 15], "LEAD": [3]}` (integer ids, oldest first), or `[]` — PHP's empty array —
 * when nothing matches. Phones are compared by their digits, e-mails case-insensitively.
 * [UNCONFIRMED: the error texts, the 20-value limit's wording, and how the real index normalises
 * phones (a leading 8 vs 7 is not treated as the same number here)]
 */
import { isFieldObject } from '../crm/records.js';
import { legacyError } from '../envelope.js';
import type { CrmKind } from '../state.js';
import { looseParam, type MethodTable } from './context.js';

/** Values per call (the documented limit of the method). */
export const maxDuplicateValues = 20;

const entityKinds: Record<string, CrmKind | undefined> = { LEAD: 'lead', CONTACT: 'contact', COMPANY: undefined };

const digits = (text: string) => text.replace(/\D/g, '');

function valuesOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : isFieldObject(value) ? Object.values(value) : typeof value === 'string' ? [value] : [];
  return list.filter((item): item is string | number => typeof item === 'string' || typeof item === 'number').map(String);
}

export const duplicateMethods: MethodTable = {
  'crm.duplicate.findbycomm': {
    scope: 'crm',
    handler(context) {
      const type = String(looseParam(context.params, 'type') ?? '').toUpperCase();
      if (type !== 'PHONE' && type !== 'EMAIL') throw legacyError("Parameter 'TYPE' is not defined or invalid. Allowed values: EMAIL, PHONE.");
      const values = valuesOf(looseParam(context.params, 'values'));
      if (values.length === 0) throw legacyError("Parameter 'VALUES' is not defined.");
      if (values.length > maxDuplicateValues) throw legacyError(`Too many values: ${values.length}. The maximum is ${maxDuplicateValues}.`);
      const entityParam = looseParam(context.params, 'entity_type');
      const entityType = entityParam === undefined || entityParam === '' ? undefined : String(entityParam).toUpperCase();
      if (entityType !== undefined && !(entityType in entityKinds)) throw legacyError(`Entity type '${entityType}' is not supported.`);
      const normalise = type === 'PHONE' ? digits : (text: string) => text.trim().toLowerCase();
      const wanted = new Set(values.map(normalise).filter((value) => value !== ''));
      const result: Record<string, number[]> = {};
      for (const [name, kind] of Object.entries(entityKinds)) {
        if (!kind || (entityType !== undefined && entityType !== name)) continue;
        const ids = context.state
          .recordsOf(context.portal.id, kind)
          .filter((record) => record.multi[type].some((entry) => wanted.has(normalise(entry.value))))
          .map((record) => record.id)
          .sort((a, b) => a - b);
        if (ids.length > 0) result[name] = ids;
      }
      return { result: Object.keys(result).length > 0 ? result : [] };
    },
  },
};
