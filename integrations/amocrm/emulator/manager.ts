/**
 * Test helpers that act like a manager in amoCRM's UI: the same validation as the API, but the
 * manager (the account's user) is the author, and events and webhooks follow as for API changes.
 */
import { unixSeconds, type EmulatorClock } from './clock.js';
import { firstRegularStatusId, applyLeadChanges, readLeadInput } from './leadInput.js';
import { leadSnapshot } from './webhookPayload.js';
import { leadUpdateChanges, type Notify } from './notify.js';
import { applyContactChanges, readContactInput } from './routes/contacts.js';
import { newLead } from './routes/leads.js';
import type { Account, Contact, EmulatorState, Lead } from './state.js';

export interface ManagerContext {
  state: EmulatorState;
  clock: EmulatorClock;
  notify: Notify;
  account: Account;
  multitextPatch: 'replace' | 'append';
}

function refuse(what: string, errors: unknown): never {
  throw new Error(`${what} refused: ${JSON.stringify(errors)}`);
}

function leadOf({ state, account }: ManagerContext, leadId: number): Lead {
  const lead = state.leads.get(leadId);
  if (!lead || lead.accountId !== account.id || lead.isDeleted) throw new Error(`No lead ${leadId} in ${account.subdomain}`);
  return lead;
}

/** `item` is shaped like one element of `POST /api/v4/leads`. */
export function managerCreatesLead(context: ManagerContext, item: unknown): Lead {
  const { state, account, clock, notify } = context;
  const result = readLeadInput(state, account, item, undefined);
  if (!result.ok) refuse('Lead', result.errors);
  const lead = newLead(state, account, { ...result.changes, createdBy: account.currentUserId }, unixSeconds(clock));
  lead.updatedBy = account.currentUserId;
  notify(account, [{ entity: 'leads', action: 'add', lead }], account.currentUserId);
  return lead;
}

/** `item` is shaped like the body of `PATCH /api/v4/leads/{id}`. */
export function managerUpdatesLead(context: ManagerContext, leadId: number, item: unknown): Lead {
  const { state, account, clock, notify } = context;
  const lead = leadOf(context, leadId);
  const result = readLeadInput(state, account, item, lead);
  if (!result.ok) refuse('Lead update', result.errors);
  const before = leadSnapshot(lead);
  applyLeadChanges(state, lead, result.changes, unixSeconds(clock));
  lead.updatedBy = account.currentUserId;
  notify(account, leadUpdateChanges(lead, before), account.currentUserId);
  return lead;
}

/**
 * Drags a lead to a stage (also the unsorted one, or another pipeline, as the UI allows);
 * `statusId` 0 means the pipeline's first regular stage.
 */
export function managerMovesLead(context: ManagerContext, leadId: number, statusId: number, pipelineId?: number): Lead {
  const { state, account, clock, notify } = context;
  const lead = leadOf(context, leadId);
  const pipeline = state.pipelines.get(pipelineId ?? lead.pipelineId);
  if (!pipeline || pipeline.accountId !== account.id) throw new Error(`No pipeline ${pipelineId ?? lead.pipelineId}`);
  const target = statusId === 0 ? firstRegularStatusId(pipeline) : statusId;
  if (target === undefined || !pipeline.statuses.some((status) => status.id === target)) throw new Error(`No status ${statusId} in pipeline ${pipeline.id}`);
  const before = leadSnapshot(lead);
  const now = unixSeconds(clock);
  lead.pipelineId = pipeline.id;
  if (lead.statusId !== target || before.pipelineId !== pipeline.id) {
    lead.statusId = target;
    lead.closedAt = target === 142 || target === 143 ? now : null;
    if (target !== 143) lead.lossReasonId = null;
  }
  lead.updatedAt = now;
  lead.updatedBy = account.currentUserId;
  notify(account, leadUpdateChanges(lead, before), account.currentUserId);
  return lead;
}

