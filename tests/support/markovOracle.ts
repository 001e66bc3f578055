/**
 * An independent check of the Markov engine for tests: P(conversion) of the first-order chain built
 * from aggregated paths, with one channel sent to null, by plain value iteration on the transition
 * counts (h <- b + Q h until it stops changing). Slow and simple on purpose: it shares nothing with
 * server/attribution but the definition.
 */
import type { ChannelPath } from '../../server/attribution/index.js';

export function conversionProbability(rows: readonly ChannelPath[], removed: string | null): number {
  const edges = new Map<string, Map<string, number>>();
  const add = (from: string, to: string, weight: number) => {
    const out = edges.get(from) ?? new Map<string, number>();
    out.set(to, (out.get(to) ?? 0) + weight);
    edges.set(from, out);
  };
  for (const row of rows) {
    const weight = row.conversions + row.nulls;
    if (weight === 0) continue;
    let previous = '(start)';
    for (const channel of row.channels) {
      add(previous, channel, weight);
      previous = channel;
    }
    add(previous, '(conversion)', row.conversions);
    add(previous, '(null)', row.nulls);
  }
  const probabilities = [...edges].map(([from, out]) => {
    let total = 0;
    for (const weight of out.values()) total += weight;
    return [from, [...out].map(([to, weight]) => [to, weight / total] as const)] as const;
  });
  const h = new Map<string, number>([['(conversion)', 1]]);
  for (let iteration = 0; iteration < 1_000_000; iteration += 1) {
    let change = 0;
    for (const [from, out] of probabilities) {
      if (from === removed) continue;
      let next = 0;
      for (const [to, probability] of out) next += to === removed ? 0 : probability * (h.get(to) ?? 0);
      change = Math.max(change, Math.abs(next - (h.get(from) ?? 0)));
      h.set(from, next);
    }
    if (change < 1e-16) break;
  }
  return h.get('(start)') ?? 0;
}

/** Removal effect of every channel, by the definition 1 - P(conv | c removed) / P(conv). */
export function removalEffectsByDefinition(rows: readonly ChannelPath[]): Map<string, number> {
  const base = conversionProbability(rows, null);
  const channels = new Set(rows.filter((row) => row.conversions + row.nulls > 0).flatMap((row) => row.channels));
  return new Map([...channels].map((channel) => [channel, base > 0 ? 1 - conversionProbability(rows, channel) / base : 0]));
}
