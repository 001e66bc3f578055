/**
 * Funnels and stages (bitrix24.md 3.5) and stage history (3.8): `crm.category.list`,
 * `crm.dealcategory.list|get|status|stage.list`, `crm.status.list`, `crm.status.entity.types`,
 * `crm.stagehistory.list`, and the CRM mode (3.6) `crm.settings.mode.get`.
 */
import { splitFilterKey, pageOf, startParam } from '../crm/listQuery.js';
import { isFieldObject, semanticLetter } from '../crm/records.js';
import { isoWithOffset, legacyError, RestError } from '../envelope.js';
import { dealStageEntityId } from '../portals.js';
import type { DealCategory, StageHistoryRow, StatusRow } from '../state.js';
import { anyCaseParam, idParam, looseParam, type MethodContext, type MethodTable } from './context.js';

function renderStatus(row: StatusRow): Record<string, unknown> {
  const letter = semanticLetter(row);
  return {
    ID: String(row.id),
    ENTITY_ID: row.entityId,
    STATUS_ID: row.statusId,
    NAME: row.name,
    NAME_INIT: row.system ? row.name : '',
    SORT: String(row.sort),
    SYSTEM: row.system ? 'Y' : 'N',
    CATEGORY_ID: row.categoryId === null ? null : String(row.categoryId),
    COLOR: row.color,
    SEMANTICS: letter === 'P' ? null : letter,
    EXTRA: { SEMANTICS: row.semantics, COLOR: row.color },
  };
}

function categoryRow(category: DealCategory, portalOffset: string): Record<string, unknown> {
  return { ID: String(category.id), CREATED_DATE: isoWithOffset(category.createdMs, portalOffset), NAME: category.name, IS_LOCKED: 'N', SORT: String(category.sort), ORIGIN_ID: '', ORIGINATOR_ID: '' };
}

function categoryOf(context: MethodContext, id: number): DealCategory | undefined {
  return context.state.categoriesOf(context.portal.id).find((category) => category.id === id);
}

function matches(row: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, wanted]) => {
    const { operator, name } = splitFilterKey(key.toUpperCase());
    const actual = row[name];
    const list = Array.isArray(wanted) ? wanted.map(String) : [String(wanted)];
    const found = list.includes(String(actual));
    return operator === '!' || operator === '!=' || operator === '!@' ? !found : found;
  });
}

const historyFilterFields: Record<1 | 2, string[]> = {
  1: ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'STATUS_ID', 'STATUS_SEMANTIC_ID'],
  2: ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'CATEGORY_ID', 'STAGE_ID', 'STAGE_SEMANTIC_ID'],
};

function renderHistory(row: StageHistoryRow, offset: string): Record<string, unknown> {
  const base = { ID: row.id, TYPE_ID: row.typeId, OWNER_ID: row.ownerId, CREATED_TIME: isoWithOffset(row.createdMs, offset) };
  return row.entityTypeId === 1
    ? { ...base, STATUS_ID: row.stageId, STATUS_SEMANTIC_ID: row.semanticId }
    : { ...base, CATEGORY_ID: row.categoryId, STAGE_SEMANTIC_ID: row.semanticId, STAGE_ID: row.stageId };
}

function compareHistory(operator: string, actual: unknown, wanted: unknown, name: string): boolean {
  const toComparable = (value: unknown) => (name === 'CREATED_TIME' ? Date.parse(String(value)) : typeof actual === 'number' ? Number(value) : String(value));
  const a = toComparable(actual);
  if (operator === '@' || operator === '!@' || Array.isArray(wanted)) {
    const found = (Array.isArray(wanted) ? wanted : [wanted]).some((item) => toComparable(item) === a);
    return operator.startsWith('!') ? !found : found;
  }
  const b = toComparable(wanted);
  switch (operator) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '!':
    case '!=':
      return a !== b;
    default:
      return a === b;
  }
}

function stageHistoryList(context: MethodContext): { result: unknown; next?: number; total: number } {
  const entityTypeId = Number(anyCaseParam(context.params, 'entityTypeId'));
  if (entityTypeId !== 1 && entityTypeId !== 2) {
    // file 3.8: ENTITY_TYPE_NOT_SUPPORTED; the description is [UNCONFIRMED].
    throw new RestError(400, 'ENTITY_TYPE_NOT_SUPPORTED', `Entity type ${String(anyCaseParam(context.params, 'entityTypeId'))} is not supported`);
  }
  const filter = looseParam(context.params, 'filter');
  const conditions = isFieldObject(filter) ? Object.entries(filter) : [];
  const allowed = historyFilterFields[entityTypeId];
  for (const [key] of conditions) {
    const { name } = splitFilterKey(key);
    if (!allowed.includes(name)) throw new RestError(400, 'INVALID_ARG_VALUE', `Invalid filter: field '${name}' is not allowed in filter`);
  }
  const offset = context.portal.timezoneOffset;
  let rows = context.state.stageHistory
    .filter((row) => row.portalId === context.portal.id && row.entityTypeId === entityTypeId)
    .map((row) => renderHistory(row, offset))
    .filter((row) => conditions.every(([key, wanted]) => {
      const { operator, name } = splitFilterKey(key);
      return compareHistory(operator, row[name], wanted, name);
    }));
  const order = looseParam(context.params, 'order');
  for (const [key, direction] of Object.entries(isFieldObject(order) ? order : {}).reverse()) {
    const sign = String(direction).toUpperCase() === 'DESC' ? -1 : 1;
    rows = [...rows].sort((left, right) => {
      const a = left[key.toUpperCase()] as string | number;
      const b = right[key.toUpperCase()] as string | number;
      return a === b ? 0 : (a < b ? -1 : 1) * sign;
    });
  }
  const select = looseParam(context.params, 'select');
  const names = Array.isArray(select) ? select.map((name) => String(name).toUpperCase()) : [];
  const page = pageOf(rows, startParam(context.params['start']), context.options);
  const items = names.length === 0 || names.includes('*') ? page.rows : page.rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => names.includes(key))));
  return { result: { items }, ...(page.next === undefined ? {} : { next: page.next }), total: page.total };
}

