/**
 * Routes under `{account}/_emulator/`: things the real amoCRM does inside its own web page that a
 * demo or test page needs over HTTP. Not part of amoCRM's API; no bearer token, not rate limited.
 *
 * `GET /_emulator/disposable_token?client_id=…[&user_id=…]` → `{"token": "<JWT>"}`: what
 * `$authorizedAjax` would put into `X-Auth-Token` for that user (amocrm.md 5.6). Answered with
 * `Access-Control-Allow-Origin: *` so a host page on another origin can fetch it.
 */
import type { ServerResponse } from 'node:http';
import type { EmulatorClock } from './clock.js';
import { DisposableTokenRefused, disposableTokenClaims, signDisposableToken } from './disposableToken.js';
import type { EmulatorOptions } from './options.js';
import { sendJson, sendProblem } from './responses.js';
import type { Account, EmulatorState } from './state.js';

export interface EmulatorRouteContext {
  state: EmulatorState;
  clock: EmulatorClock;
  options: EmulatorOptions;
  account: Account;
}

async function disposableToken(context: EmulatorRouteContext, query: URLSearchParams, response: ServerResponse): Promise<void> {
  const integration = context.state.integrations.get(query.get('client_id') ?? '');
  if (!integration) return sendProblem(response, 404, 'Integration not found');
  const userParam = query.get('user_id');
  if (userParam !== null && !/^\d+$/.test(userParam)) return sendProblem(response, 400, 'user_id must be a user id');
  try {
    const claims = disposableTokenClaims(context.state, context.clock, context.options, context.account, integration, userParam === null ? {} : { userId: Number(userParam) });
    sendJson(response, 200, { token: await signDisposableToken(claims, integration.clientSecret) });
  } catch (error) {
    if (error instanceof DisposableTokenRefused) return sendProblem(response, 400, error.message);
    throw error;
  }
}

export async function handleEmulatorRoute(
  context: EmulatorRouteContext,
  method: string,
  path: string,
  query: URLSearchParams,
  response: ServerResponse,
): Promise<void> {
  response.setHeader('Access-Control-Allow-Origin', '*');
  if (path === '/_emulator/disposable_token' && method === 'GET') return disposableToken(context, query, response);
  sendProblem(response, 404, 'Not Found');
}
