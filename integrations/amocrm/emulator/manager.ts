/**
 * Test helpers that act like a manager in amoCRM's UI: the same validation as the API, but the
 * manager (the account's user) is the author, and events and webhooks follow as for API changes.
 */
import { unixSeconds, type EmulatorClock } from './clock.js';
import { firstRegularStatusId, applyLeadChanges, readLeadInput } from './leadInput.js';
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
  const [oldStatusId, oldPipelineId] = [lead.statusId, lead.pipelineId];
  applyLeadChanges(state, lead, result.changes, unixSeconds(clock));
  lead.updatedBy = account.currentUserId;
  notify(account, leadUpdateChanges(lead, oldStatusId, oldPipelineId), account.currentUserId);
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
  const [oldStatusId, oldPipelineId] = [lead.statusId, lead.pipelineId];
  const now = unixSeconds(clock);
  lead.pipelineId = pipeline.id;
  if (lead.statusId !== target || oldPipelineId !== pipeline.id) {
    lead.statusId = target;
    lead.closedAt = target === 142 || target === 143 ? now : null;
  }
  lead.updatedAt = now;
  lead.updatedBy = account.currentUserId;
  notify(account, leadUpdateChanges(lead, oldStatusId, oldPipelineId), account.currentUserId);
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
