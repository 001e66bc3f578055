/** Helpers for tests against the Bitrix24 emulator: REST calls and a handler that records POSTs. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePhpQuery, type PhpValue } from '../../integrations/bitrix24/emulator/phpQuery.js';
import type { NewPortal } from '../../integrations/bitrix24/emulator/portals.js';
import { startBitrix24Emulator, type Bitrix24Emulator, type EmulatedPortal, type StartBitrix24Options } from '../../integrations/bitrix24/emulator/server.js';

export interface RestAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POSTs `params` as JSON (or form-encoded when `form` is set) to `{restUrl}{method}`. */
export async function restCall(restUrl: string, method: string, params: Record<string, unknown> = {}, form?: string): Promise<RestAnswer> {
  const response = await fetch(`${restUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': form === undefined ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: form ?? JSON.stringify(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

/** An emulator with portal `acme` and an app installed there, and a REST call with the app's token. */
export interface AcmePortal {
  emulator: Bitrix24Emulator;
  acme: EmulatedPortal;
  auth: string;
  call(method: string, params?: Record<string, unknown>): Promise<RestAnswer>;
}

export async function startAcmePortal(options: StartBitrix24Options, portal: Omit<NewPortal, 'name'> = {}): Promise<AcmePortal> {
  const emulator = await startBitrix24Emulator(options);
  const acme = emulator.setupPortal({ ...portal, name: 'acme' });
  const app = emulator.createApp('acme', { installUrl: 'https://app.example.com/install' });
  const auth = emulator.issueTokens('acme', app.clientId).access_token;
  return { emulator, acme, auth, call: (method, params = {}) => restCall(acme.restUrl, method, { ...params, auth }) };
}

export interface ReceivedPost {
  path: string;
  query: URLSearchParams;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body as PHP would see it. */
  fields: { [key: string]: PhpValue };
  /** Flat `key -> value` pairs in body order. */
  pairs: Array<[string, string]>;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT` — has a dot in the host, as event.bind requires. */
  url: string;
  received: ReceivedPost[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedPost[] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://receiver.invalid');
      received.push({ path: url.pathname, query: url.searchParams, raw, headers: request.headers, fields: parsePhpQuery(raw), pairs: [...new URLSearchParams(raw)] });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
