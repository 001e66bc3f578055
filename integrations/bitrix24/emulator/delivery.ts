/**
 * Outgoing POSTs to the app: event deliveries (bitrix24.md 2.2, 2.3) and the install and widget
 * calls (1.3, 1.4, 5.3). Bodies are form-encoded with PHP bracket keys, every value a string.
 * Events leave a queue after `eventDelayMs` (real time), are never retried, and every attempt is
 * recorded for tests; faults may drop, duplicate or hold back (clock time, sent by `runDue()`) an
 * event. Install and widget calls are direct and answer with what the app returned.
 *
 * The handler's time (`eventTimeoutMs`) runs from when its request gets a connection — the time a
 * handler takes to answer — not from when the event was queued: the file's queue server delivers
 * from its own machines and calls slow handlers with lower priority and longer pauses (2.2), so its
 * own backlog is not the handler's. At most `eventConcurrency` requests are in flight at once
 * (kept-alive connections); the rest wait in the queue.
 */
import http from 'node:http';
import https from 'node:https';
import type { EmulatorClock } from '../../amocrm/emulator/clock.js';
import type { FaultInjector } from '../../amocrm/emulator/faults.js';
import type { Bitrix24EmulatorOptions } from './options.js';

export interface DeliveryAttempt {
  /** `event_handler_id`, or 0 for install-URL and widget calls. */
  handlerId: number;
  event: string;
  url: string;
  body: string;
  /** HTTP status, or `timeout` / `error` when no answer came, `dropped` by a fault. */
  outcome: number | 'timeout' | 'error' | 'dropped';
  atMs: number;
}

export interface DirectAnswer {
  status: number;
  text: string;
}

interface Pending {
  handlerId: number;
  event: string;
  url: string;
  body: string;
  dueAtMs: number;
}

export class Delivery {
  /** Every attempt, in order. */
  readonly attempts: DeliveryAttempt[] = [];
  private pending: Pending[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly clock: EmulatorClock,
    private readonly options: Bitrix24EmulatorOptions,
    private readonly faults: FaultInjector,
  ) {
    const maxSockets = options.eventConcurrency > 0 ? options.eventConcurrency : Infinity;
    this.agents = { http: new http.Agent({ keepAlive: true, maxSockets }), https: new https.Agent({ keepAlive: true, maxSockets }) };
  }

  /** Queues one event body for one handler (file 2.2: asynchronous, no retries). */
  enqueueEvent(handlerId: number, event: string, url: string, body: string): void {
    if (this.closed) return;
    if (this.faults.next('webhookDrop')) {
      this.attempts.push({ handlerId, event, url, body, outcome: 'dropped', atMs: this.clock.now() });
      return;
    }
    const copies = this.faults.next('webhookDuplicate') ? 2 : 1;
    const delayed = this.faults.next('webhookDelay');
    for (let copy = 0; copy < copies; copy += 1) {
      const job: Pending = { handlerId, event, url, body, dueAtMs: this.clock.now() + (delayed ? this.options.faults.webhookDelayMs : 0) };
      if (delayed) this.pending.push(job);
      else this.track(this.later(this.options.eventDelayMs).then(() => this.send(job)));
    }
  }

  /** Sends events held back by the delay fault once the clock has reached them. */
  runDue(): void {
    const now = this.clock.now();
    const due = this.pending.filter((job) => job.dueAtMs <= now);
    this.pending = this.pending.filter((job) => job.dueAtMs > now);
    for (const job of due) this.track(this.send(job));
  }

  /** Resolves when no delivery is queued or in flight (held-back ones excepted). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** An install or widget call: POST now and return the app's answer. */
  async post(event: string, url: string, body: string): Promise<DirectAnswer> {
    const promise = this.request(url, body);
    this.track(promise);
    const { outcome, text } = await promise;
    this.attempts.push({ handlerId: 0, event, url, body, outcome, atMs: this.clock.now() });
    if (typeof outcome !== 'number') throw new Error(`${event} POST to ${url} failed: ${outcome}`);
    return { status: outcome, text };
  }

  close(): void {
    this.closed = true;
    this.pending = [];
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private later(ms: number): Promise<void> {
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async send(job: Pending): Promise<void> {
    if (this.closed) return;
    const { outcome } = await this.request(job.url, job.body);
    this.attempts.push({ handlerId: job.handlerId, event: job.event, url: job.url, body: job.body, outcome, atMs: this.clock.now() });
  }

  /** One POST; redirects are not followed. Its time starts once it has a connection (see above). */
  private request(url: string, body: string): Promise<{ outcome: DeliveryAttempt['outcome']; text: string }> {
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: DeliveryAttempt['outcome'], text = '') => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve({ outcome, text });
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        finish('error');
        return;
      }
      const secure = target.protocol === 'https:';
      const payload = Buffer.from(body);
      const request = (secure ? https : http).request(target, {
        method: 'POST',
        agent: secure ? this.agents.https : this.agents.http,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': payload.length, 'user-agent': this.options.eventUserAgent },
      });
      request.once('socket', () => {
        timer = setTimeout(() => {
          finish('timeout');
          request.destroy();
        }, this.options.eventTimeoutMs);
      });
      request.once('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => finish(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        response.once('error', () => finish('error'));
      });
      request.once('error', () => finish('error'));
      request.end(payload);
    });
  }
}
