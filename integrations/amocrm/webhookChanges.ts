/**
 * An amoCRM webhook body (amocrm.md 4.2) in CRM-neutral words: which deals changed, which were
 * deleted, which stages they moved between and when, which contacts changed. Also the check made
 * on receipt: a body whose events were cut off (no id) is refused, so amoCRM sends it again.
 */
import type { CrmChanges, CrmStageChange } from '../../server/crm/crmAdapter.js';
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
  const broken = webhook.events.find((event) => !digits.test(event.id));
  if (broken) throw new WebhookBodyError(`a ${broken.entity}[${broken.action}] event has no id: the body looks truncated`);
  return webhook;
}

export function webhookChanges(webhook: AmocrmWebhook): CrmChanges {
  const touched = new Set<string>();
  const deleted = new Set<string>();
  const contacts = new Set<string>();
  const stageChanges: CrmStageChange[] = [];
  for (const event of webhook.events) {
    if (event.entity === 'leads') {
      if (event.action === 'delete') {
        deleted.add(event.id);
        continue;
      }
      touched.add(event.id);
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
      if (leadId && digits.test(leadId) && event.action !== 'delete') touched.add(leadId);
    }
  }
  return {
    touchedDealIds: [...touched].filter((id) => !deleted.has(id)),
    deletedDealIds: [...deleted],
    stageChanges,
    touchedContactIds: [...contacts],
  };
}