/** `item` is shaped like the body of `PATCH /api/v4/contacts/{id}`. */
export function managerUpdatesContact(context: ManagerContext, contactId: number, item: unknown): Contact {
  const { state, account, clock, notify } = context;
  const contact = state.contacts.get(contactId);
  if (!contact || contact.accountId !== account.id || contact.isDeleted) throw new Error(`No contact ${contactId} in ${account.subdomain}`);
  const result = readContactInput({ state, account }, item);
  if (!result.ok) refuse('Contact update', result.errors);
  applyContactChanges(contact, result.changes, unixSeconds(clock), { state, mode: context.multitextPatch });
  contact.updatedBy = account.currentUserId;
  notify(account, [{ entity: 'contacts', action: 'update', contact }], account.currentUserId);
  return contact;
}

function leadIncludingDeleted({ state, account }: ManagerContext, leadId: number): Lead {
  const lead = state.leads.get(leadId);
  if (!lead || lead.accountId !== account.id) throw new Error(`No lead ${leadId} in ${account.subdomain}`);
  return lead;
}

/**
 * Deletes a lead to the trash, as the UI does (the file documents no API call for it):
 * `lead_deleted` event and `delete_lead` webhook. It disappears from lists unless
 * `with=only_deleted`.
 */
export function managerDeletesLead(context: ManagerContext, leadId: number): Lead {
  const { account, clock, notify } = context;
  const lead = leadIncludingDeleted(context, leadId);
  if (lead.isDeleted) throw new Error(`Lead ${leadId} is already deleted`);
  lead.isDeleted = true;
  lead.updatedAt = unixSeconds(clock);
  lead.updatedBy = account.currentUserId;
  notify(account, [{ entity: 'leads', action: 'delete', lead }], account.currentUserId);
  return lead;
}

/** Restores a deleted lead from the trash: `lead_restored` event and `restore_lead` webhook. */
export function managerRestoresLead(context: ManagerContext, leadId: number): Lead {
  const { account, clock, notify } = context;
  const lead = leadIncludingDeleted(context, leadId);
  if (!lead.isDeleted) throw new Error(`Lead ${leadId} is not deleted`);
  lead.isDeleted = false;
  lead.updatedAt = unixSeconds(clock);
  lead.updatedBy = account.currentUserId;
  notify(account, [{ entity: 'leads', action: 'restore', lead }], account.currentUserId);
  return lead;
}

function contactIncludingDeleted({ state, account }: ManagerContext, contactId: number): Contact {
  const contact = state.contacts.get(contactId);
  if (!contact || contact.accountId !== account.id || contact.isUnsorted) throw new Error(`No contact ${contactId} in ${account.subdomain}`);
  return contact;
}

/** Deletes a contact (UI only, like leads): `delete_contact` webhook; links to leads stay. */
export function managerDeletesContact(context: ManagerContext, contactId: number): Contact {
  const { account, clock, notify } = context;
  const contact = contactIncludingDeleted(context, contactId);
  if (contact.isDeleted) throw new Error(`Contact ${contactId} is already deleted`);
  contact.isDeleted = true;
  contact.updatedAt = unixSeconds(clock);
  contact.updatedBy = account.currentUserId;
  notify(account, [{ entity: 'contacts', action: 'delete', contact }], account.currentUserId);
  return contact;
}

/** Restores a deleted contact: `restore_contact` webhook with the full contact fields. */
export function managerRestoresContact(context: ManagerContext, contactId: number): Contact {
  const { account, clock, notify } = context;
  const contact = contactIncludingDeleted(context, contactId);
  if (!contact.isDeleted) throw new Error(`Contact ${contactId} is not deleted`);
  contact.isDeleted = false;
  contact.updatedAt = unixSeconds(clock);
  contact.updatedBy = account.currentUserId;
  notify(account, [{ entity: 'contacts', action: 'restore', contact }], account.currentUserId);
  return contact;
}
