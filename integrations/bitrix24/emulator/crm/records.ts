/**
 * Adding, updating and deleting deals, leads and contacts — by REST or by a manager helper — with
 * the legacy rules of bitrix24.md 3.1-3.7: unknown, read-only and (on update) immutable fields
 * dropped silently, add defaults, stage semantics and history, multifield edit semantics, user-field
 * values, and the ONCRM* event of the change (file 2.4) for every write, the app's own included.
 */
import type { EmulatorClock } from '../../../amocrm/emulator/clock.js';
import { legacyError } from '../envelope.js';
import type { PhpInput } from '../phpQuery.js';
import { dealStageEntityId } from '../portals.js';
import type { Bitrix24State, CrmKind, CrmRecord, MultiFieldKind, MultiValue, Portal, StatusRow } from '../state.js';
import { entityTypeIds, fieldsOf, multiFieldKinds, multiValueTypes, userFieldEntityIds } from './fields.js';
import { internalize } from './values.js';

export interface Actor {
  userId: number;
  /** A change by an automation rule or agent: its events carry no tokens (file 2.3). */
  automation: boolean;
}

export type EmitEvent = (portal: Portal, event: string, data: { [key: string]: PhpInput }, actor: Actor) => void;

export interface CrmContext {
  state: Bitrix24State;
  clock: EmulatorClock;
  portal: Portal;
  actor: Actor;
  emit: EmitEvent;
  /** How long after `MOVED_TIME` the stage-history row of the same change is stamped (options.stageHistoryLagMs). */
  historyLagMs?: number;
  /** Links a Sales Intelligence trace given as `TRACE` on add (file 3.10). */
  addTrace?: (trace: string, entities: Array<{ TYPE: string; ID: number }>) => void;
}

const eventStem: Record<CrmKind, string> = { deal: 'ONCRMDEAL', lead: 'ONCRMLEAD', contact: 'ONCRMCONTACT' };

export function isFieldObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `fields` may come as an array (JSON) or an object with numeric keys (form bodies). */
function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isFieldObject(value)) return Object.values(value);
  return [];
}

/** The stage dictionary a record's stage belongs to. */
export function stageDictionary(record: Pick<CrmRecord, 'kind' | 'values'>): string {
  return record.kind === 'lead' ? 'STATUS' : dealStageEntityId(Number(record.values['CATEGORY_ID'] ?? 0));
}

export function semanticLetter(row: StatusRow | undefined): 'P' | 'S' | 'F' {
  if (row?.semantics === 'success') return 'S';
  if (row?.semantics === 'failure' || row?.semantics === 'apology') return 'F';
  return 'P';
}

function stageField(kind: CrmKind): 'STAGE_ID' | 'STATUS_ID' {
  return kind === 'lead' ? 'STATUS_ID' : 'STAGE_ID';
}

function recordHistory(context: CrmContext, record: CrmRecord, typeId: 1 | 2 | 3 | 5, row: StatusRow | undefined): void {
  if (record.kind === 'contact') return;
  context.state.stageHistory.push({
    id: context.state.nextId('stageHistory'),
    portalId: context.portal.id,
    entityTypeId: entityTypeIds[record.kind] as 1 | 2,
    typeId,
    ownerId: record.id,
    createdMs: context.clock.now() + (context.historyLagMs ?? 0),
    categoryId: Number(record.values['CATEGORY_ID'] ?? 0),
    stageId: String(record.values[stageField(record.kind)]),
    semanticId: semanticLetter(row),
  });
}

/** Sets stage fields after a stage is chosen: semantics, closed flags, moved time (file 3.2, 3.5). */
function applyStage(context: CrmContext, record: CrmRecord, row: StatusRow | undefined): void {
  const semantic = semanticLetter(row);
  const now = context.clock.now();
  if (record.kind === 'deal') {
    record.values['STAGE_SEMANTIC_ID'] = semantic;
    record.values['CLOSED'] = semantic === 'P' ? 'N' : 'Y';
  } else {
    record.values['STATUS_SEMANTIC_ID'] = semantic;
    record.values['DATE_CLOSED'] = semantic === 'P' ? null : now;
  }
  record.values['MOVED_TIME'] = now;
  record.values['MOVED_BY_ID'] = String(context.actor.userId);
}

