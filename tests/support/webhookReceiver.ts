/** Shared by the amoCRM emulator component tests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  /** Path and query string as requested. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  fields: Map<string, string>;
}

/** A webhook destination on 127.0.0.1 that records bodies and answers as scripted. */
export async function startReceiver(): Promise<{ url: string; received: Received[]; statuses: number[]; delayMs: number; close(): Promise<void> }> {
  const receiver = { url: '', received: [] as Received[], statuses: [] as number[], delayMs: 0, close: async () => {} };
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => {
      receiver.received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, raw, fields: new Map(new URLSearchParams(raw)) });
      const status = receiver.statuses.shift() ?? 200;
      setTimeout(() => {
        response.statusCode = status;
        response.end('ok');
      }, receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

