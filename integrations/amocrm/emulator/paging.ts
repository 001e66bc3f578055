/**
 * Paged collections (amocrm.md 2.1, checklist 13-15): `page` is 1-based, `limit` is capped,
 * `_links.next` appears only while another page exists, and an empty page answers 204.
 */
import type { EmulatorOptions } from './options.js';
import { sendHal, sendNoContent } from './responses.js';
import type { ApiContext } from './routes/apiContext.js';

export interface Paging {
  page: number;
  limit: number;
}

function positiveInteger(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed >= 1 ? parsed : undefined;
}

export function readPaging(query: URLSearchParams, options: EmulatorOptions): Paging {
  const limit = positiveInteger(query.get('limit')) ?? options.defaultPageLimit;
  return { page: positiveInteger(query.get('page')) ?? 1, limit: Math.min(limit, options.maxPageLimit) };
}

export function pageOf<T>(items: T[], paging: Paging): { items: T[]; hasNext: boolean } {
  const start = (paging.page - 1) * paging.limit;
  return { items: items.slice(start, start + paging.limit), hasNext: items.length > start + paging.limit };
}

function pageHref(collectionUrl: string, query: URLSearchParams, paging: Paging, page: number): string {
  const params = new URLSearchParams(query);
  params.set('page', String(page));
  params.set('limit', String(paging.limit));
  return `${collectionUrl}?${params.toString()}`;
}

export function pageLinks(collectionUrl: string, query: URLSearchParams, paging: Paging, hasNext: boolean): Record<string, { href: string }> {
  const links: Record<string, { href: string }> = { self: { href: pageHref(collectionUrl, query, paging, paging.page) } };
  if (hasNext) links['next'] = { href: pageHref(collectionUrl, query, paging, paging.page + 1) };
  if (paging.page > 1) links['prev'] = { href: pageHref(collectionUrl, query, paging, paging.page - 1) };
  return links;
}

export interface ListAnswer<T> {
  /** The collection's path under the account, e.g. `/api/v4/leads`. */
  path: string;
  /** The key of the items in `_embedded`. */
  key: string;
  /** Whether this collection's answer carries `_total_items` (the items on this page). */
  totalItems?: boolean;
  render(item: T): unknown;
}

/** Answers one page of `items` as HAL, or 204 when the page is empty. */
export function sendPage<T>(context: ApiContext, items: T[], list: ListAnswer<T>): void {
  const paging = readPaging(context.query, context.options);
  const page = pageOf(items, paging);
  if (page.items.length === 0) return sendNoContent(context.response);
  sendHal(context.response, 200, {
    ...(list.totalItems ? { _total_items: page.items.length } : {}),
    _page: paging.page,
    _links: pageLinks(`${context.baseUrl}${list.path}`, context.query, paging, page.hasNext),
    _embedded: { [list.key]: page.items.map((item) => list.render(item)) },
  });
}
