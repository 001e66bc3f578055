/**
 * amocrm.md 3.3: more than 7 requests per second answers 429; repeated violations block the
 * integration with 403 for a while. Only accepted requests fill the window, so a client that backs
 * off regains its full rate one window later. Time comes from the emulator clock.
 */
import type { EmulatorClock } from './clock.js';
import type { RateLimitOptions } from './options.js';
import type { RateLimitCounters } from './state.js';

export type RateDecision = 'allow' | 'too_many' | 'blocked';

interface KeyHistory {
  accepted: number[];
  violations: number[];
  blockedUntilMs: number;
}

export class RateLimiter {
  private readonly histories = new Map<string, KeyHistory>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly options: RateLimitOptions,
    private readonly counters: RateLimitCounters,
  ) {}

  /** Records one request for `key` (an integration's client_id) and says how to answer it. */
  check(key: string): RateDecision {
    const now = this.clock.now();
    const history = this.historyOf(key);
    if (now < history.blockedUntilMs) {
      this.counters.blockedRequests += 1;
      return 'blocked';
    }
    history.accepted = history.accepted.filter((at) => at > now - this.options.windowMs);
    if (history.accepted.length < this.options.requestsPerWindow) {
      history.accepted.push(now);
      return 'allow';
    }
    this.counters.violations += 1;
    history.violations = history.violations.filter((at) => at > now - this.options.violationWindowMs);
    history.violations.push(now);
    if (history.violations.length >= this.options.violationsToBlock) {
      history.blockedUntilMs = now + this.options.blockDurationMs;
      history.violations = [];
    }
    return 'too_many';
  }

  /** What amoCRM support does on request: lift a block early. */
  unblock(key: string): void {
    this.historyOf(key).blockedUntilMs = 0;
  }

  private historyOf(key: string): KeyHistory {
    let history = this.histories.get(key);
    if (!history) {
      history = { accepted: [], violations: [], blockedUntilMs: 0 };
      this.histories.set(key, history);
    }
    return history;
  }
}
