/**
 * Batch writes take a JSON array (amocrm.md 2.1). The hard size limit and the body of its error
 * are [UNCONFIRMED]; the limit is `options.maxBatchSize` and the answer a plain 400 problem.
 */
import { sendProblem } from '../responses.js';
import type { ApiContext } from './apiContext.js';

/** The array of items, or undefined once an error has been sent. */
export function readBatch(context: ApiContext): unknown[] | undefined {
  const { body, options, response } = context;
  if (!Array.isArray(body) || body.length === 0) {
    sendProblem(response, 400, 'Request body must be a non-empty array');
    return undefined;
  }
  if (body.length > options.maxBatchSize) {
    sendProblem(response, 400, `Too many entities in one request: ${body.length} > ${options.maxBatchSize}`);
    return undefined;
  }
  return body;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Responses echo `request_id`; without one the item's index is used, as in amocrm.md 2.3. */
export function requestIdOf(item: unknown, index: number): string {
  return isRecord(item) && typeof item['request_id'] === 'string' ? item['request_id'] : String(index);
}
