/**
 * What happens after a lead or contact changes, whoever changed it (API or a UI helper): events
 * for `GET /api/v4/events` (amocrm.md 2.10) and one webhook body per subscribed destination
 * (amocrm.md 4). Changes of one request go out together in one body, as amoCRM batches them.
 */
import type { EmulatorClock } from './clock.js';
import { leadStatusValue, recordEvent } from './events.js';
import { encodeWebhookBody, settingOf, webhookPairs, type EntityChange } from './webhookPayload.js';
import type { WebhookDispatcher } from './webhookDelivery.js';
import type { Account, EmulatorState, Lead } from './state.js';

export type Notify = (account: Account, changes: EntityChange[], actorUserId: number) => void;

export function createNotifier(state: EmulatorState, clock: EmulatorClock, dispatcher: WebhookDispatcher): Notify {
  return (account, changes, actorUserId) => {
    if (changes.length === 0) return;
    const nowMs = clock.now();
    const createdAt = Math.floor(nowMs / 1000);
    for (const change of changes) {
      if (change.entity !== 'leads' || change.action === 'note') continue;
      const base = { accountId: account.id, entityId: change.lead.id, entityType: 'lead' as const, createdBy: actorUserId, createdAt };
      if (change.action === 'add') recordEvent(state, nowMs, { ...base, type: 'lead_added', valueBefore: [], valueAfter: [] });
      if (change.action === 'status') {
        recordEvent(state, nowMs, {
          ...base,
          type: 'lead_status_changed',
          valueBefore: leadStatusValue({ statusId: change.oldStatusId ?? 0, pipelineId: change.oldPipelineId ?? change.lead.pipelineId }),
          valueAfter: leadStatusValue(change.lead),
        });
      }
    }
    const webhooks = state
      .webhooksOf(account.id)
      .filter((webhook) => !webhook.disabled)
      .sort((left, right) => left.sort - right.sort || left.id - right.id);
    for (const webhook of webhooks) {
      const wanted = changes.filter((change) => webhook.settings.includes(settingOf(change)));
      if (wanted.length > 0) dispatcher.enqueue(webhook, encodeWebhookBody(webhookPairs(state, account, wanted)));
    }
  };
}

/** Lead changes for a status move: `update` always, `status` when the stage or pipeline moved. */
export function leadUpdateChanges(lead: Lead, oldStatusId: number, oldPipelineId: number): EntityChange[] {
  const changes: EntityChange[] = [{ entity: 'leads', action: 'update', lead }];
  if (lead.statusId !== oldStatusId || lead.pipelineId !== oldPipelineId) {
    changes.push({ entity: 'leads', action: 'status', lead, oldStatusId, oldPipelineId });
  }
  return changes;
}
