/**
 * An amoCRM webhook body (amocrm.md 4.2) in CRM-neutral words: which deals changed, which were
 * deleted, which stages they moved between and when, which contacts changed. Also the check made
 * on receipt: a body whose events were cut off (no id) is refused, so amoCRM sends it again.
 */
import type { CrmChanges, CrmStageChange, DealWebhookState } from '../../server/crm/crmAdapter.js';
import type { SourceFieldKey } from '../../server/crm/sourceFields.js';
import { keyOfCode, valueFromApi } from './amocrmFields.js';
import { parseAmocrmWebhookBody, type AmocrmWebhook, type WebhookTree } from './webhook.js';

export class WebhookBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookBodyError';
  }
}

const digits = /^\d+$/;

function field(fields: WebhookTree, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Parses and checks a body: at least one event, every event with a numeric id. */
export function readAmocrmWebhook(body: string): AmocrmWebhook {
  const webhook = parseAmocrmWebhookBody(body);
  if (webhook.events.length === 0) throw new WebhookBodyError('the body holds no events (expected e.g. leads[add][0][id]=...)');
  // Incoming (unsorted) leads are named by their `uid`, everything else by a numeric id.
  const broken = webhook.events.find((event) => (event.entity === 'unsorted' ? !field(event.fields, 'uid') : !digits.test(event.id)));
  if (broken) throw new WebhookBodyError(`a ${broken.entity}[${broken.action}] event has no id: the body looks truncated`);
  return webhook;
}

function indexedItems(tree: WebhookTree | string | undefined): Array<WebhookTree | string> {
  if (!tree || typeof tree !== 'object') return [];
  return Object.keys(tree)
    .filter((key) => digits.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => tree[key] as WebhookTree | string);
}

/** The source fields an update webhook shows (`custom_fields[i][code|values]`); dates come as bare timestamps. */
function sourceFieldsOf(fields: WebhookTree): Partial<Record<SourceFieldKey, string>> {
  const result: Partial<Record<SourceFieldKey, string>> = {};
  for (const item of indexedItems(fields['custom_fields'])) {
    if (typeof item !== 'object') continue;
    const code = typeof item['code'] === 'string' ? item['code'] : undefined;
    const key = code ? keyOfCode.get(code) : undefined;
    if (!code || !key) continue;
    const first = indexedItems(item['values'])[0];
    const raw = typeof first === 'object' ? first['value'] : first;
    const value = valueFromApi(code, typeof raw === 'string' && digits.test(raw) && code === 'LF_FIRST_VISIT' ? Number(raw) : raw);
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function stateOf(dealId: string, fields: WebhookTree): DealWebhookState {
  const price = field(fields, 'price');
  return {
    dealId,
    fields: sourceFieldsOf(fields),
    amount: price !== undefined && Number.isFinite(Number(price)) ? Number(price) : null,
    stageId: field(fields, 'status_id') ?? null,
    pipelineId: field(fields, 'pipeline_id') ?? null,
    // 0 means "nobody", as a deal read through the API says with no responsible user.
    responsibleUserId: field(fields, 'responsible_user_id') === '0' ? null : (field(fields, 'responsible_user_id') ?? null),
  };
}

export function webhookChanges(webhook: AmocrmWebhook): CrmChanges {
  const touched = new Set<string>();
  const deleted = new Set<string>();
  const contacts = new Set<string>();
  const stageChanges: CrmStageChange[] = [];
  const updateStates = new Map<string, DealWebhookState>();
  const otherLeadEvents = new Set<string>();
  for (const event of webhook.events) {
    if (event.entity === 'leads') {
      if (event.action === 'delete') {
        deleted.add(event.id);
        continue;
      }
      touched.add(event.id);
      if (event.action === 'update') updateStates.set(event.id, stateOf(event.id, event.fields));
      else otherLeadEvents.add(event.id);
      const statusId = field(event.fields, 'status_id');
      const pipelineId = field(event.fields, 'pipeline_id');
      const at = Number(field(event.fields, 'updated_at') ?? field(event.fields, 'last_modified'));
      if (event.action === 'status' && statusId && pipelineId && Number.isFinite(at)) {
        stageChanges.push({
          dealId: event.id,
          pipelineId,
          fromStageId: field(event.fields, 'old_status_id') ?? null,
          toStageId: statusId,
          at: new Date(at * 1000),
        });
      }
    } else if (event.entity === 'contacts' && (event.action === 'add' || event.action === 'update' || event.action === 'restore')) {
      if ((field(event.fields, 'type') ?? 'contact') === 'contact') contacts.add(event.id);
    } else if (event.entity === 'unsorted') {
      // An accepted unsorted lead names the real lead; it arrives as a lead event too, but not always.
      const leadId = field(event.fields, 'lead_id');
      if (leadId && digits.test(leadId) && event.action !== 'delete') {
        touched.add(leadId);
        otherLeadEvents.add(leadId);
      }
    }
  }
  return {
    touchedDealIds: [...touched].filter((id) => !deleted.has(id)),
    deletedDealIds: [...deleted],
    stageChanges,
    touchedContactIds: [...contacts],
    updatedDeals: [...updateStates.values()].filter((state) => !otherLeadEvents.has(state.dealId) && !deleted.has(state.dealId)),
  };
}
