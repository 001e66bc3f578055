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
 */
import type { Redis } from 'ioredis';

export interface RequestPacer {
  /** Resolves when the caller may send one request to `key`, whose requests are `intervalMs` apart. */
  wait(key: string, intervalMs: number): Promise<void>;
  /** Moves `key`'s schedule at least `delayMs` into the future (after a 429: let the CRM's window drain). */
  holdOff(key: string, delayMs: number): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A slot `intervalMs` apart per key; returns how long the caller waits for its slot. */
const reserveScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_free)
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return slot - now
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

  async wait(key: string, intervalMs: number): Promise<void> {
    const waitMs = Number(await this.redis.eval(reserveScript, 1, this.keyPrefix + key, String(intervalMs)));
    if (waitMs > 0) await realSleep(waitMs);
  }

  async holdOff(key: string, delayMs: number): Promise<void> {
    await this.redis.eval(holdOffScript, 1, this.keyPrefix + key, String(Math.round(delayMs)));
  }
}

export class LocalRequestPacer implements RequestPacer {
  private readonly nextFree = new Map<string, number>();

  /** `now` and `sleep` are injectable so the schedule can be checked without waiting. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {}

  async wait(key: string, intervalMs: number): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextFree.get(key) ?? 0);
    this.nextFree.set(key, slot + intervalMs);
    if (slot > now) await this.sleep(slot - now);
  }

  async holdOff(key: string, delayMs: number): Promise<void> {
    const until = this.now() + delayMs;
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
