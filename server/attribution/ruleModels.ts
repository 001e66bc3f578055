/**
 * The rule-based models. Each takes the touches of one path in chronological order (oldest first)
 * and returns one credit per touch, in the same order, summing to 1. An empty path gets [].
 */
import type { Touch } from './types.js';

const DAY_MS = 86_400_000;
export const DEFAULT_HALF_LIFE_DAYS = 7;

function oneAt(length: number, index: number): number[] {
  const credits = new Array<number>(length).fill(0);
  if (length > 0) credits[index] = 1;
  return credits;
}

/** All credit to the oldest touch. */
export function firstTouch(ordered: readonly Touch[]): number[] {
  return oneAt(ordered.length, 0);
}

/** All credit to the newest touch. */
export function lastTouch(ordered: readonly Touch[]): number[] {
  return oneAt(ordered.length, ordered.length - 1);
}

/** All credit to the newest non-direct touch; a path of direct touches only credits its newest touch. */
export function lastNonDirectTouch(ordered: readonly Touch[]): number[] {
  for (let index = ordered.length - 1; index >= 0; index -= 1) {
    if (!ordered[index]!.direct) return oneAt(ordered.length, index);
  }
  return oneAt(ordered.length, ordered.length - 1);
}

/** 1/n to each of the n touches. */
export function linearTouch(ordered: readonly Touch[]): number[] {
  return new Array<number>(ordered.length).fill(1 / ordered.length);
}

/** 40% to the first touch, 40% to the last, 20% shared by the middle ones; one touch 100%, two 50/50. */
export function positionBased(ordered: readonly Touch[]): number[] {
  const n = ordered.length;
  if (n <= 2) return linearTouch(ordered);
  const credits = new Array<number>(n).fill(0.2 / (n - 2));
  credits[0] = 0.4;
  credits[n - 1] = 0.4;
  return credits;
}

/**
 * Weight 2^(-(conversionAt - at) / halfLife) per touch, normalised to sum to 1. A touch after
 * `conversionAt` counts as being at it. The weights are taken relative to the youngest touch,
 * which changes nothing after normalising but keeps old paths from underflowing to 0/0.
 */
export function timeDecay(ordered: readonly Touch[], halfLifeDays: number, conversionAt: Date | undefined): number[] {
  const n = ordered.length;
  if (n === 0) return [];
  let reference = conversionAt?.getTime() ?? -Infinity;
  if (conversionAt === undefined) for (const touch of ordered) reference = Math.max(reference, touch.at.getTime());
  const halfLifeMs = halfLifeDays * DAY_MS;
  const ages = ordered.map((touch) => Math.max(0, reference - touch.at.getTime()));
  let youngest = Infinity;
  for (const age of ages) youngest = Math.min(youngest, age);
  const weights = ages.map((age) => 2 ** (-(age - youngest) / halfLifeMs));
  let total = 0;
  for (const weight of weights) total += weight;
  return weights.map((weight) => weight / total);
}