function writeMultiFields(context: CrmContext, record: CrmRecord, kind: MultiFieldKind, input: unknown, isUpdate: boolean): void {
  const values = record.multi[kind];
  const types = multiValueTypes[kind];
  for (const item of listOf(input)) {
    if (!isFieldObject(item)) continue;
    const id = Number(item['ID']);
    const value = item['VALUE'];
    const valueType = typeof item['VALUE_TYPE'] === 'string' && types.includes(item['VALUE_TYPE']) ? item['VALUE_TYPE'] : undefined;
    const existingIndex = isUpdate && Number.isInteger(id) && id > 0 ? values.findIndex((entry) => entry.id === id) : -1;
    if (existingIndex >= 0) {
      // file 3.7: `DELETE: "Y"`, an empty VALUE or a bare ID delete; a new VALUE edits.
      const entry = values[existingIndex] as MultiValue;
      if (item['DELETE'] === 'Y' || value === '' || value === undefined || value === null) values.splice(existingIndex, 1);
      else {
        entry.value = String(value);
        if (valueType) entry.valueType = valueType;
      }
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    if (String(value).trim() === '') continue;
    values.push({ id: context.state.nextId('multi'), valueType: valueType ?? (types[0] as string), value: String(value) });
  }
}

function writeUserFields(context: CrmContext, record: CrmRecord, fields: Record<string, unknown>): void {
  const userFields = context.state.userFieldsOf(context.portal.id, userFieldEntityIds[record.kind]);
  for (const field of userFields) {
    if (!(field.fieldName in fields)) continue;
    const value = fields[field.fieldName];
    if (field.multiple === 'Y') {
      record.userFields[field.fieldName] = listOf(value ?? []).filter((item) => typeof item !== 'object').map((item) => String(item));
    } else if (value === null || value === undefined) {
      record.userFields[field.fieldName] = '';
    } else if (typeof value !== 'object') {
      record.userFields[field.fieldName] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    }
  }
}

/** Standard writable fields of `fields`, cast; unknown, read-only and unusable values dropped. */
function writableValues(kind: CrmKind, fields: Record<string, unknown>, isUpdate: boolean): Record<string, string | number | null> {
  const values: Record<string, string | number | null> = {};
  for (const field of fieldsOf[kind]) {
    if (!(field.name in fields) || field.readOnly || field.writeOnly || field.type === 'crm_multifield') continue;
    if (isUpdate && field.immutable) continue;
    const value = internalize(field, fields[field.name]);
    if (value !== undefined) values[field.name] = value;
  }
  return values;
}

function findStage(context: CrmContext, dictionary: string, statusId: unknown): StatusRow | undefined {
  return context.state.statusesOf(context.portal.id, dictionary).find((row) => row.statusId === statusId);
}

function today(context: CrmContext, plusDays = 0): string {
  return new Date(context.clock.now() + plusDays * 86_400_000).toISOString().slice(0, 10);
}

function firstOf(context: CrmContext, dictionary: string): string | null {
  return context.state.statusesOf(context.portal.id, dictionary)[0]?.statusId ?? null;
}

/** `crm.{kind}.add`: returns the new record (file 3.2 defaults, 3.6, 3.7). */
export function addRecord(context: CrmContext, kind: CrmKind, fields: Record<string, unknown>): CrmRecord {
  const { state, portal, actor } = context;
  const values = writableValues(kind, fields, false);
  const id = state.nextId(kind);
  const now = context.clock.now();
  const categoryId = kind === 'deal' ? Number(values['CATEGORY_ID'] ?? 0) : 0;
  if (kind === 'deal' && !state.categoriesOf(portal.id).some((category) => category.id === categoryId)) {
    // The text is [UNCONFIRMED]; file 3.2 only says CATEGORY_ID must name a funnel (>= 0).
    throw legacyError('Category not found');
  }
  const record: CrmRecord = { id, portalId: portal.id, kind, values: {}, multi: { PHONE: [], EMAIL: [], WEB: [], IM: [] }, userFields: {} };
  const defaults: Record<string, string | number | null> = {
    OPENED: 'Y',
    ASSIGNED_BY_ID: String(actor.userId),
    CREATED_BY_ID: String(actor.userId),
    MODIFY_BY_ID: String(actor.userId),
    DATE_CREATE: now,
    DATE_MODIFY: now,
    SOURCE_ID: firstOf(context, 'SOURCE'),
  };
  if (kind === 'deal') {
    Object.assign(defaults, {
      TITLE: `Deal #${id}`,
      CATEGORY_ID: String(categoryId),
      TYPE_ID: firstOf(context, 'DEAL_TYPE'),
      OPPORTUNITY: '0.00',
      CURRENCY_ID: portal.currency,
      IS_MANUAL_OPPORTUNITY: 'N',
      TAX_VALUE: '0.00',
      IS_RECURRING: 'N',
      IS_RETURN_CUSTOMER: 'N',
      IS_REPEATED_APPROACH: 'N',
      BEGINDATE: today(context),
      CLOSEDATE: today(context, 7),
    });
  }
  if (kind === 'lead') {
    // [UNCONFIRMED] lead title default; file 3.2 gives `Deal #{id}` for deals only.
    Object.assign(defaults, { TITLE: `Lead #${id}`, OPPORTUNITY: '0.00', CURRENCY_ID: portal.currency, IS_MANUAL_OPPORTUNITY: 'N' });
  }
  if (kind === 'contact') Object.assign(defaults, { TYPE_ID: firstOf(context, 'CONTACT_TYPE'), EXPORT: 'Y' });
  record.values = { ...defaults, ...values, ID: String(id) };
  if (kind === 'deal') record.values['CATEGORY_ID'] = String(categoryId);
  if (kind === 'lead') record.values['IS_RETURN_CUSTOMER'] = values['COMPANY_ID'] || values['CONTACT_ID'] ? 'Y' : 'N';
  if (kind !== 'contact') {
    const dictionary = stageDictionary(record);
    const field = stageField(kind);
    const row = findStage(context, dictionary, record.values[field]) ?? state.statusesOf(portal.id, dictionary)[0];
    record.values[field] = row?.statusId ?? null;
    applyStage(context, record, row);
    if (kind === 'deal' && Array.isArray(fields['CONTACT_IDS']) && !values['CONTACT_ID']) {
      record.values['CONTACT_ID'] = internalize({ name: 'CONTACT_ID', type: 'crm_contact', title: '' }, fields['CONTACT_IDS'][0]) ?? null;
    }
  }
  for (const multiKind of multiFieldKinds) if (kind !== 'deal' && multiKind in fields) writeMultiFields(context, record, multiKind, fields[multiKind], false);
  writeUserFields(context, record, fields);
  state.records.set(`${kind}:${id}`, record);
  recordHistory(context, record, 1, kind === 'contact' ? undefined : findStage(context, stageDictionary(record), record.values[stageField(kind)]));
  if (typeof fields['TRACE'] === 'string' && context.addTrace) context.addTrace(fields['TRACE'], [{ TYPE: kind.toUpperCase(), ID: id }]);
  context.emit(portal, `${eventStem[kind]}ADD`, { FIELDS: { ID: String(id) } }, actor);
  return record;
}

export function recordOrThrow(context: Pick<CrmContext, 'state' | 'portal'>, kind: CrmKind, id: number): CrmRecord {
  const record = context.state.record(kind, id);
  if (!record || record.portalId !== context.portal.id) throw legacyError('Not found');
  return record;
}

/** `crm.{kind}.update`: only passed fields change; an event fires for every saved update (file 2.4). */
export function updateRecord(context: CrmContext, kind: CrmKind, id: number, fields: Record<string, unknown>): CrmRecord {
  const record = recordOrThrow(context, kind, id);
  const values = writableValues(kind, fields, true);
  const field = stageField(kind);
  const stageChange = kind !== 'contact' && field in values ? findStage(context, stageDictionary(record), values[field]) : undefined;
  delete values[field];
  Object.assign(record.values, values);
  if (kind === 'lead' && ('COMPANY_ID' in values || 'CONTACT_ID' in values)) {
    record.values['IS_RETURN_CUSTOMER'] = record.values['COMPANY_ID'] || record.values['CONTACT_ID'] ? 'Y' : 'N';
  }
  if (stageChange && stageChange.statusId !== record.values[field]) {
    record.values[field] = stageChange.statusId;
    applyStage(context, record, stageChange);
    recordHistory(context, record, semanticLetter(stageChange) === 'P' ? 2 : 3, stageChange);
  }
  for (const multiKind of multiFieldKinds) if (kind !== 'deal' && multiKind in fields) writeMultiFields(context, record, multiKind, fields[multiKind], true);
  writeUserFields(context, record, fields);
  record.values['DATE_MODIFY'] = context.clock.now();
  record.values['MODIFY_BY_ID'] = String(context.actor.userId);
  context.emit(context.portal, `${eventStem[kind]}UPDATE`, { FIELDS: { ID: String(id) } }, context.actor);
  return record;
}

export function deleteRecord(context: CrmContext, kind: CrmKind, id: number): void {
  recordOrThrow(context, kind, id);
  context.state.records.delete(`${kind}:${id}`);
  context.emit(context.portal, `${eventStem[kind]}DELETE`, { FIELDS: { ID: String(id) } }, context.actor);
}

/**
 * Moves a deal to another funnel's first stage (what `crm.item.update` with `categoryId` or the UI
 * does): history row type 5 and ONCRMDEALMOVETOCATEGORY with the new funnel and stage (file 2.4, 3.8).
 */
export function moveDealToCategory(context: CrmContext, id: number, categoryId: number, stageId?: string): CrmRecord {
  const record = recordOrThrow(context, 'deal', id);
  if (!context.state.categoriesOf(context.portal.id).some((category) => category.id === categoryId)) throw legacyError('Category not found');
  record.values['CATEGORY_ID'] = String(categoryId);
  const dictionary = stageDictionary(record);
  const row = findStage(context, dictionary, stageId) ?? context.state.statusesOf(context.portal.id, dictionary)[0];
  record.values['STAGE_ID'] = row?.statusId ?? null;
  applyStage(context, record, row);
  recordHistory(context, record, 5, row);
  record.values['DATE_MODIFY'] = context.clock.now();
  record.values['MODIFY_BY_ID'] = String(context.actor.userId);
  const data = { FIELDS: { ID: String(id), CATEGORY_ID: String(categoryId), STAGE_ID: String(record.values['STAGE_ID']) } };
  context.emit(context.portal, 'ONCRMDEALMOVETOCATEGORY', data, context.actor);
  context.emit(context.portal, 'ONCRMDEALUPDATE', { FIELDS: { ID: String(id) } }, context.actor);
  return record;
}
