/**
 * The attribution engine's vocabulary. Everything in server/attribution/ is pure: no I/O, no clock,
 * no configuration; callers (reports, the deal card, the `attribution` command) bring the data.
 */

export type AttributionModel = 'first' | 'last' | 'last_non_direct' | 'linear' | 'time_decay' | 'position_based' | 'markov';

export const ATTRIBUTION_MODELS: readonly AttributionModel[] = Object.freeze([
  'first',
  'last',
  'last_non_direct',
  'linear',
  'time_decay',
  'position_based',
  'markov',
] as const);

export const DEFAULT_ATTRIBUTION_MODEL: AttributionModel = 'last_non_direct';

export function isAttributionModel(value: unknown): value is AttributionModel {
  return typeof value === 'string' && (ATTRIBUTION_MODELS as readonly string[]).includes(value);
}

/** One touch (a visit) on a path. Callers may keep their own fields on it (`T extends Touch`). */
export interface Touch {
  /** The channel name; Markov credit looks it up in `MarkovCredit`, so use the same names there. */
  channel: string;
  at: Date;
  /** A direct visit (typed-in address, bookmark): skipped by `last_non_direct` when another exists. */
  direct: boolean;
}

export interface ModelOptions {
  /** Half-life of `time_decay` in days. Default 7; must be a positive finite number. */
  halfLifeDays?: number;
  /** The reference time of `time_decay` (usually the deal's creation). Default: the latest touch. */
  conversionAt?: Date;
  /** Removal effects from `markovRemovalEffects` over the tenant's paths; required for `markov`. */
  markov?: MarkovCredit;
}

/** An aggregated path: how many journeys followed `channels` and converted (`conversions`, worth `value`) or not (`nulls`). */
export interface ChannelPath {
  channels: readonly string[];
  conversions: number;
  value: number;
  nulls: number;
}

/** The result of the Markov model: removal effect per channel in [0, 1], and its share of the sum of all removal effects. */
export interface MarkovCredit {
  removalEffect: ReadonlyMap<string, number>;
  share: ReadonlyMap<string, number>;
}
