/**
 * Keeps the requests to one CRM account at or under its rate, across every worker process.
 *
 * Each request reserves the next free slot on the account's schedule — slots `intervalMs` apart —
 * and waits for it (the "generic cell rate algorithm" of network shaping). Evenly spaced slots stay
 * under a per-second limit however the CRM counts its window (amoCRM's 7 req/s is checked on a
 * sliding window, and two bursts at a fixed window's edge would break it; counting limiters such as
 * rate-limiter-flexible's fixed windows allow exactly that). With Redis the schedule lives there,
 * shared by all workers, and Redis's own clock orders it; on the embedded defaults one process does
 * all the work, so the schedule lives in memory.
 *
 * A CRM whose limit is a leaky bucket (Bitrix24: 50 requests, draining 2 a second) may be sent a
 * burst: with `burst` B the schedule may be booked up to B-1 slots ahead of now, which is exactly a
 * bucket of B draining one request per interval. `burst` 1 is the even spacing above.
 */
import type { Redis } from 'ioredis';

/** How requests to one account are spaced. */
export interface Pace {
  intervalMs: number;
  /** Requests that may go at once after a quiet period (1: evenly spaced only). */
  burst: number;
}

export interface RequestPacer {
  /** Resolves when the caller may send one request to `key`. */
  wait(key: string, pace: Pace): Promise<void>;
  /** No request to `key` for at least `delayMs` (after a "too many requests": let the CRM's bucket drain). */
  holdOff(key: string, delayMs: number, pace: Pace): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How far ahead of now the schedule may be booked. */
function aheadMs(pace: Pace): number {
  return Math.max(0, Math.floor(pace.burst) - 1) * pace.intervalMs;
}

/** The key holds the schedule's next free slot; returns how long the caller waits for its slot. */
const reserveScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local ahead = tonumber(ARGV[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_free)
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return math.max(0, slot - ahead - now)
`;

const holdOffScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > next_free then
  redis.call('SET', KEYS[1], until_ms, 'PX', until_ms - now + 60000)
end
return 0
`;

export class RedisRequestPacer implements RequestPacer {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async wait(key: string, pace: Pace): Promise<void> {
    const waitMs = Number(await this.redis.eval(reserveScript, 1, this.keyPrefix + key, String(pace.intervalMs), String(aheadMs(pace))));
    if (waitMs > 0) await sleep(waitMs);
  }

  async holdOff(key: string, delayMs: number, pace: Pace): Promise<void> {
    // The slots a burst may book ahead are used up too, or the whole burst would follow the pause.
    await this.redis.eval(holdOffScript, 1, this.keyPrefix + key, String(Math.round(delayMs + aheadMs(pace))));
  }
}

export class LocalRequestPacer implements RequestPacer {
  private readonly nextFree = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async wait(key: string, pace: Pace): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextFree.get(key) ?? 0);
    this.nextFree.set(key, slot + pace.intervalMs);
    const waitMs = slot - aheadMs(pace) - now;
    if (waitMs > 0) await sleep(waitMs);
  }

  async holdOff(key: string, delayMs: number, pace: Pace): Promise<void> {
    const until = this.now() + delayMs + aheadMs(pace);
    if (until > (this.nextFree.get(key) ?? 0)) this.nextFree.set(key, until);
  }
}

/**
 * The spacing for `perSecond` requests a second: a little over 1000/rate, so that timer and
 * network jitter of a few milliseconds cannot put rate+1 requests into one second of the CRM's
 * sliding window.
 */
export function intervalForRate(perSecond: number, jitterMarginMs = 8): number {
  return Math.ceil(1000 / perSecond) + jitterMarginMs;
}
