/**
 * amoCRM account webhooks (amocrm.md section 4): form-encoded bodies with PHP bracket keys,
 * `entity[action][index][field]=value`, every value a string, several events per POST, read with
 * the shared bracket parser (`../formBrackets.ts`) into events.
 */
import { formTree, indexedItems, type FormTree } from '../formBrackets.js';

export type WebhookTree = FormTree;

export interface AmocrmWebhookEvent {
  /** `leads`, `contacts` (companies too, with `type=company`), `unsorted`, ... */
  entity: string;
  /** `add`, `update`, `status`, `responsible`, `delete`, `restore`, `note`, ... */
  action: string;
  /** The entity's id; empty when the body was cut before it. */
  id: string;
  fields: WebhookTree;
}

export interface AmocrmWebhook {
  account: { id?: string; subdomain?: string };
  events: AmocrmWebhookEvent[];
}

export function parseAmocrmWebhook(entries: Iterable<[string, string]>): AmocrmWebhook {
  const tree = formTree(entries);
  const account = typeof tree.account === 'object' ? tree.account : undefined;
  const events: AmocrmWebhookEvent[] = [];
  for (const [entity, actions] of Object.entries(tree)) {
    if (entity === 'account' || typeof actions !== 'object') continue;
    for (const [action, items] of Object.entries(actions)) {
      if (typeof items !== 'object') continue;
      for (const fields of indexedItems(items)) {
        events.push({ entity, action, id: typeof fields.id === 'string' ? fields.id : '', fields });
      }
    }
  }
  return {
    account: {
      ...(typeof account?.id === 'string' ? { id: account.id } : {}),
      ...(typeof account?.subdomain === 'string' ? { subdomain: account.subdomain } : {}),
    },
    events,
  };
}

/** A raw `application/x-www-form-urlencoded` body. */
export function parseAmocrmWebhookBody(body: string): AmocrmWebhook {
  return parseAmocrmWebhook(new URLSearchParams(body));
}

/** A lead event's ids, as numbers where the body has them. */
export function leadChange(event: AmocrmWebhookEvent): { leadId: number; statusId?: number; oldStatusId?: number; pipelineId?: number } | undefined {
  const number = (value: unknown) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined);
  const leadId = number(event.fields.id);
  if (event.entity !== 'leads' || leadId === undefined) return undefined;
  const statusId = number(event.fields.status_id);
  const oldStatusId = number(event.fields.old_status_id);
  const pipelineId = number(event.fields.pipeline_id);
  return {
    leadId,
    ...(statusId !== undefined ? { statusId } : {}),
    ...(oldStatusId !== undefined ? { oldStatusId } : {}),
    ...(pipelineId !== undefined ? { pipelineId } : {}),
  };
}
