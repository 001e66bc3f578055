/**
 * Bodies of the webhooks amoCRM sends (amocrm.md 4.1, 4.2): form fields with PHP bracket keys
 * (`leads[add][0][id]=...`), every value a string, several entities and actions in one body, and
 * `account[subdomain|id|_links][self]` always present.
 */
import type { Account, Contact, EmulatorState, Lead, Note, StoredCustomFieldValues, UnsortedEntry } from './state.js';

/** A lead as it was before a change, so events and `old_*` fields can name what moved. */
export interface LeadSnapshot {
  name: string;
  price: number;
  statusId: number;
  pipelineId: number;
  responsibleUserId: number;
  customFieldsValues: StoredCustomFieldValues[];
}

export function leadSnapshot(lead: Lead): LeadSnapshot {
  return {
    name: lead.name,
    price: lead.price,
    statusId: lead.statusId,
    pipelineId: lead.pipelineId,
    responsibleUserId: lead.responsibleUserId,
    customFieldsValues: structuredClone(lead.customFieldsValues),
  };
}

export type EntityChange =
  | { entity: 'leads'; action: 'add' | 'restore' | 'delete'; lead: Lead }
  | { entity: 'leads'; action: 'update'; lead: Lead; before?: LeadSnapshot }
  | { entity: 'leads'; action: 'status'; lead: Lead; oldStatusId: number; oldPipelineId: number }
  | { entity: 'leads'; action: 'responsible'; lead: Lead; oldResponsibleUserId: number }
  | { entity: 'leads'; action: 'note'; note: Note }
  | { entity: 'contacts'; action: 'add' | 'update' | 'delete' | 'restore'; contact: Contact }
  | { entity: 'unsorted'; action: 'add'; entry: UnsortedEntry }
  | { entity: 'unsorted'; action: 'delete'; entry: UnsortedEntry; decision: 'accept' | 'decline'; userId: number };

/**
 * What `leads[delete]` / `contacts[delete]` carry: `captured` = `id` and `type` (the 2016 delete
 * captures); `with_stage` adds the lead's `status_id` and `pipeline_id` (amocrm.md 4.2's
 * [UNCONFIRMED] field set).
 */
export type DeleteWebhookFields = 'captured' | 'with_stage';

/** v2-era numeric codes in note webhooks (amocrm.md 4.2): element_type 2 = lead. [UNCONFIRMED] */
const noteTypeCodes: Record<string, number> = { common: 4, call_in: 10, call_out: 11, service_message: 25 };

/** `settings` code of a change (amocrm.md 2.11): `add_lead`, `status_lead`, `update_contact`, ... */
export function settingOf(change: EntityChange): string {
  const entity = change.entity === 'leads' ? 'lead' : change.entity === 'contacts' ? 'contact' : 'unsorted';
  return `${change.action}_${entity}`;
}

type Pairs = Array<[string, string]>;

const dateTypes = new Set(['date', 'date_time', 'birthday']);

function customFieldPairs(state: EmulatorState, prefix: string, values: StoredCustomFieldValues[], pairs: Pairs): void {
  values.forEach((entry, index) => {
    const field = state.customFields.get(entry.fieldId);
    const base = `${prefix}[custom_fields][${index}]`;
    pairs.push([`${base}[id]`, String(entry.fieldId)], [`${base}[name]`, field?.name ?? '']);
    if (field?.code) pairs.push([`${base}[code]`, field.code]);
    entry.values.forEach((stored, valueIndex) => {
      // Dates arrive as a bare timestamp, `values][0]=1542067200` (captured 2018 status payload).
      if (field && dateTypes.has(field.type)) {
        pairs.push([`${base}[values][${valueIndex}]`, String(stored.value)]);
        return;
      }
      pairs.push([`${base}[values][${valueIndex}][value]`, String(stored.value)]);
      if (stored.enumId !== undefined) pairs.push([`${base}[values][${valueIndex}][enum]`, String(stored.enumId)]);
    });
  });
}

