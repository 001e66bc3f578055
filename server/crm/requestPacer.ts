/**
 * Keeps the requests to one CRM account within its rate limit, across every worker process.
 *
 * Requests are spaced at least `intervalMs` apart, measured when they are sent: a request goes out
 * only once the previous one to the same account left `intervalMs` ago, and the next may follow
 * `intervalMs` after it. Evenly spaced requests stay under a per-second limit however the CRM counts
 * it — amoCRM counts 7 per second on a sliding window; counting limiters with fixed windows (such as
 * rate-limiter-flexible's) let 7 requests through at the end of one window and 7 at the start of the
 * next, 14 within one second, and bursts bunch further on the way. Checking when sending (rather than
 * reserving a slot in advance and sleeping until it) means a process whose event loop stalls sends
 * late instead of sending right on top of the next request. The interval is a little longer than
 * 1/rate, for the few milliseconds of jitter between our send and the CRM's count.
 *
 * With Redis the schedule lives there, shared by all workers, timed by Redis's own clock; on the
 * embedded defaults one process does all the work, so the schedule lives in memory.
 */
import type { Redis } from 'ioredis';

export interface RequestRate {
  /** Least time between two requests to one account. */
  intervalMs: number;
}

export interface RequestPacer {
  /** Resolves when the caller may send one request to `key` (and counts it as sent). */
  wait(key: string, rate: RequestRate): Promise<void>;
  /** Sends nothing to `key` for `delayMs` (after a 429: let the CRM's window drain). */
  holdOff(key: string, delayMs: number): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** 0 when the request may go now (the next may go `interval` later), else how many ms to wait. */
const acquireScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local held = redis.call('PTTL', KEYS[2])
if held > 0 then return held end
local interval = tonumber(ARGV[1])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < next_at then return next_at - now end
redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000)
return 0
`;

export class RedisRequestPacer implements RequestPacer {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async wait(key: string, rate: RequestRate): Promise<void> {
    for (;;) {
      const waitMs = Number(
        await this.redis.eval(acquireScript, 2, `${this.keyPrefix}${key}`, `${this.keyPrefix}${key}:hold`, String(rate.intervalMs)),
      );
      if (waitMs <= 0) return;
      await sleep(waitMs);
    }
  }

  async holdOff(key: string, delayMs: number): Promise<void> {
    const holdKey = `${this.keyPrefix}${key}:hold`;
    const current = await this.redis.pttl(holdKey);
    if (current < delayMs) await this.redis.set(holdKey, '1', 'PX', Math.max(1, Math.round(delayMs)));
  }
}

export class LocalRequestPacer implements RequestPacer {
  private readonly nextAt = new Map<string, number>();
  private readonly heldUntil = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly pause: (ms: number) => Promise<void> = sleep,
  ) {}

  async wait(key: string, rate: RequestRate): Promise<void> {
    for (;;) {
      const waitMs = this.acquire(key, rate);
      if (waitMs <= 0) return;
      await this.pause(waitMs);
    }
  }

  async holdOff(key: string, delayMs: number): Promise<void> {
    const until = this.now() + delayMs;
    if (until > (this.heldUntil.get(key) ?? 0)) this.heldUntil.set(key, until);
  }

  private acquire(key: string, rate: RequestRate): number {
    const now = this.now();
    const held = (this.heldUntil.get(key) ?? 0) - now;
    if (held > 0) return held;
    const next = this.nextAt.get(key) ?? 0;
    if (now < next) return next - now;
    this.nextAt.set(key, now + rate.intervalMs);
    return 0;
  }
}

/**
 * `perSecond` requests a second as spacing: a little over 1000/rate ms, so that a few ms of jitter
 * between our send and the CRM's count never puts one request too many into its second.
 */
export function rateOf(perSecond: number, marginMs = 20): RequestRate {
  return { intervalMs: Math.ceil(1000 / perSecond) + marginMs };
}
