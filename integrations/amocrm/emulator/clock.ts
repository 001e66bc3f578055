/**
 * The emulator's only time source. Token expiry, code expiry and the rate limiter all read it, so a
 * test can move time forward instead of sleeping.
 */
export interface EmulatorClock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface ManualClock extends EmulatorClock {
  advance(milliseconds: number): void;
}

/** A clock that only moves when told to; starts at `startMs` (default: the real time at creation). */
export function createManualClock(startMs: number = Date.now()): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(milliseconds: number) {
      if (milliseconds < 0) throw new RangeError('A clock cannot go backwards');
      current += milliseconds;
    },
  };
}

export const systemClock: EmulatorClock = { now: () => Date.now() };

export function unixSeconds(clock: EmulatorClock): number {
  return Math.floor(clock.now() / 1000);
}