function tagPairs(state: EmulatorState, prefix: string, tagIds: number[], pairs: Pairs): void {
  tagIds.forEach((id, index) => {
    pairs.push([`${prefix}[tags][${index}][id]`, String(id)], [`${prefix}[tags][${index}][name]`, state.tags.get(id)?.name ?? '']);
  });
}

type LeadChange = Extract<EntityChange, { entity: 'leads'; lead: Lead }>;

function leadPairs(state: EmulatorState, prefix: string, change: LeadChange, pairs: Pairs): void {
  const { lead } = change;
  pairs.push(
    [`${prefix}[id]`, String(lead.id)],
    [`${prefix}[name]`, lead.name],
    [`${prefix}[status_id]`, String(lead.statusId)],
  );
  if (change.action === 'status') pairs.push([`${prefix}[old_status_id]`, String(change.oldStatusId)]);
  pairs.push(
    [`${prefix}[price]`, String(lead.price)],
    [`${prefix}[responsible_user_id]`, String(lead.responsibleUserId)],
    [`${prefix}[last_modified]`, String(lead.updatedAt)],
    [`${prefix}[modified_user_id]`, String(lead.updatedBy)],
    [`${prefix}[created_user_id]`, String(lead.createdBy)],
    [`${prefix}[date_create]`, String(lead.createdAt)],
    [`${prefix}[pipeline_id]`, String(lead.pipelineId)],
  );
  if (change.action === 'status') pairs.push([`${prefix}[old_pipeline_id]`, String(change.oldPipelineId)]);
  tagPairs(state, prefix, lead.tagIds, pairs);
  pairs.push([`${prefix}[account_id]`, String(lead.accountId)]);
  // The captured responsible payload puts the old user right after account_id.
  if (change.action === 'responsible') pairs.push([`${prefix}[old_responsible_user_id]`, String(change.oldResponsibleUserId)]);
  customFieldPairs(state, prefix, lead.customFieldsValues, pairs);
  pairs.push([`${prefix}[created_at]`, String(lead.createdAt)], [`${prefix}[updated_at]`, String(lead.updatedAt)]);
}

/** `leads[delete]` / `contacts[delete]`: the captures carry only `id` and `type`. */
function deletedPairs(prefix: string, id: number, type: 'lead' | 'contact', stage: Pick<Lead, 'statusId' | 'pipelineId'> | undefined, pairs: Pairs): void {
  pairs.push([`${prefix}[id]`, String(id)]);
  if (stage) pairs.push([`${prefix}[status_id]`, String(stage.statusId)], [`${prefix}[pipeline_id]`, String(stage.pipelineId)]);
  pairs.push([`${prefix}[type]`, type]);
}

/**
 * `unsorted[add]` and `unsorted[delete]` (amocrm.md 4.2 names only the keys and an `action` on
 * delete; the field set below is [UNCONFIRMED]): `uid`, `source_uid`, `category`, `pipeline_id`,
 * `created_at`, `lead_id`, `account_id`; a delete adds `action` (`accept`/`decline`) and
 * `modified_user_id` first.
 */
function unsortedPairs(prefix: string, change: Extract<EntityChange, { entity: 'unsorted' }>, pairs: Pairs): void {
  const { entry } = change;
  if (change.action === 'delete') pairs.push([`${prefix}[action]`, change.decision], [`${prefix}[modified_user_id]`, String(change.userId)]);
  pairs.push(
    [`${prefix}[uid]`, entry.uid],
    [`${prefix}[source_uid]`, entry.sourceUid],
    [`${prefix}[category]`, entry.category],
    [`${prefix}[pipeline_id]`, String(entry.pipelineId)],
    [`${prefix}[created_at]`, String(entry.createdAt)],
    [`${prefix}[lead_id]`, String(entry.leadId)],
    [`${prefix}[account_id]`, String(entry.accountId)],
  );
}

/** `date_create` of a note is a formatted local date, `2020-09-28 00:26:51` (amocrm.md 4.2). */
function formatLocal(unixSeconds: number, offset: string): string {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  const sign = match?.[1] === '-' ? -1 : 1;
  const shiftMs = match ? sign * (Number(match[2]) * 60 + Number(match[3])) * 60_000 : 0;
  return new Date(unixSeconds * 1000 + shiftMs).toISOString().slice(0, 19).replace('T', ' ');
}

