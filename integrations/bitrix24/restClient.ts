/**
 * One HTTP request to a Bitrix24 portal's REST API (bitrix24.md 4.1-4.3): `POST {client_endpoint}{method}`
 * with a JSON body carrying `auth`, the success envelope `{result, next, total, time}`, and every
 * failure translated once into a `CrmError`. `batch` (3.11) sends up to 50 commands in one request
 * and returns each command's result or error. Pacing, tokens and retries are the caller's.
 */
import { CrmError } from '../crmError.js';
import { encodeForm, type FormInput } from '../formBrackets.js';
import { translateBitrix24Error } from './errors.js';

export interface RestAnswer<T> {
  result: T;
  next?: number;
  total?: number;
}

export interface BatchCommand {
  method: string;
  params: { readonly [key: string]: FormInput };
}

export interface BatchAnswer {
  results: Map<string, unknown>;
  totals: Map<string, number>;
  /** Commands that failed: their error body, as `result_error` holds it. */
  errors: Map<string, { error?: unknown; error_description?: unknown }>;
}

export interface Bitrix24RestOptions {
  /** `client_endpoint`, ending in `/`. */
  endpoint: string;
  timeoutMs: number;
  onResponse?: (status: number | undefined) => void;
}

/** PHP encodes an empty map as `[]` and a 0..n-1 map as an array (3.11). */
function mapOf(value: unknown): Map<string, unknown> {
  if (Array.isArray(value)) return new Map(value.map((item, index) => [String(index), item]));
  if (value && typeof value === 'object') return new Map(Object.entries(value));
  return new Map();
}

/** `method?query` as a batch command string (query encoded as PHP's `http_build_query`). */
export function commandText(command: BatchCommand): string {
  const query = encodeForm(command.params);
  return query === '' ? command.method : `${command.method}?${query}`;
}

export class Bitrix24Rest {
  constructor(private readonly options: Bitrix24RestOptions) {}

  async call<T>(accessToken: string, method: string, params: Record<string, unknown> = {}): Promise<RestAnswer<T>> {
    const { endpoint, timeoutMs, onResponse } = this.options;
    let response: Response;
    try {
      response = await fetch(`${endpoint}${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ ...params, auth: accessToken }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      onResponse?.(undefined);
      throw new CrmError(translateBitrix24Error(undefined, undefined));
    }
    onResponse?.(response.status);
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new CrmError(translateBitrix24Error(response.status, text));
    let body: { result?: T; next?: unknown; total?: unknown; error?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new CrmError({ code: 'UNKNOWN', status: response.status, message: `Bitrix24 answered ${method} with something other than JSON` });
    }
    if (body.error !== undefined) throw new CrmError(translateBitrix24Error(response.status, body));
    return {
      result: body.result as T,
      ...(typeof body.next === 'number' ? { next: body.next } : {}),
      ...(typeof body.total === 'number' ? { total: body.total } : {}),
    };
  }

  /** Up to 50 commands in one request; `halt` stops at the first failing one. */
  async batch(accessToken: string, commands: ReadonlyMap<string, BatchCommand>, halt: boolean): Promise<BatchAnswer> {
    const cmd = Object.fromEntries([...commands].map(([key, command]) => [key, commandText(command)]));
    const answer = await this.call<{ result?: unknown; result_error?: unknown; result_total?: unknown }>(accessToken, 'batch', { halt: halt ? 1 : 0, cmd });
    const totals = new Map<string, number>();
    for (const [key, value] of mapOf(answer.result?.result_total)) if (Number.isFinite(Number(value))) totals.set(key, Number(value));
    return {
      results: mapOf(answer.result?.result),
      totals,
      errors: mapOf(answer.result?.result_error) as BatchAnswer['errors'],
    };
  }
}

/** The failure of a batch command, translated; inner errors have no status of their own. */
export function commandFailure(error: { error?: unknown; error_description?: unknown }) {
  const code = String(error.error ?? '');
  const status = code === 'OPERATION_TIME_LIMIT' ? 429 : code === 'QUERY_LIMIT_EXCEEDED' ? 503 : code === 'expired_token' || code === 'insufficient_scope' ? 401 : 400;
  return translateBitrix24Error(status, error);
}
