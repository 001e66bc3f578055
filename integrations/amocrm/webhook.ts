/**
 * amoCRM account webhooks (amocrm.md section 4): form-encoded bodies with PHP bracket keys,
 * `entity[action][index][field]=value`, every value a string, several events per POST. Parsed here
 * into events, without a general-purpose query-string library: such libraries turn indexes above
 * 20 into object keys, and a bracket parser must never write `__proto__`. Malformed keys (bodies do
 * arrive truncated) are skipped, not fatal.
 */

export type WebhookTree = { [key: string]: string | WebhookTree };

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

const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 10;
const forbiddenKeys = new Set(['__proto__', 'prototype', 'constructor']);

/** `leads[add][0][id]` -> ['leads', 'add', '0', 'id']; undefined for anything else. */
export function bracketPath(key: string): string[] | undefined {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match?.[1]) return undefined;
  const segments = [match[1], ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1] ?? '')];
  if (segments.length > MAX_DEPTH || segments.some((segment) => forbiddenKeys.has(segment))) return undefined;
  return segments;
}

function treeOf(entries: Iterable<[string, string]>): WebhookTree {
  const root: WebhookTree = Object.create(null) as WebhookTree;
  let count = 0;
  for (const [key, value] of entries) {
    if (++count > MAX_ENTRIES) break;
    const path = bracketPath(key);
    if (!path) continue;
    let node = root;
    for (const [index, segment] of path.entries()) {
      // `values[0][]` style empty segments append, as PHP does.
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (index === path.length - 1) {
        if (typeof node[name] !== 'object') node[name] = value;
        break;
      }
      const next = node[name];
      if (typeof next === 'object') {
        node = next;
      } else {
        const child: WebhookTree = Object.create(null) as WebhookTree;
        node[name] = child;
        node = child;
      }
    }
  }
  return root;
}

/** Entries of a bracket tree in index order: `0`, `1`, ..., `10` (not `0`, `1`, `10`, `2`). */
function indexed(tree: WebhookTree): WebhookTree[] {
  return Object.keys(tree)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => tree[key])
    .filter((item): item is WebhookTree => typeof item === 'object');
}

export function parseAmocrmWebhook(entries: Iterable<[string, string]>): AmocrmWebhook {
  const tree = treeOf(entries);
  const account = typeof tree.account === 'object' ? tree.account : undefined;
  const events: AmocrmWebhookEvent[] = [];
  for (const [entity, actions] of Object.entries(tree)) {
    if (entity === 'account' || typeof actions !== 'object') continue;
    for (const [action, items] of Object.entries(actions)) {
      if (typeof items !== 'object') continue;
      for (const fields of indexed(items)) {
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
