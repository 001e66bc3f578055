/**
 * Delivery of outgoing webhooks (amocrm.md 4.1, 4.3): POST form-encoded with
 * `User-Agent: amoCRM-Webhooks/3.0` and `X-Amocrm-Requestid`; success is any 2xx within the
 * timeout; failures are retried on a schedule read from the injected clock (due retries go out on
 * `runDue()`, which a timer calls every `webhookPollMs` and tests call after `clock.advance`); more
 * than N failures to one subscription within a window set `disabled: true`.
 */
import { randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.js';
import type { FaultInjector } from './faults.js';
import type { EmulatorOptions } from './options.js';
import type { EmulatorState, WebhookSubscription } from './state.js';

export interface DeliveryAttempt {
  webhookId: number;
  destination: string;
  requestId: string;
  attempt: number;
  /** HTTP status, or `timeout` / `error` when no answer came. */
  outcome: number | 'timeout' | 'error' | 'dropped';
  atMs: number;
}

interface Job {
  webhook: WebhookSubscription;
  body: string;
  requestId: string;
  attempt: number;
  dueAtMs: number;
}

export class WebhookDispatcher {
  /** Every attempt made, in order, for tests to inspect. */
  readonly attempts: DeliveryAttempt[] = [];
  private pending: Job[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly state: EmulatorState,
    private readonly clock: EmulatorClock,
    private readonly options: EmulatorOptions,
    private readonly faults: FaultInjector,
  ) {
    this.timer = setInterval(() => this.runDue(), options.webhookPollMs);
    this.timer.unref();
  }

  /** Queues one body for a subscription and starts the first attempt at once. */
  enqueue(webhook: WebhookSubscription, body: string): void {
    if (this.faults.next('webhookDrop')) {
      this.attempts.push({ webhookId: webhook.id, destination: webhook.destination, requestId: '', attempt: 1, outcome: 'dropped', atMs: this.clock.now() });
      return;
    }
    const copies = this.faults.next('webhookDuplicate') ? 2 : 1;
    const delayed = this.faults.next('webhookDelay');
    for (let copy = 0; copy < copies; copy += 1) {
      const job: Job = { webhook, body, requestId: randomUUID(), attempt: 1, dueAtMs: this.clock.now() };
      if (delayed) this.pending.push({ ...job, dueAtMs: job.dueAtMs + this.options.faults.webhookDelayMs });
      else this.start(job);
    }
  }

  /** Sends every retry that is due by the clock. */
  runDue(): void {
    const now = this.clock.now();
    const due = this.pending.filter((job) => job.dueAtMs <= now);
    this.pending = this.pending.filter((job) => job.dueAtMs > now);
    for (const job of due) this.start(job);
  }

  /** Resolves once no attempt is in flight (retries not yet due stay queued). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Retries waiting for their time. */
  get queued(): number {
    return this.pending.length;
  }

  close(): void {
    clearInterval(this.timer);
    this.pending = [];
  }

  private start(job: Job): void {
    if (job.webhook.disabled || !this.state.webhooks.has(job.webhook.id)) return;
    const promise = this.attempt(job).finally(() => this.inFlight.delete(promise));
    this.inFlight.add(promise);
  }

  private async attempt(job: Job): Promise<void> {
    const { webhook } = job;
    let outcome: DeliveryAttempt['outcome'];
    try {
      const response = await fetch(webhook.destination, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'amoCRM-Webhooks/3.0',
          'x-amocrm-requestid': job.requestId,
        },
        body: job.body,
        signal: AbortSignal.timeout(this.options.webhookTimeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      outcome = response.status;
    } catch (error) {
      outcome = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timeout' : 'error';
    }
    const now = this.clock.now();
    this.attempts.push({ webhookId: webhook.id, destination: webhook.destination, requestId: job.requestId, attempt: job.attempt, outcome, atMs: now });
    if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) return;
    this.recordFailure(webhook, now);
    const delay = this.options.webhookRetryDelaysMs[job.attempt - 1];
    if (delay !== undefined && !webhook.disabled) this.pending.push({ ...job, attempt: job.attempt + 1, dueAtMs: now + delay });
  }

  private recordFailure(webhook: WebhookSubscription, now: number): void {
    const windowStart = now - this.options.webhookDisableWindowMs;
    webhook.failureTimesMs = [...webhook.failureTimesMs.filter((time) => time > windowStart), now];
    if (webhook.failureTimesMs.length > this.options.webhookDisableAfterFailures) {
      webhook.disabled = true;
      webhook.updatedAt = Math.floor(now / 1000);
    }
  }
}