function notePairs(account: Account, prefix: string, note: Note, pairs: Pairs): void {
  const base = `${prefix}[note]`;
  const text = typeof note.params['text'] === 'string' ? note.params['text'] : '';
  pairs.push(
    [`${base}[id]`, String(note.id)],
    [`${base}[element_id]`, String(note.entityId)],
    [`${base}[element_type]`, '2'],
    // Types without a documented number keep their v4 name.
    [`${base}[note_type]`, String(noteTypeCodes[note.noteType] ?? note.noteType)],
    [`${base}[text]`, text],
    [`${base}[date_create]`, formatLocal(note.createdAt, account.timezoneOffset)],
    [`${base}[created_at]`, String(note.createdAt)],
    [`${base}[account_id]`, String(note.accountId)],
    [`${base}[created_by]`, String(note.createdBy)],
  );
}

function linkedLeadIds(state: EmulatorState, contact: Contact): number[] {
  return [...state.leads.values()]
    .filter((lead) => !lead.isDeleted && lead.contacts.some((link) => link.id === contact.id))
    .map((lead) => lead.id);
}

function contactPairs(state: EmulatorState, prefix: string, contact: Contact, pairs: Pairs): void {
  pairs.push(
    [`${prefix}[id]`, String(contact.id)],
    [`${prefix}[name]`, contact.name],
    [`${prefix}[responsible_user_id]`, String(contact.responsibleUserId)],
    [`${prefix}[date_create]`, String(contact.createdAt)],
    [`${prefix}[last_modified]`, String(contact.updatedAt)],
    [`${prefix}[created_user_id]`, String(contact.createdBy)],
    [`${prefix}[modified_user_id]`, String(contact.updatedBy)],
  );
  for (const id of linkedLeadIds(state, contact)) pairs.push([`${prefix}[linked_leads_id][${id}][ID]`, String(id)]);
  tagPairs(state, prefix, contact.tagIds, pairs);
  customFieldPairs(state, prefix, contact.customFieldsValues, pairs);
  pairs.push(
    [`${prefix}[account_id]`, String(contact.accountId)],
    [`${prefix}[created_at]`, String(contact.createdAt)],
    [`${prefix}[updated_at]`, String(contact.updatedAt)],
    [`${prefix}[type]`, 'contact'],
  );
}

/** The account's real address, as `account[_links][self]` carries it. */
export function accountAddress(account: Account): string {
  return `https://${account.subdomain}.${account.platform === 'kommo' ? 'kommo.com' : 'amocrm.ru'}`;
}

/** Field pairs in wire order: entities grouped by entity and action, indexes from 0, then `account`. */
export function webhookPairs(state: EmulatorState, account: Account, changes: EntityChange[], deleteFields: DeleteWebhookFields = 'captured'): Pairs {
  const pairs: Pairs = [];
  const counters = new Map<string, number>();
  for (const change of changes) {
    const group = `${change.entity}[${change.action}]`;
    const index = counters.get(group) ?? 0;
    counters.set(group, index + 1);
    const prefix = `${group}[${index}]`;
    if (change.entity === 'unsorted') unsortedPairs(prefix, change, pairs);
    else if (change.entity === 'contacts') {
      if (change.action === 'delete') deletedPairs(prefix, change.contact.id, 'contact', undefined, pairs);
      else contactPairs(state, prefix, change.contact, pairs);
    } else if (change.action === 'note') notePairs(account, prefix, change.note, pairs);
    else if (change.action === 'delete') deletedPairs(prefix, change.lead.id, 'lead', deleteFields === 'with_stage' ? change.lead : undefined, pairs);
    else leadPairs(state, prefix, change, pairs);
  }
  pairs.push(['account[subdomain]', account.subdomain], ['account[id]', String(account.id)], ['account[_links][self]', accountAddress(account)]);
  return pairs;
}

/** `application/x-www-form-urlencoded`: brackets percent-encoded, spaces as `+`, like the captures. */
export function encodeWebhookBody(pairs: Pairs): string {
  return new URLSearchParams(pairs).toString();
}
