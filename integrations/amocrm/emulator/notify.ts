/**
 * What happens after a lead, contact or incoming lead changes, whoever changed it (API or a UI
 * helper): events for `GET /api/v4/events` (amocrm.md 2.10, checklist 28) and one webhook body per
 * subscribed destination (amocrm.md 4). Changes of one request go out together in one body, as
 * amoCRM batches them.
 */
import type { EmulatorClock } from './clock.js';
import { leadStatusValue, recordEvent } from './events.js';
import type { EmulatorOptions } from './options.js';
import { encodeWebhookBody, settingOf, webhookPairs, type EntityChange, type LeadSnapshot } from './webhookPayload.js';
import type { WebhookDispatcher } from './webhookDelivery.js';
import type { Account, AmoEvent, EmulatorState, Lead, StoredCustomFieldValues } from './state.js';

export type Notify = (account: Account, changes: EntityChange[], actorUserId: number) => void;

type EventDraft = Pick<AmoEvent, 'type' | 'valueBefore' | 'valueAfter'>;

/** `[{custom_field_value: {field_id, field_type, enum_id, text}}]`, one per value. [UNCONFIRMED shape] */
function fieldValue(state: EmulatorState, fieldId: number, entry: StoredCustomFieldValues | undefined): unknown[] {
  const fieldType = state.customFields.get(fieldId)?.type ?? 'text';
  return (entry?.values ?? []).map((stored) => ({
    custom_field_value: { field_id: fieldId, field_type: fieldType, enum_id: stored.enumId ?? null, text: String(stored.value) },
  }));
}

/** Events for what a lead update changed besides stage and responsible (those have their own changes). */
function fieldChangeEvents(state: EmulatorState, options: EmulatorOptions, lead: Lead, before: LeadSnapshot): EventDraft[] {
  const drafts: EventDraft[] = [];
  if (lead.price !== before.price) {
    drafts.push({ type: 'sale_field_changed', valueBefore: [{ sale_field_value: { sale: before.price } }], valueAfter: [{ sale_field_value: { sale: lead.price } }] });
  }
  const fieldIds = new Set([...before.customFieldsValues, ...lead.customFieldsValues].map((entry) => entry.fieldId));
  for (const fieldId of [...fieldIds].sort((left, right) => left - right)) {
    const old = before.customFieldsValues.find((entry) => entry.fieldId === fieldId);
    const now = lead.customFieldsValues.find((entry) => entry.fieldId === fieldId);
    if (JSON.stringify(old?.values ?? []) === JSON.stringify(now?.values ?? [])) continue;
    const type = options.customFieldEventType === 'per_field' ? `custom_field_${fieldId}_value_changed` : 'custom_field_value_changed';
    drafts.push({ type, valueBefore: fieldValue(state, fieldId, old), valueAfter: fieldValue(state, fieldId, now) });
  }
  return drafts;
}

function leadEvents(state: EmulatorState, options: EmulatorOptions, change: EntityChange): EventDraft[] {
  if (change.entity !== 'leads') return [];
  switch (change.action) {
    case 'add':
      return [{ type: 'lead_added', valueBefore: [], valueAfter: [] }];
    case 'delete':
      return [{ type: 'lead_deleted', valueBefore: [], valueAfter: [] }];
    case 'restore':
      return [{ type: 'lead_restored', valueBefore: [], valueAfter: [] }];
    case 'status':
      return [{
        type: 'lead_status_changed',
        valueBefore: leadStatusValue({ statusId: change.oldStatusId, pipelineId: change.oldPipelineId }),
        valueAfter: leadStatusValue(change.lead),
      }];
    case 'responsible':
      // [UNCONFIRMED] value shape: `[{responsible_user: {id}}]`.
      return [{
        type: 'entity_responsible_changed',
        valueBefore: [{ responsible_user: { id: change.oldResponsibleUserId } }],
        valueAfter: [{ responsible_user: { id: change.lead.responsibleUserId } }],
      }];
    case 'update':
      return change.before ? fieldChangeEvents(state, options, change.lead, change.before) : [];
    default:
      return [];
  }
}

export function createNotifier(state: EmulatorState, clock: EmulatorClock, options: EmulatorOptions, dispatcher: WebhookDispatcher): Notify {
  return (account, changes, actorUserId) => {
    if (changes.length === 0) return;
    const nowMs = clock.now();
    const createdAt = Math.floor(nowMs / 1000);
    for (const change of changes) {
      if (change.entity !== 'leads' || change.action === 'note') continue;
      for (const draft of leadEvents(state, options, change)) {
        recordEvent(state, nowMs, { accountId: account.id, entityId: change.lead.id, entityType: 'lead', createdBy: actorUserId, createdAt, ...draft });
      }
    }
    const webhooks = state
      .webhooksOf(account.id)
      .filter((webhook) => !webhook.disabled)
      .sort((left, right) => left.sort - right.sort || left.id - right.id);
    for (const webhook of webhooks) {
      const wanted = changes.filter((change) => webhook.settings.includes(settingOf(change)));
      if (wanted.length > 0) dispatcher.enqueue(webhook, encodeWebhookBody(webhookPairs(state, account, wanted, options.deleteWebhookFields)));
    }
  };
}

/**
 * Changes for an edited lead: `update` always; `status` when the stage or pipeline moved;
 * `responsible` when the responsible user changed.
 */
export function leadUpdateChanges(lead: Lead, before: LeadSnapshot): EntityChange[] {
  const changes: EntityChange[] = [{ entity: 'leads', action: 'update', lead, before }];
  if (lead.statusId !== before.statusId || lead.pipelineId !== before.pipelineId) {
    changes.push({ entity: 'leads', action: 'status', lead, oldStatusId: before.statusId, oldPipelineId: before.pipelineId });
  }
  if (lead.responsibleUserId !== before.responsibleUserId) {
    changes.push({ entity: 'leads', action: 'responsible', lead, oldResponsibleUserId: before.responsibleUserId });
  }
  return changes;
}
