/**
 * The data-driven model: a first-order Markov chain over channels with the states (start),
 * (conversion) and (null), built from all paths, converting or not, and each channel's removal
 * effect computed exactly on the absorbing chain (no simulation).
 *
 * Chain: every journey goes start -> c1 -> c2 -> ... -> ck -> (conversion) or (null). An aggregated
 * path with `conversions` + `nulls` journeys adds that many to each of its transitions, `conversions`
 * to ck -> (conversion) and `nulls` to ck -> (null) (as ChannelAttribution's markov_model does).
 * Consecutive repeats of a channel are collapsed (c > c > d is c > d): a self-loop never changes an
 * absorption probability, so this only saves work.
 *
 * With Q the transitions among channels, b the one-step conversion probabilities, s the start
 * distribution and N = (I - Q)^-1 the fundamental matrix:
 *   h = N b               probability of converting from each channel
 *   P(conv) = s . h
 *   P(visit c) = (s N)_c / N_cc
 * Removing c (every transition into c goes to (null)) keeps exactly the conversions that never pass
 * through c, so P(conv | c removed) = P(conv) - P(visit c) h_c and
 *   removal effect of c = 1 - P(conv | c removed) / P(conv) = (s N)_c h_c / (N_cc P(conv)).
 */
import { invertInPlace } from './fundamentalMatrix.js';
import type { ChannelPath, MarkovCredit, Touch } from './types.js';

function checkCount(value: number, what: string, pathIndex: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`path ${pathIndex}: ${what} must be a non-negative finite number, got ${String(value)}`);
  }
}

/** Exact first-order Markov removal effects over all paths (converting and not). */
export function markovRemovalEffects(paths: readonly ChannelPath[]): MarkovCredit {
  const index = new Map<string, number>();
  const names: string[] = [];
  const everyChannel = new Set<string>();
  for (let p = 0; p < paths.length; p += 1) {
    const path = paths[p]!;
    checkCount(path.conversions, 'conversions', p);
    checkCount(path.nulls, 'nulls', p);
    const live = path.conversions + path.nulls > 0;
    for (const channel of path.channels) {
      everyChannel.add(channel);
      if (live && !index.has(channel)) {
        index.set(channel, names.length);
        names.push(channel);
      }
    }
  }

  const n = names.length;
  const transitions = new Float64Array(n * n);
  const toConversion = new Float64Array(n);
  const leaving = new Float64Array(n);
  const starts = new Float64Array(n);
  let startTotal = 0;
  for (const path of paths) {
    const weight = path.conversions + path.nulls;
    if (weight === 0 || path.channels.length === 0) continue;
    let previous = -1;
    for (const channel of path.channels) {
      const current = index.get(channel)!;
      if (current === previous) continue;
      if (previous < 0) starts[current]! += weight;
      else {
        transitions[previous * n + current]! += weight;
        leaving[previous]! += weight;
      }
      previous = current;
    }
    toConversion[previous]! += path.conversions;
    leaving[previous]! += weight;
    startTotal += weight;
  }

  const removalEffect = new Map<string, number>();
  const share = new Map<string, number>();
  for (const channel of everyChannel) {
    removalEffect.set(channel, 0);
    share.set(channel, 0);
  }
  if (n === 0) return { removalEffect, share };

  // I - Q, then N = (I - Q)^-1.
  const system = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    const out = leaving[i]!;
    for (let j = 0; j < n; j += 1) system[i * n + j] = -transitions[i * n + j]! / out;
    system[i * n + i]! += 1;
  }
  const fundamental = invertInPlace(system, n);

  const conversionFrom = new Float64Array(n);
  const visits = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    let sum = 0;
    for (let j = 0; j < n; j += 1) sum += fundamental[i * n + j]! * (toConversion[j]! / leaving[j]!);
    conversionFrom[i] = sum;
  }
  for (let j = 0; j < n; j += 1) {
    let sum = 0;
    for (let i = 0; i < n; i += 1) sum += (starts[i]! / startTotal) * fundamental[i * n + j]!;
    visits[j] = sum;
  }
  let conversion = 0;
  for (let i = 0; i < n; i += 1) conversion += (starts[i]! / startTotal) * conversionFrom[i]!;
  if (!(conversion > 0)) return { removalEffect, share };

  let effectTotal = 0;
  for (let c = 0; c < n; c += 1) {
    const effect = Math.min(1, Math.max(0, (visits[c]! * conversionFrom[c]!) / (fundamental[c * n + c]! * conversion)));
    removalEffect.set(names[c]!, effect);
    effectTotal += effect;
  }
  if (effectTotal > 0) for (const name of names) share.set(name, removalEffect.get(name)! / effectTotal);
  return { removalEffect, share };
}

/**
 * Per-touch Markov credit for one path: each channel on the path gets its removal effect
 * normalised over the channels present on the path, split equally among its touches. When no
 * channel on the path has a positive removal effect (none seen converting), credit is linear.
 */
export function markovTouchCredit(touches: readonly Touch[], markov: MarkovCredit): number[] {
  return markovChannelCredit(
    touches.map((touch) => touch.channel),
    markov,
  );
}

/** `markovTouchCredit` for a path given as its channel names, one per touch. */
export function markovChannelCredit(channels: readonly string[], markov: MarkovCredit): number[] {
  const touchesPerChannel = new Map<string, number>();
  for (const channel of channels) touchesPerChannel.set(channel, (touchesPerChannel.get(channel) ?? 0) + 1);
  let effectTotal = 0;
  for (const channel of touchesPerChannel.keys()) effectTotal += markov.removalEffect.get(channel) ?? 0;
  if (!(effectTotal > 0)) return new Array<number>(channels.length).fill(1 / channels.length);
  return channels.map((channel) => (markov.removalEffect.get(channel) ?? 0) / effectTotal / touchesPerChannel.get(channel)!);
}
