import { markovTouchCredit } from './markov.js';
import {
  DEFAULT_HALF_LIFE_DAYS,
  firstTouch,
  lastNonDirectTouch,
  lastTouch,
  linearTouch,
  positionBased,
  timeDecay,
} from './ruleModels.js';
import type { AttributionModel, ModelOptions, Touch } from './types.js';

/**
 * Per-touch credit summing to exactly 1 (for an empty path: []), aligned with `touches`. Order
 * (first, last, position) is by `at`, oldest first, ties in the given order, so callers may pass
 * the touches in any order; `pathWindow` already returns them sorted.
 */
export function creditTouches(touches: readonly Touch[], model: AttributionModel, options: ModelOptions = {}): number[] {
  if (touches.length === 0) return [];
  if (model === 'markov') {
    if (!options.markov) throw new TypeError("the 'markov' model needs options.markov (from markovRemovalEffects)");
    return markovTouchCredit(touches, options.markov);
  }
  const order = chronologicalOrder(touches);
  const ordered = order.map((index) => touches[index]!);
  const credits = orderedCredit(ordered, model, options);
  const aligned = new Array<number>(touches.length);
  order.forEach((index, position) => {
    aligned[index] = credits[position]!;
  });
  return aligned;
}

function orderedCredit(ordered: readonly Touch[], model: Exclude<AttributionModel, 'markov'>, options: ModelOptions): number[] {
  switch (model) {
    case 'first':
      return firstTouch(ordered);
    case 'last':
      return lastTouch(ordered);
    case 'last_non_direct':
      return lastNonDirectTouch(ordered);
    case 'linear':
      return linearTouch(ordered);
    case 'position_based':
      return positionBased(ordered);
    case 'time_decay': {
      const halfLifeDays = options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS;
      if (!Number.isFinite(halfLifeDays) || halfLifeDays <= 0) {
        throw new RangeError(`halfLifeDays must be a positive number, got ${String(halfLifeDays)}`);
      }
      if (options.conversionAt && Number.isNaN(options.conversionAt.getTime())) throw new RangeError('conversionAt is an invalid date');
      return timeDecay(ordered, halfLifeDays, options.conversionAt);
    }
    default:
      throw new TypeError(`unknown attribution model ${JSON.stringify(model)}`);
  }
}

function chronologicalOrder(touches: readonly Touch[]): number[] {
  const times = touches.map((touch, index) => {
    const time = touch.at.getTime();
    if (Number.isNaN(time)) throw new RangeError(`touch ${index} has an invalid date`);
    return time;
  });
  const order = times.map((_, index) => index);
  let sorted = true;
  for (let i = 1; i < times.length && sorted; i += 1) sorted = times[i - 1]! <= times[i]!;
  return sorted ? order : order.sort((a, b) => times[a]! - times[b]!);
}
