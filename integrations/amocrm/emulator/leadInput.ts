/**
 * Validation of one lead in a POST or PATCH body, producing either the changes to apply or the
 * `validation-errors` entries of amocrm.md 3.1. Nothing is written until a whole batch is valid.
 */
import { LOST_STATUS_ID, WON_STATUS_ID } from './accounts.js';
import { applyCustomFieldValues, parseCustomFieldsValues } from './customFieldValues.js';
import type { ValidationError } from './responses.js';
import type { Account, EmulatorState, Lead, Pipeline, StoredCustomFieldValues } from './state.js';

export interface LeadChanges {
  name?: string;
  price?: number;
  responsibleUserId?: number;
  createdBy?: number;
  pipelineId?: number;
  statusId?: number;
  customFields: StoredCustomFieldValues[];
  /** `_embedded.tags`: the whole new tag list (null clears). */
  tags?: TagList;
  /** `tags_to_add` / `tags_to_delete`: mutate without touching other tags (amocrm.md 2.3, 2.8). */
  tagsToAdd?: TagList;
  tagsToDelete?: TagList;
  contacts?: Array<{ id: number; isMain: boolean }>;
  /** `loss_reason_id`: one of the account's loss reasons, or null (0 also clears). Kept only while the lead is in 143. */
  lossReasonId?: number | null;
}

export interface TagList {
  ids: number[];
  names: string[];
}