export const stageMethods: MethodTable = {
  'crm.category.list': {
    scope: 'crm',
    handler(context) {
      // Only deals have funnels here; other entity types answer an empty list. [UNCONFIRMED]
      const categories = Number(anyCaseParam(context.params, 'entityTypeId')) === 2 ? context.state.categoriesOf(context.portal.id) : [];
      const sorted = [...categories].sort((left, right) => left.sort - right.sort || left.id - right.id);
      return {
        result: {
          categories: sorted.map((category) => ({
            id: category.id,
            name: category.name,
            sort: category.sort,
            entityTypeId: 2,
            isDefault: category.id === 0 ? 'Y' : 'N',
            ...(category.id === 0 ? {} : { originId: '', originatorId: '' }),
          })),
        },
        total: sorted.length,
      };
    },
  },
  'crm.dealcategory.list': {
    scope: 'crm',
    handler(context) {
      const rows = context.state
        .categoriesOf(context.portal.id)
        .filter((category) => category.id !== 0 || context.options.dealCategoryListIncludesDefault)
        .map((category) => categoryRow(category, context.portal.timezoneOffset));
      const page = pageOf(rows, startParam(context.params['start']), context.options);
      return { result: page.rows, ...(page.next === undefined ? {} : { next: page.next }), total: page.total };
    },
  },
  'crm.dealcategory.get': {
    scope: 'crm',
    handler(context) {
      const category = categoryOf(context, idParam(context.params));
      if (!category || category.id === 0) throw legacyError('Not found');
      return { result: categoryRow(category, context.portal.timezoneOffset) };
    },
  },
  'crm.dealcategory.status': {
    scope: 'crm',
    handler(context) {
      const id = Math.trunc(Number(context.params['id'] ?? context.params['ID'] ?? 0));
      if (!categoryOf(context, id)) throw legacyError('Not found');
      return { result: dealStageEntityId(id) };
    },
  },
  'crm.dealcategory.stage.list': {
    scope: 'crm',
    handler(context) {
      const id = Math.trunc(Number(context.params['id'] ?? context.params['ID'] ?? 0));
      if (!categoryOf(context, id)) return { result: [] };
      const rows = context.state.statusesOf(context.portal.id, dealStageEntityId(id));
      return { result: rows.map((row) => ({ NAME: row.name, SORT: row.sort, STATUS_ID: row.statusId })) };
    },
  },
  'crm.status.list': {
    scope: 'crm',
    handler(context) {
      const filter = looseParam(context.params, 'filter');
      const order = looseParam(context.params, 'order');
      const [orderKey, direction] = Object.entries(isFieldObject(order) ? order : {})[0] ?? ['SORT', 'ASC'];
      const sign = String(direction).toUpperCase() === 'DESC' ? -1 : 1;
      const rows = context.state.statuses
        .filter((row) => row.portalId === context.portal.id)
        .map(renderStatus)
        .filter((row) => matches(row, isFieldObject(filter) ? filter : {}))
        .sort((left, right) => {
          const key = orderKey.toUpperCase();
          const numeric = key === 'SORT' || key === 'ID';
          const a = numeric ? Number(left[key]) : String(left[key]);
          const b = numeric ? Number(right[key]) : String(right[key]);
          return a === b ? Number(left['ID']) - Number(right['ID']) : (a < b ? -1 : 1) * sign;
        });
      return { result: rows, total: rows.length };
    },
  },
  'crm.status.entity.types': {
    scope: 'crm',
    handler(context) {
      const semanticInfo = (entityId: string) => {
        const rows = context.state.statusesOf(context.portal.id, entityId);
        return {
          START_FIELD: rows[0]?.statusId,
          FINAL_SUCCESS_FIELD: rows.find((row) => row.semantics === 'success')?.statusId,
          FINAL_UNSUCCESS_FIELD: rows.find((row) => row.semantics === 'failure')?.statusId,
        };
      };
      const deals = context.state.categoriesOf(context.portal.id).map((category) => ({
        ID: dealStageEntityId(category.id),
        NAME: category.id === 0 ? 'Deal stages' : `Deal stages (${category.name})`,
        PARENT_ID: category.id === 0 ? undefined : 'DEAL_STAGE',
        SEMANTIC_INFO: semanticInfo(dealStageEntityId(category.id)),
        ENTITY_TYPE_ID: 2,
        ...(category.id === 0 ? {} : { PREFIX: `C${category.id}`, CATEGORY_ID: category.id }),
      }));
      return {
        result: [
          { ID: 'STATUS', NAME: 'Lead status', SEMANTIC_INFO: semanticInfo('STATUS'), ENTITY_TYPE_ID: 1 },
          { ID: 'SOURCE', NAME: 'Sources' },
          { ID: 'CONTACT_TYPE', NAME: 'Contact type' },
          { ID: 'DEAL_TYPE', NAME: 'Deal type' },
          ...deals,
        ],
      };
    },
  },
  'crm.stagehistory.list': { scope: 'crm', handler: stageHistoryList },
  // file 3.6: 1 = Classic CRM (leads and deals), 2 = Simple CRM (deals only).
  'crm.settings.mode.get': { scope: 'crm', handler: (context) => ({ result: context.portal.crmMode }) },
};
