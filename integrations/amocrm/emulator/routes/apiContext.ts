/** What every `/api/v4` handler receives once the account and the token are known. */
import type { ServerResponse } from 'node:http';
import type { EmulatorClock } from '../clock.js';
import type { Notify } from '../notify.js';
import type { EmulatorOptions } from '../options.js';
import type { Account, EmulatorState } from '../state.js';

export interface ApiContext {
  state: EmulatorState;
  clock: EmulatorClock;
  options: EmulatorOptions;
  account: Account;
  /** `https://acme.amocrm.ru` on the real service; here the address the request came in on. */
  baseUrl: string;
  query: URLSearchParams;
  body: unknown;
  response: ServerResponse;
  /** The integration whose token made the request. */
  clientId: string;
  /** Records events and sends webhooks for changed leads and contacts. */
  notify: Notify;
}

export type ApiHandler = (context: ApiContext, pathParams: string[]) => void;

export interface ApiRoute {
  method: string;
  path: RegExp;
  handler: ApiHandler;
}
