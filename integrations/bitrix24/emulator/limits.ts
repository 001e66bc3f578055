/**
 * The two cloud limits of bitrix24.md 4.4, on the injected clock:
 * - a leaky bucket per portal and client IP: each request adds 1, the level drains `drainPerSecond`;
 *   a request that would lift it above `threshold` is refused (503 QUERY_LIMIT_EXCEEDED) and not added;
 * - operating time per (portal, app or webhook, method) in ten one-minute buckets: a bucket starts at
 *   its first call and expires 10 minutes later; a call is refused (429 OPERATION_TIME_LIMIT) while
 *   the live sum exceeds the limit; the call that crosses it still completes.
 */
import type { EmulatorClock } from '../../amocrm/emulator/clock.js';
import type { LeakyBucketOptions, OperatingLimitOptions } from './options.js';

export class LeakyBucket {
  private readonly buckets = new Map<string, { level: number; atMs: number }>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly options: LeakyBucketOptions,
  ) {}

  /** Records one request for `key`; false when it must be refused. */
  admit(key: string): boolean {
    if (!this.options.enabled) return true;
    const now = this.clock.now();
    const bucket = this.buckets.get(key) ?? { level: 0, atMs: now };
    bucket.level = Math.max(0, bucket.level - ((now - bucket.atMs) / 1000) * this.options.drainPerSecond);
    bucket.atMs = now;
    this.buckets.set(key, bucket);
    if (bucket.level + 1 > this.options.threshold) return false;
    bucket.level += 1;
    return true;
  }
}

const bucketMs = 60_000;
const windowMs = 10 * bucketMs;

export interface OperatingSnapshot {
  /** Seconds spent in live buckets. */
  seconds: number;
  /** Unix seconds when the oldest live bucket expires. */
  resetAt: number;
}

export class OperatingLimiter {
  private readonly buckets = new Map<string, Array<{ startMs: number; seconds: number }>>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly options: OperatingLimitOptions,
  ) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Whether a call under `key` may run now. */
  allows(key: string): boolean {
    return !this.options.enabled || this.snapshot(key).seconds <= this.options.limitSeconds;
  }

  /** The seconds a call of `method` is charged: the configured cost or the measured time. */
  costOf(method: string, measuredSeconds: number): number {
    return this.options.methodCostSeconds[method] ?? measuredSeconds;
  }

  record(key: string, seconds: number): OperatingSnapshot {
    const now = this.clock.now();
    const live = this.live(key);
    const newest = live[live.length - 1];
    if (newest && now - newest.startMs < bucketMs) newest.seconds += seconds;
    else live.push({ startMs: now, seconds });
    return this.snapshot(key);
  }

  snapshot(key: string): OperatingSnapshot {
    const live = this.live(key);
    const oldest = live[0];
    return {
      seconds: live.reduce((sum, bucket) => sum + bucket.seconds, 0),
      resetAt: Math.floor(((oldest?.startMs ?? this.clock.now()) + windowMs) / 1000),
    };
  }

  private live(key: string): Array<{ startMs: number; seconds: number }> {
    const now = this.clock.now();
    const live = (this.buckets.get(key) ?? []).filter((bucket) => bucket.startMs + windowMs > now);
    this.buckets.set(key, live);
    return live;
  }
}
