import type { Touch } from './types.js';

const DAY_MS = 86_400_000;
export const DEFAULT_LOOKBACK_DAYS = 90;
export const MAX_LOOKBACK_DAYS = 365;

/**
 * A conversion's path: the touches at or after `conversionAt - lookbackDays` and at or before
 * `conversionAt`, oldest first (touches at the same instant keep their given order). Touches with
 * an invalid date are left out. `lookbackDays` is in (0, 365], default 90.
 */
export function pathWindow<T extends Touch>(touches: readonly T[], conversionAt: Date, lookbackDays: number = DEFAULT_LOOKBACK_DAYS): T[] {
  if (!Number.isFinite(lookbackDays) || lookbackDays <= 0 || lookbackDays > MAX_LOOKBACK_DAYS) {
    throw new RangeError(`lookbackDays must be more than 0 and at most ${MAX_LOOKBACK_DAYS}, got ${String(lookbackDays)}`);
  }
  const end = conversionAt.getTime();
  if (Number.isNaN(end)) throw new RangeError('conversionAt is an invalid date');
  const start = end - lookbackDays * DAY_MS;
  const inWindow = touches.filter((touch) => {
    const at = touch.at.getTime();
    return at >= start && at <= end;
  });
  // Array.prototype.sort is stable, so simultaneous touches keep the caller's order.
  return inWindow.sort((a, b) => a.at.getTime() - b.at.getTime());
}
