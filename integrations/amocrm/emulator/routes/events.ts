/**
 * `GET /api/v4/events` (amocrm.md 2.10, checklist 28): filters `filter[type]`, `filter[entity]`,
 * `filter[entity_id]` (≤ 10, needs exactly one entity), `filter[created_at]` (single = from, or
 * `[from]`/`[to]`), `filter[value_after][leads_statuses][i][pipeline_id|status_id]`; `limit` ≤ 100
 * on amoCRM and ≤ 250 on Kommo; 204 when nothing matches. Ordered by creation.
 */
import { pageLinks, pageOf, readPaging } from '../paging.js';
import { statusPairs } from '../leadFilters.js';
import { bracketValues } from '../query.js';
import { sendHal, sendNoContent, sendProblem, sendValidationErrors } from '../responses.js';
import type { AmoEvent } from '../state.js';
import type { ApiContext, ApiRoute } from './apiContext.js';

function eventBody(context: ApiContext, event: AmoEvent, selfQuery: string): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    entity_id: event.entityId,
    entity_type: event.entityType,
    created_by: event.createdBy,
    created_at: event.createdAt,
    value_after: event.valueAfter,
    value_before: event.valueBefore,
    account_id: event.accountId,
    _links: { self: { href: `${context.baseUrl}/api/v4/events/${event.id}${selfQuery}` } },
  };
}

function listEvents(context: ApiContext): void {
  const { query } = context;
  const types = new Set(bracketValues(query, 'filter[type]').flatMap((value) => value.split(',')));
  const entityNames = bracketValues(query, 'filter[entity]').flatMap((value) => value.split(','));
  const entityIds = new Set(bracketValues(query, 'filter[entity_id]').flatMap((value) => value.split(',')).map(Number));
  if (entityIds.size > 10 || (entityIds.size > 0 && entityNames.length !== 1)) {
    const detail = entityIds.size > 10 ? 'This collection should contain 10 elements or less.' : 'filter[entity_id] requires exactly one filter[entity].';
    return sendValidationErrors(context.response, [{ request_id: '0', errors: [{ code: 'NotSupportedChoice', path: 'filter.entity_id', detail }] }]);
  }
  const entities = new Set(entityNames);
  const createdAt = query.get('filter[created_at]');
  const from = Number(query.get('filter[created_at][from]') ?? createdAt ?? Number.NEGATIVE_INFINITY);
  const to = Number(query.get('filter[created_at][to]') ?? Number.POSITIVE_INFINITY);
  const statuses = statusPairs(query, 'filter[value_after][leads_statuses]');
  const events = context.state.events.filter((event) => {
    if (event.accountId !== context.account.id) return false;
    if (types.size > 0 && !types.has(event.type)) return false;
    if (entities.size > 0 && !entities.has(event.entityType)) return false;
    if (entityIds.size > 0 && !entityIds.has(event.entityId)) return false;
    if (event.createdAt < from || event.createdAt > to) return false;
    if (statuses.length > 0) {
      const after = (event.valueAfter[0] as { lead_status?: { id: number; pipeline_id: number } } | undefined)?.lead_status;
      if (!after) return false;
      return statuses.some((pair) => (pair.pipelineId === undefined || pair.pipelineId === after.pipeline_id) && (pair.statusId === undefined || pair.statusId === after.id));
    }
    return true;
  });
  const cap = context.options.maxEventsPageLimit[context.account.platform];
  const paging = readPaging(query, { ...context.options, maxPageLimit: cap, defaultPageLimit: Math.min(context.options.defaultPageLimit, cap) });
  const page = pageOf(events, paging);
  if (page.items.length === 0) return sendNoContent(context.response);
  const queryString = query.toString();
  const selfQuery = queryString === '' ? '' : `?${queryString}`;
  sendHal(context.response, 200, {
    _page: paging.page,
    _links: pageLinks(`${context.baseUrl}/api/v4/events`, query, paging, page.hasNext),
    _embedded: { events: page.items.map((event) => eventBody(context, event, selfQuery)) },
  });
}

function getEvent(context: ApiContext, [id]: string[]): void {
  const event = context.state.events.find((candidate) => candidate.id === id && candidate.accountId === context.account.id);
  if (!event) return sendProblem(context.response, 404, 'Event not found');
  sendHal(context.response, 200, eventBody(context, event, ''));
}

export const eventRoutes: ApiRoute[] = [
  { method: 'GET', path: /^\/api\/v4\/events$/, handler: listEvents },
  { method: 'GET', path: /^\/api\/v4\/events\/([0-9a-z]{26})$/, handler: getEvent },
];
