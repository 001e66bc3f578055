/**
 * Fault injection (issue 4: "optional fault injection"). Each fault is a plan: a probability drawn
 * from a seeded generator (deterministic for a given `faultSeed`), or a scripted list where the
 * n-th occurrence of the decision reads the n-th entry (`false` past its end). Off by default.
 */
export type FaultPlan = number | readonly boolean[];

export interface FaultOptions {
  /** Seed of the generator behind probability plans. */
  seed: number;
  /**
   * API requests within the limit answered 429 anyway, as the gateway does (HTML, no Retry-After):
   * a limit shared with other integrations or the account-wide cap (amocrm.md 3.3). Not counted as
   * violations of this integration.
   */
  tooManyRequests: FaultPlan;
  /** API requests (after auth and rate limit) answered with `serverErrorStatus` instead. */
  serverError: FaultPlan;
  serverErrorStatus: 500 | 502 | 503 | 504;
  /** API requests whose answer is held back `slowResponseMs` (real time) so a client times out. */
  slowResponse: FaultPlan;
  slowResponseMs: number;
  /** Outgoing webhook deliveries silently never sent (amocrm.md 4.3: "in rare cases missing"). */
  webhookDrop: FaultPlan;
  /** Outgoing webhook deliveries sent twice (amocrm.md 4.3: "may be duplicated"). */
  webhookDuplicate: FaultPlan;
  /** Outgoing webhook deliveries held back `webhookDelayMs` of clock time, so later ones overtake them (amocrm.md 4.3: "delayed"). */
  webhookDelay: FaultPlan;
  webhookDelayMs: number;
}

export const noFaults: FaultOptions = {
  seed: 1,
  tooManyRequests: 0,
  serverError: 0,
  serverErrorStatus: 502,
  slowResponse: 0,
  slowResponseMs: 5_000,
  webhookDrop: 0,
  webhookDuplicate: 0,
  webhookDelay: 0,
  webhookDelayMs: 30_000,
};

/** mulberry32: small, seedable, good enough for fault decisions. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type FaultKind = 'tooManyRequests' | 'serverError' | 'slowResponse' | 'webhookDrop' | 'webhookDuplicate' | 'webhookDelay';

export class FaultInjector {
  private readonly random: () => number;
  private readonly counts: Record<FaultKind, number> = { tooManyRequests: 0, serverError: 0, slowResponse: 0, webhookDrop: 0, webhookDuplicate: 0, webhookDelay: 0 };

  constructor(private readonly options: FaultOptions) {
    this.random = seededRandom(options.seed);
  }

  /** Whether this occurrence of `kind` is faulty; every call consumes one step of its plan. */
  next(kind: FaultKind): boolean {
    const plan = this.options[kind];
    const index = this.counts[kind];
    this.counts[kind] = index + 1;
    if (typeof plan === 'number') return plan > 0 && this.random() < plan;
    return plan[index] === true;
  }
}