export type LeadInputResult = { ok: true; changes: LeadChanges } | { ok: false; errors: ValidationError[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

const invalidType = (path: string, expected: string): ValidationError => ({ code: 'InvalidType', path, detail: `This value should be of type ${expected}.` });
const notSupported = (path: string): ValidationError => ({ code: 'NotSupportedChoice', path, detail: 'The value you selected is not a valid choice.' });

const isClosingStatus = (statusId: number) => statusId === WON_STATUS_ID || statusId === LOST_STATUS_ID;

/** First regular stage of a pipeline: where a lead lands when no stage is named (amocrm.md 2.3). */
export function firstRegularStatusId(pipeline: Pipeline): number | undefined {
  return [...pipeline.statuses]
    .filter((status) => status.type === 0 && !isClosingStatus(status.id))
    .sort((left, right) => left.sort - right.sort)[0]?.id;
}

interface Placement {
  pipelineId?: number;
  statusId?: number;
}

/**
 * Resolves pipeline and stage. 142/143 repeat in every pipeline, so a new lead must name the
 * pipeline with them; an existing lead stays in its pipeline. Moving a lead into the unsorted stage
 * (type 1) through the API is refused [UNCONFIRMED].
 */
function resolvePlacement(state: EmulatorState, account: Account, item: Record<string, unknown>, existing: Lead | undefined, errors: ValidationError[]): Placement {
  const pipelineInput = item['pipeline_id'];
  const statusInput = item['status_id'];
  if (pipelineInput === undefined && statusInput === undefined) {
    if (existing) return {};
    const main = state.pipelinesOf(account.id).find((pipeline) => pipeline.isMain);
    return main ? { pipelineId: main.id, statusId: firstRegularStatusId(main) } : {};
  }
  if (pipelineInput !== undefined && !isNonNegativeInteger(pipelineInput)) {
    errors.push(invalidType('pipeline_id', 'int'));
    return {};
  }
  if (statusInput !== undefined && !isNonNegativeInteger(statusInput)) {
    errors.push(invalidType('status_id', 'int'));
    return {};
  }
  const pipelines = state.pipelinesOf(account.id);
  let pipeline: Pipeline | undefined;
  if (pipelineInput !== undefined) {
    pipeline = pipelines.find((candidate) => candidate.id === pipelineInput);
    if (!pipeline) {
      errors.push(notSupported('pipeline_id'));
      return {};
    }
  } else if (statusInput !== undefined && isClosingStatus(statusInput)) {
    pipeline = existing ? pipelines.find((candidate) => candidate.id === existing.pipelineId) : undefined;
    if (!pipeline) {
      errors.push({ code: 'NotBlank', path: 'pipeline_id', detail: 'pipeline_id is required with status_id 142 or 143.' });
      return {};
    }
  } else {
    pipeline = pipelines.find((candidate) => candidate.statuses.some((status) => status.id === statusInput));
  }
  if (statusInput === undefined && pipeline) {
    const keepsStatus = existing && pipeline.statuses.some((status) => status.id === existing.statusId);
    return { pipelineId: pipeline.id, statusId: keepsStatus ? existing.statusId : firstRegularStatusId(pipeline) };
  }
  const status = pipeline?.statuses.find((candidate) => candidate.id === statusInput);
  if (!pipeline || !status || status.type === 1) {
    errors.push(notSupported('status_id'));
    return {};
  }
  return { pipelineId: pipeline.id, statusId: status.id };
}

/** `[{id} | {name}]`: ids must be tags of the account, names non-blank (new names create tags). */
function readTagList(state: EmulatorState, account: Account, value: unknown, path: string, errors: ValidationError[]): TagList | undefined {
  if (!Array.isArray(value)) {
    errors.push(invalidType(path, 'array'));
    return undefined;
  }
  const list: TagList = { ids: [], names: [] };
  value.forEach((tag: unknown, index) => {
    const itemPath = `${path}.${index}`;
    if (isRecord(tag) && typeof tag['id'] === 'number') {
      const known = state.tags.get(tag['id']);
      if (known?.accountId === account.id) list.ids.push(known.id);
      else errors.push(notSupported(`${itemPath}.id`));
    } else if (isRecord(tag) && typeof tag['name'] === 'string' && tag['name'].trim() !== '') list.names.push(tag['name']);
    else errors.push({ code: 'NotBlank', path: `${itemPath}.name`, detail: 'This value should not be blank.' });
  });
  return list;
}

function readEmbedded(state: EmulatorState, account: Account, embedded: unknown, isCreate: boolean, changes: LeadChanges, errors: ValidationError[]): void {
  if (embedded === undefined) return;
  if (!isRecord(embedded)) {
    errors.push(invalidType('_embedded', 'object'));
    return;
  }
  const tags = embedded['tags'];
  if (tags === null) changes.tags = { ids: [], names: [] };
  else if (tags !== undefined) {
    const list = readTagList(state, account, tags, '_embedded.tags', errors);
    if (list) changes.tags = list;
  }
  // Contacts are linked on create only; updates use the link endpoint (amocrm.md 2.3).
  const contacts = embedded['contacts'];
  if (!isCreate || contacts === undefined) return;
  if (!Array.isArray(contacts)) {
    errors.push(invalidType('_embedded.contacts', 'array'));
    return;
  }
  changes.contacts = [];
  contacts.forEach((contact: unknown, index) => {
    const id = isRecord(contact) ? contact['id'] : undefined;
    const known = typeof id === 'number' ? state.contacts.get(id) : undefined;
    if (!isRecord(contact) || !known || known.accountId !== account.id) errors.push(notSupported(`_embedded.contacts.${index}.id`));
    else changes.contacts?.push({ id: known.id, isMain: contact['is_main'] === true });
  });
}

export function readLeadInput(state: EmulatorState, account: Account, item: unknown, existing: Lead | undefined): LeadInputResult {
  if (!isRecord(item)) return { ok: false, errors: [invalidType('', 'object')] };
  const errors: ValidationError[] = [];
  const changes: LeadChanges = { customFields: [] };
  if (item['name'] !== undefined) {
    if (typeof item['name'] === 'string') changes.name = item['name'];
    else errors.push(invalidType('name', 'string'));
  }
  if (item['price'] !== undefined) {
    if (isNonNegativeInteger(item['price'])) changes.price = item['price'];
    else errors.push(invalidType('price', 'int'));
  }
  if (item['responsible_user_id'] !== undefined) {
    if (!isNonNegativeInteger(item['responsible_user_id'])) errors.push(invalidType('responsible_user_id', 'int'));
    else if (!state.isActiveUser(account.id, item['responsible_user_id'])) errors.push(notSupported('responsible_user_id'));
    else changes.responsibleUserId = item['responsible_user_id'];
  }
  if (!existing && item['created_by'] !== undefined) {
    if (isNonNegativeInteger(item['created_by'])) changes.createdBy = item['created_by'];
    else errors.push(invalidType('created_by', 'int'));
  }
  const lossReason = item['loss_reason_id'];
  if (lossReason === null || lossReason === 0) changes.lossReasonId = null;
  else if (lossReason !== undefined) {
    if (!isNonNegativeInteger(lossReason)) errors.push(invalidType('loss_reason_id', 'int'));
    else if (state.lossReasons.get(lossReason)?.accountId !== account.id) errors.push(notSupported('loss_reason_id'));
    else changes.lossReasonId = lossReason;
  }
  const placement = resolvePlacement(state, account, item, existing, errors);
  if (placement.pipelineId !== undefined) changes.pipelineId = placement.pipelineId;
  if (placement.statusId !== undefined) changes.statusId = placement.statusId;
  const fields = parseCustomFieldsValues(state, account.id, item['custom_fields_values']);
  errors.push(...fields.errors);
  changes.customFields = fields.updates;
  readEmbedded(state, account, item['_embedded'], existing === undefined, changes, errors);
  for (const [key, target] of [['tags_to_add', 'tagsToAdd'], ['tags_to_delete', 'tagsToDelete']] as const) {
    if (item[key] === undefined) continue;
    const list = readTagList(state, account, item[key], key, errors);
    if (list) changes[target] = list;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, changes };
}

function tagIdFor(state: EmulatorState, accountId: number, name: string): number {
  for (const tag of state.tags.values()) {
    if (tag.accountId === accountId && tag.name === name) return tag.id;
  }
  const id = state.nextId('tag');
  state.tags.set(id, { id, accountId, name });
  return id;
}

export function applyLeadChanges(state: EmulatorState, lead: Lead, changes: LeadChanges, nowSeconds: number): void {
  if (changes.name !== undefined) lead.name = changes.name;
  if (changes.price !== undefined) lead.price = changes.price;
  if (changes.responsibleUserId !== undefined) lead.responsibleUserId = changes.responsibleUserId;
  if (changes.pipelineId !== undefined) lead.pipelineId = changes.pipelineId;
  if (changes.statusId !== undefined && changes.statusId !== lead.statusId) {
    lead.statusId = changes.statusId;
    lead.closedAt = isClosingStatus(changes.statusId) ? nowSeconds : null;
  }
  // A loss reason belongs to a lead closed as lost: set with 143 (or on a lead already there), dropped
  // when the lead leaves 143, ignored on any other stage [UNCONFIRMED: README "Loss reasons"].
  if (lead.statusId !== LOST_STATUS_ID) lead.lossReasonId = null;
  else if (changes.lossReasonId !== undefined) lead.lossReasonId = changes.lossReasonId;
  applyCustomFieldValues(lead, changes.customFields);
  const resolve = (list: TagList) => [...list.ids, ...list.names.map((name) => tagIdFor(state, lead.accountId, name))];
  if (changes.tags) lead.tagIds = [...new Set(resolve(changes.tags))];
  if (changes.tagsToAdd) lead.tagIds = [...new Set([...lead.tagIds, ...resolve(changes.tagsToAdd)])];
  if (changes.tagsToDelete) {
    const { ids, names } = changes.tagsToDelete;
    lead.tagIds = lead.tagIds.filter((id) => !ids.includes(id) && !names.includes(state.tags.get(id)?.name ?? ''));
  }
  if (changes.contacts !== undefined) lead.contacts = changes.contacts;
  lead.updatedAt = nowSeconds;
}
