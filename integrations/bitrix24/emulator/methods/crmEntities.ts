/**
 * `crm.deal.*`, `crm.lead.*`, `crm.contact.*` (bitrix24.md 3.1-3.7): get, list, add, update,
 * delete and fields, with the legacy conventions (string values, 50-row pages, dropped fields).
 */
import { fieldsOf, userFieldEntityIds } from '../crm/fields.js';
import { listRecords, objectParam, pageOf, renderRecord, selectParam, startParam } from '../crm/listQuery.js';
import { addRecord, deleteRecord, isFieldObject, recordOrThrow, updateRecord } from '../crm/records.js';
import { legacyError } from '../envelope.js';
import type { CrmKind } from '../state.js';
import { idParam, looseParam, type MethodContext, type MethodTable } from './context.js';
import { describeUserField } from './userFields.js';

function fieldsParam(params: Record<string, unknown>): Record<string, unknown> {
  const fields = looseParam(params, 'fields');
  if (!isFieldObject(fields)) throw legacyError("Parameter 'fields' must be array.");
  return fields;
}

function fieldsDescription(context: MethodContext, kind: CrmKind): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of fieldsOf[kind]) {
    result[field.name] = {
      type: field.type,
      isRequired: false,
      isReadOnly: field.readOnly === true,
      isImmutable: field.immutable === true,
      isMultiple: field.multiple === true,
      isDynamic: false,
      ...(field.deprecated ? { isDeprecated: true } : {}),
      ...(field.statusType ? { statusType: kind === 'deal' && field.name === 'STAGE_ID' ? 'DEAL_STAGE' : field.statusType } : {}),
      title: field.title,
    };
  }
  for (const userField of context.state.userFieldsOf(context.portal.id, userFieldEntityIds[kind])) {
    result[userField.fieldName] = describeUserField(userField, context.portal.languageId);
  }
  return result;
}

function entityMethods(kind: CrmKind): MethodTable {
  const prefix = `crm.${kind}`;
  return {
    [`${prefix}.fields`]: { scope: 'crm', handler: (context) => ({ result: fieldsDescription(context, kind) }) },
    [`${prefix}.get`]: {
      scope: 'crm',
      handler: (context) => ({ result: renderRecord(context.state, context.portal, recordOrThrow(context, kind, idParam(context.params))) }),
    },
    [`${prefix}.list`]: {
      scope: 'crm',
      handler(context) {
        const filter = objectParam(looseParam(context.params, 'filter'), 'filter');
        const order = objectParam(looseParam(context.params, 'order'), 'order');
        const select = selectParam(looseParam(context.params, 'select')) ?? ['*', 'UF_*'];
        const rows = listRecords(context, kind, { filter, order });
        const page = pageOf(rows, startParam(context.params['start']), context.options);
        return {
          result: page.rows.map((record) => renderRecord(context.state, context.portal, record, select)),
          ...(page.next === undefined ? {} : { next: page.next }),
          total: page.total,
        };
      },
    },
    [`${prefix}.add`]: { scope: 'crm', handler: (context) => ({ result: addRecord(context.crm, kind, fieldsParam(context.params)).id }) },
    [`${prefix}.update`]: {
      scope: 'crm',
      handler(context) {
        const id = idParam(context.params);
        updateRecord(context.crm, kind, id, fieldsParam(context.params));
        return { result: true };
      },
    },
    [`${prefix}.delete`]: {
      scope: 'crm',
      handler(context) {
        deleteRecord(context.crm, kind, idParam(context.params));
        return { result: true };
      },
    },
  };
}

export const crmEntityMethods: MethodTable = { ...entityMethods('deal'), ...entityMethods('lead'), ...entityMethods('contact') };
