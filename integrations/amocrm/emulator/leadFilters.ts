/**
 * `GET /api/v4/leads` filters, `query` and `order` (amocrm.md 2.3 "List", checklist 17):
 * `filter[id|name|price|created_by|updated_by|responsible_user_id|pipeline_id]` (one or many),
 * `filter[created_at|updated_at|closed_at|closest_task_at][from|to]`,
 * `filter[statuses][i][pipeline_id|status_id]` (pairs), `query` (name, custom field values, and
 * the phones/e-mails/names of linked contacts, phones by digits), `order[created_at|updated_at|id]`,
 * and `filter[custom_fields_values][{field_id}]` (one value, several with `[]`, or `[from]`/`[to]`).
 */
import { contactMatchesQuery } from './routes/contacts.js';
import type { EmulatorOptions } from './options.js';
import { bracketValues } from './query.js';
import type { EmulatorState, Lead } from './state.js';

const listFilters: Array<[string, (lead: Lead) => string]> = [
  ['id', (lead) => String(lead.id)],
  ['name', (lead) => lead.name],
  ['price', (lead) => String(lead.price)],
  ['created_by', (lead) => String(lead.createdBy)],
  ['updated_by', (lead) => String(lead.updatedBy)],
  ['responsible_user_id', (lead) => String(lead.responsibleUserId)],
  ['pipeline_id', (lead) => String(lead.pipelineId)],
];

const rangeFilters: Array<[string, (lead: Lead) => number | null]> = [
  ['created_at', (lead) => lead.createdAt],
  ['updated_at', (lead) => lead.updatedAt],
  ['closed_at', (lead) => lead.closedAt],
  ['closest_task_at', (lead) => lead.closestTaskAt],
];

/**
 * `<prefix>[n][pipeline_id]` / `<prefix>[n][status_id]` pairs of a query, e.g. `filter[statuses]`
 * for leads and `filter[value_after][leads_statuses]` for events.
 */
export function statusPairs(query: URLSearchParams, prefix = 'filter[statuses]'): Array<{ pipelineId?: number; statusId?: number }> {
  const pairs = new Map<string, { pipelineId?: number; statusId?: number }>();
  const escaped = prefix.replace(/[[\]]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}\\[(\\d+)\\]\\[(pipeline_id|status_id)\\]$`);
  for (const [key, value] of query) {
    const match = pattern.exec(key);
    if (!match?.[1]) continue;
    const pair = pairs.get(match[1]) ?? {};
    if (match[2] === 'pipeline_id') pair.pipelineId = Number(value);
    else pair.statusId = Number(value);
    pairs.set(match[1], pair);
  }
  return [...pairs.values()];
}

function leadMatchesQuery(state: EmulatorState, options: EmulatorOptions, lead: Lead, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (needle === '') return true;
  if (lead.name.toLowerCase().includes(needle)) return true;
  const values = lead.customFieldsValues.flatMap((entry) => entry.values.map((stored) => String(stored.value).toLowerCase()));
  if (values.some((value) => value.includes(needle))) return true;
  return lead.contacts.some((link) => {
    const contact = state.contacts.get(link.id);
    return contact !== undefined && contactMatchesQuery(state, options, contact, search);
  });
}

interface FieldFilter {
  fieldId: number;
  values: string[];
  from?: number;
  to?: number;
}

/**
 * `filter[custom_fields_values][{field_id}]=v`, `...[{field_id}][]=v` (any of) and
 * `...[{field_id}][from|to]` (a range), as the SDK's LeadsFilter builds them.
 */
export function customFieldFilters(query: URLSearchParams): FieldFilter[] {
  const filters = new Map<number, FieldFilter>();
  const pattern = /^filter\[custom_fields_values\]\[(\d+)\](?:\[(from|to|\d*)\])?$/;
  for (const [key, value] of query) {
    const match = pattern.exec(key);
    if (!match?.[1]) continue;
    const fieldId = Number(match[1]);
    const filter = filters.get(fieldId) ?? { fieldId, values: [] };
    if (match[2] === 'from') filter.from = Number(value);
    else if (match[2] === 'to') filter.to = Number(value);
    else filter.values.push(value);
    filters.set(fieldId, filter);
  }
  return [...filters.values()];
}

/** A value matches by its text or, for list fields, by its enum id. */
function leadMatchesField(lead: Lead, filter: FieldFilter): boolean {
  const stored = lead.customFieldsValues.find((entry) => entry.fieldId === filter.fieldId)?.values ?? [];
  return stored.some((value) => {
    if (filter.from !== undefined || filter.to !== undefined) {
      const number = Number(value.value);
      return Number.isFinite(number) && (filter.from === undefined || number >= filter.from) && (filter.to === undefined || number <= filter.to);
    }
    return filter.values.some((wanted) => String(value.value) === wanted || (value.enumId !== undefined && String(value.enumId) === wanted));
  });
}

export function filterLeads(state: EmulatorState, options: EmulatorOptions, query: URLSearchParams, leads: Lead[]): Lead[] {
  let result = leads;
  for (const [name, read] of listFilters) {
    const wanted = new Set(bracketValues(query, `filter[${name}]`).flatMap((value) => value.split(',')));
    if (wanted.size > 0) result = result.filter((lead) => wanted.has(read(lead)));
  }
  for (const [name, read] of rangeFilters) {
    const from = query.get(`filter[${name}][from]`);
    const to = query.get(`filter[${name}][to]`);
    if (from === null && to === null) continue;
    result = result.filter((lead) => {
      const value = read(lead);
      return value !== null && (from === null || value >= Number(from)) && (to === null || value <= Number(to));
    });
  }
  const pairs = statusPairs(query);
  if (pairs.length > 0) {
    result = result.filter((lead) => pairs.some((pair) => (pair.pipelineId === undefined || pair.pipelineId === lead.pipelineId) && (pair.statusId === undefined || pair.statusId === lead.statusId)));
  }
  for (const filter of customFieldFilters(query)) result = result.filter((lead) => leadMatchesField(lead, filter));
  const search = query.get('query');
  if (search !== null) result = result.filter((lead) => leadMatchesQuery(state, options, lead, search));
  const orderKey = (['created_at', 'updated_at', 'id'] as const).find((key) => query.has(`order[${key}]`));
  const direction = orderKey && query.get(`order[${orderKey}]`) === 'desc' ? -1 : 1;
  const sortValue = (lead: Lead) => (orderKey === 'created_at' ? lead.createdAt : orderKey === 'updated_at' ? lead.updatedAt : lead.id);
  return [...result].sort((left, right) => direction * (sortValue(left) - sortValue(right)) || left.id - right.id);
}
