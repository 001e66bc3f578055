/**
 * Keeps the requests to one CRM account within its rate limit, across every worker process.
 *
 * The schedule is the "generic cell rate algorithm" of network shaping: requests to one account go
 * out `intervalMs` apart on average, and after a quiet period up to `burst` may go at once
 * (Bitrix24's leaky bucket allows a burst; amoCRM counts 7 per second on a sliding window, so it
 * gets burst 1: evenly spaced). Counting limiters with fixed windows, such as
 * rate-limiter-flexible's, let a full window's worth through at the end of one window and again at
 * the start of the next — twice the rate within one second.
 *
 * A request is admitted when it is about to be sent, not booked ahead: a process whose event loop
 * stalls sends late instead of sending right on top of the next request. The interval is a little
 * longer than 1/rate, for the milliseconds of jitter between our send and the CRM's count.
 *
 * With Redis the schedule lives there, shared by all workers, timed by Redis's own clock; on the
 * embedded defaults one process does all the work, so the schedule lives in memory.
 */
import type { Redis } from 'ioredis';

/** How requests to one account are spaced. */
export interface Pace {
  /** Average time between two requests. */
  intervalMs: number;
  /** Requests that may go at once after a quiet period (1: evenly spaced only). */
  burst: number;
}

export interface RequestPacer {
  /** Resolves when the caller may send one request to `key` (and counts it as sent). */
  wait(key: string, pace: Pace): Promise<void>;
  /** Sends nothing to `key` for `delayMs`, and no burst right after (after a 429: let the CRM's count drain). */
  holdOff(key: string, delayMs: number, pace: Pace): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How far the schedule may run ahead of now: the burst. */
function toleranceMs(pace: Pace): number {
  return Math.max(0, Math.floor(pace.burst) - 1) * pace.intervalMs;
}

/**
 * KEYS[1] holds the schedule (the "theoretical arrival time" of the next request). Returns 0 when
 * a request may go now (and books it), else how many ms to wait before asking again.
 */
const admitScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local scheduled = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
if scheduled - tolerance > now then return scheduled - tolerance - now end
redis.call('SET', KEYS[1], scheduled + interval, 'PX', scheduled + interval - now + 60000)
return 0
`;

/** Pushes the schedule to now + delay + tolerance (never back). */
const holdOffScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
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
    for (;;) {
      const waitMs = Number(await this.redis.eval(admitScript, 1, this.keyPrefix + key, String(pace.intervalMs), String(toleranceMs(pace))));
      if (waitMs <= 0) return;
      await sleep(waitMs);
    }
  }

  async holdOff(key: string, delayMs: number, pace: Pace): Promise<void> {
    await this.redis.eval(holdOffScript, 1, this.keyPrefix + key, String(Math.round(delayMs + toleranceMs(pace))));
  }
}

export class LocalRequestPacer implements RequestPacer {
  private readonly schedule = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly pause: (ms: number) => Promise<void> = sleep,
  ) {}

  async wait(key: string, pace: Pace): Promise<void> {
    for (;;) {
      const waitMs = this.admit(key, pace);
      if (waitMs <= 0) return;
      await this.pause(waitMs);
    }
  }

  async holdOff(key: string, delayMs: number, pace: Pace): Promise<void> {
    const until = this.now() + delayMs + toleranceMs(pace);
    if (until > (this.schedule.get(key) ?? 0)) this.schedule.set(key, until);
  }

  private admit(key: string, pace: Pace): number {
    const now = this.now();
    const scheduled = Math.max(now, this.schedule.get(key) ?? 0);
    const early = scheduled - toleranceMs(pace) - now;
    if (early > 0) return early;
    this.schedule.set(key, scheduled + pace.intervalMs);
    return 0;
  }
}

/**
 * `perSecond` requests a second as a pace: a little over 1000/rate ms apart, so that a few ms of
 * jitter between our send and the CRM's count never puts one request too many into its second.
 */
export function paceOf(perSecond: number, burst = 1, marginMs = 20): Pace {
  return { intervalMs: Math.ceil(1000 / perSecond) + marginMs, burst };
}
