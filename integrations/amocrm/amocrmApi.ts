/**
 * One HTTP request to amoCRM's REST API v4 (amocrm.md 2.1, 1.9): bearer token, JSON bodies, HAL
 * answers, 204 for "nothing found", and every failure translated once into a `CrmError`. Pacing,
 * tokens and retries are the caller's (`CrmAccess`), so this stays a plain request.
 */
import { CrmError } from '../crmError.js';
import { translateAmocrmError } from './errors.js';

export interface AmocrmApiOptions {
  /** `https://<account host>` or AMOCRM_BASE_URL. */
  baseUrl: string;
  timeoutMs?: number;
  /** Told the HTTP status of every call (undefined when no answer came), for metrics. */
  onResponse?: (status: number | undefined) => void;
}

export type QueryValue = string | number | ReadonlyArray<string | number>;

export const USER_AGENT = 'LongFunnel (+https://github.com/longfunnel/longfunnel)';

export class AmocrmApi {
  constructor(private readonly options: AmocrmApiOptions) {}

  /** Resolves with the parsed body, or `undefined` for 204 (an empty list or a search miss). */
  async request<T>(accessToken: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, options: { query?: Record<string, QueryValue>; body?: unknown } = {}): Promise<T | undefined> {
    const { baseUrl, timeoutMs = 15_000, onResponse } = this.options;
    const url = new URL(`${baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
      else url.searchParams.set(key, String(value));
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/hal+json, application/json',
          'user-agent': USER_AGENT,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      onResponse?.(undefined);
      throw new CrmError(translateAmocrmError(undefined, undefined));
    }
    onResponse?.(response.status);
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new CrmError(translateAmocrmError(response.status, text));
    if (response.status === 204 || text === '') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CrmError({ code: 'UNKNOWN', status: response.status, message: `amoCRM answered ${method} ${path} with something other than JSON` });
    }
  }
}
