/**
 * Webhook subscriptions (amocrm.md 2.11, checklist 29): `GET` with `filter[destination]` and
 * `_total_items`; `POST` answers the bare object, ≤ 100 per account; `DELETE` by destination in
 * the JSON body → 204. Subscribing the same destination again replaces its settings [UNCONFIRMED].
 */
import { unixSeconds } from '../clock.js';
import { sendHal, sendNoContent, sendProblem, sendValidationErrors, type ValidationError } from '../responses.js';
import type { WebhookSubscription } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';
import { isRecord } from './batch.js';

/** Action codes amoCRM documents (amocrm.md 2.11; the full list is [UNCONFIRMED]). */
const entities = ['lead', 'contact', 'company'] as const;
const knownSettings = new Set<string>([
  ...entities.flatMap((entity) => ['add', 'update', 'delete', 'restore', 'responsible', 'note'].map((action) => `${action}_${entity}`)),
  'status_lead',
  'add_task', 'update_task', 'delete_task', 'responsible_task',
  'add_unsorted', 'delete_unsorted', 'add_message', 'add_talk', 'update_talk',
]);

function webhookBody(webhook: WebhookSubscription): Record<string, unknown> {
  return {
    id: webhook.id,
    destination: webhook.destination,
    created_at: webhook.createdAt,
    updated_at: webhook.updatedAt,
    account_id: webhook.accountId,
    created_by: webhook.createdBy,
    sort: webhook.sort,
    disabled: webhook.disabled,
    settings: [...webhook.settings],
  };
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function listWebhooks(context: ApiContext): void {
  const destination = context.query.get('filter[destination]');
  const webhooks = context.state
    .webhooksOf(context.account.id)
    .filter((webhook) => destination === null || webhook.destination === destination)
    .sort((left, right) => left.sort - right.sort || left.id - right.id);
  if (webhooks.length === 0) return sendNoContent(context.response);
  sendHal(context.response, 200, {
    _total_items: webhooks.length,
    _links: { self: { href: `${context.baseUrl}/api/v4/webhooks` } },
    _embedded: { webhooks: webhooks.map(webhookBody) },
  });
}

function subscribe(context: ApiContext): void {
  const { body } = context;
  if (!isRecord(body)) return sendProblem(context.response, 400, 'Request body must be an object');
  const errors: ValidationError[] = [];
  if (!isHttpUrl(body['destination'])) errors.push({ code: 'InvalidType', path: 'destination', detail: 'This value is not a valid URL.' });
  const settings = body['settings'];
  if (!Array.isArray(settings) || settings.length === 0) errors.push({ code: 'NotBlank', path: 'settings', detail: 'This value should not be blank.' });
  else settings.forEach((setting: unknown, index) => {
    if (typeof setting !== 'string' || setting === '' || (context.options.webhookSettingsCheck === 'known' && !knownSettings.has(setting))) {
      errors.push({ code: 'NotSupportedChoice', path: `settings.${index}`, detail: 'The value you selected is not a valid choice.' });
    }
  });
  if (body['sort'] !== undefined && (typeof body['sort'] !== 'number' || !Number.isInteger(body['sort']))) {
    errors.push({ code: 'InvalidType', path: 'sort', detail: 'This value should be of type int.' });
  }
  if (errors.length > 0) return sendValidationErrors(context.response, [{ request_id: '0', errors }]);
  const destination = body['destination'] as string;
  const now = unixSeconds(context.clock);
  const existing = context.state.webhooksOf(context.account.id).find((webhook) => webhook.destination === destination);
  const uniqueSettings = [...new Set(settings as string[])];
  if (existing) {
    existing.settings = uniqueSettings;
    if (typeof body['sort'] === 'number') existing.sort = body['sort'];
    existing.disabled = false;
    existing.failureTimesMs = [];
    existing.updatedAt = now;
    return sendHal(context.response, 200, webhookBody(existing));
  }
  if (context.state.webhooksOf(context.account.id).length >= context.options.maxWebhooksPerAccount) {
    return sendProblem(context.response, 400, `Webhook limit reached: ${context.options.maxWebhooksPerAccount} per account`);
  }
  const webhook: WebhookSubscription = {
    id: context.state.nextId('webhook'),
    accountId: context.account.id,
    destination,
    createdAt: now,
    updatedAt: now,
    createdBy: context.account.currentUserId,
    sort: typeof body['sort'] === 'number' ? body['sort'] : 1,
    disabled: false,
    settings: uniqueSettings,
    failureTimesMs: [],
  };
  context.state.webhooks.set(webhook.id, webhook);
  sendHal(context.response, 200, webhookBody(webhook));
}

function unsubscribe(context: ApiContext): void {
  const destination = isRecord(context.body) ? context.body['destination'] : undefined;
  if (typeof destination !== 'string' || destination === '') {
    return sendValidationErrors(context.response, [{ request_id: '0', errors: [{ code: 'NotBlank', path: 'destination', detail: 'This value should not be blank.' }] }]);
  }
  const webhook = context.state.webhooksOf(context.account.id).find((candidate) => candidate.destination === destination);
  if (!webhook) return sendProblem(context.response, 404, 'Webhook not found');
  context.state.webhooks.delete(webhook.id);
  sendNoContent(context.response);
}

export const webhookRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/webhooks$/, handler: listWebhooks },
  { method: 'POST', path: /^\/api\/v4\/webhooks$/, handler: subscribe },
  { method: 'DELETE', path: /^\/api\/v4\/webhooks$/, handler: unsubscribe },
];
