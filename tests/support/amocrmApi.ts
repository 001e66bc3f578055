/** Calls to an (emulated) amoCRM account's REST API v4, as the emulator's own tests make them. */
import assert from 'node:assert/strict';

export interface AmocrmApiInit {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** `path` under `/api/v4` of the account at `baseUrl`, with the bearer token and a JSON body. */
export function amocrmApi(baseUrl: string, token: string, path: string, init: AmocrmApiInit = {}): Promise<Response> {
  return fetch(`${baseUrl}/api/v4${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

/** The response's JSON, after checking its status (the body is in the failure message). */
export async function expectJson<T>(response: Response, status = 200): Promise<T> {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}
