/**
 * Real-browser tests: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * and a loopback test site that serves pages and `t.js` and stands in for the collector.
 *
 * One browser per test file (`launchBrowser` in `before`), a fresh context per test
 * (`browser.newContext()`), so no cookie or storage leaks from one test into the next.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from './repoRoot.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `extraArgs`: more Chromium switches (e.g. `--host-resolver-rules` to serve a CRM's host name on loopback). */
export function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

/** One request that reached the test site's `POST /collect`. */
export interface CollectedRequest {
  readonly body: Record<string, unknown>;
  readonly contentType: string | undefined;
  readonly cookie: string | undefined;
  readonly host: string | undefined;
}

export interface TestSite {
  /** `http://127.0.0.1:PORT`; any `http://*.localhost:PORT` reaches the same site (Chromium resolves `.localhost` to loopback). */
  readonly origin: string;
  readonly port: number;
  /** What reached `POST /collect`, in arrival order. */
  readonly collected: CollectedRequest[];
  /** Serves `html` at `pathname` (any query string); other paths get `defaultPage`. */
  setPage(pathname: string, html: string): void;
  /** Forgets pages and collected requests: call it before each test. */
  reset(): void;
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`, listing what did. */
  waitForCollected(count: number, timeoutMs?: number): Promise<CollectedRequest[]>;
  close(): Promise<void>;
}

/**
 * A site on 127.0.0.1, port 0: `GET /t.js` is the built tracker (dist/tracker/t.js), other GETs
 * are HTML pages, `POST /collect` records the JSON body and answers 204 like the real collector.
 */
export async function startTestSite(defaultPage: string): Promise<TestSite> {
  const trackerPath = path.join(repoRoot, 'dist/tracker/t.js');
  const pages = new Map<string, string>();
  const collected: CollectedRequest[] = [];
  const waiters = new Set<() => void>();

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://test.invalid');
    if (request.method === 'POST' && url.pathname === '/collect') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        collected.push({
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          contentType: request.headers['content-type'],
          cookie: request.headers.cookie,
          host: request.headers.host,
        });
        response.writeHead(204).end();
        for (const wake of waiters) wake();
      });
      return;
    }
    if (url.pathname === '/t.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' });
      response.end(fs.readFileSync(trackerPath));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(pages.get(url.pathname) ?? defaultPage);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    collected,
    setPage: (pathname, html) => pages.set(pathname, html),
    reset() {
      pages.clear();
      collected.length = 0;
    },
    waitForCollected(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (collected.length < count) return;
          cleanUp();
          resolve([...collected]);
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`expected ${count} requests at /collect, got ${collected.length}: ${JSON.stringify(collected.map((item) => item.body))}`));
        }, timeoutMs);
        const cleanUp = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
