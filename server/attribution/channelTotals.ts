/**
 * Attribution of aggregated paths to channels, as the `attribution` command prints it. First, last
 * and linear follow the ChannelAttribution R package's `heuristic_models`: a row's conversions and
 * its `total_conversion_value` both go to the row's first channel (first), last channel (last), or
 * are split over the row's n touches, a channel repeated k times getting k/n (linear). Markov gives
 * each row the per-path credit of `creditTouches(..., 'markov')`, with removal effects computed over
 * all rows, so it matches what the reports show per deal.
 */
import { markovChannelCredit, markovRemovalEffects } from './markov.js';
import type { ChannelPath, MarkovCredit } from './types.js';

export interface ChannelTotals {
  channel: string;
  firstConversions: number;
  firstValue: number;
  lastConversions: number;
  lastValue: number;
  linearConversions: number;
  linearValue: number;
  markovConversions: number;
  markovValue: number;
}

export interface ChannelAttribution {
  /** Channels in the order they first appear in the paths. */
  channels: ChannelTotals[];
  markov: MarkovCredit;
}

const MEASURES = [
  'firstConversions',
  'firstValue',
  'lastConversions',
  'lastValue',
  'linearConversions',
  'linearValue',
  'markovConversions',
  'markovValue',
] as const;
type Measure = (typeof MEASURES)[number];

/** Neumaier's compensated sum: totals over 100,000 rows stay correct to the last digit or so. */
class Sum {
  private total = 0;
  private compensation = 0;
  add(value: number): void {
    const next = this.total + value;
    if (Math.abs(this.total) >= Math.abs(value)) this.compensation += this.total - next + value;
    else this.compensation += value - next + this.total;
    this.total = next;
  }
  get value(): number {
    return this.total + this.compensation;
  }
}

export function attributeChannelPaths(paths: readonly ChannelPath[]): ChannelAttribution {
  const markov = markovRemovalEffects(paths);
  const sums = new Map<string, Record<Measure, Sum>>();
  const sumsOf = (channel: string): Record<Measure, Sum> => {
    let found = sums.get(channel);
    if (!found) {
      found = Object.fromEntries(MEASURES.map((measure) => [measure, new Sum()])) as Record<Measure, Sum>;
      sums.set(channel, found);
    }
    return found;
  };

  paths.forEach((path, index) => {
    const channels = path.channels;
    if (channels.length === 0) throw new RangeError(`path ${index} has no channels`);
    if (!Number.isFinite(path.value)) throw new RangeError(`path ${index}: value must be a finite number, got ${String(path.value)}`);
    for (const channel of channels) sumsOf(channel);
    const first = sumsOf(channels[0]!);
    first.firstConversions.add(path.conversions);
    first.firstValue.add(path.value);
    const last = sumsOf(channels[channels.length - 1]!);
    last.lastConversions.add(path.conversions);
    last.lastValue.add(path.value);

    const perTouch = new Map<string, number>();
    for (const channel of channels) perTouch.set(channel, (perTouch.get(channel) ?? 0) + 1);
    for (const [channel, touches] of perTouch) {
      const share = touches / channels.length;
      const sumsOfChannel = sumsOf(channel);
      sumsOfChannel.linearConversions.add(path.conversions * share);
      sumsOfChannel.linearValue.add(path.value * share);
    }

    const markovCredit = markovChannelCredit(channels, markov);
    channels.forEach((channel, touch) => {
      const sumsOfChannel = sumsOf(channel);
      sumsOfChannel.markovConversions.add(path.conversions * markovCredit[touch]!);
      sumsOfChannel.markovValue.add(path.value * markovCredit[touch]!);
    });
  });

  const channels = [...sums].map(([channel, measures]) => {
    const totals = { channel } as ChannelTotals;
    for (const measure of MEASURES) totals[measure] = measures[measure].value;
    return totals;
  });
  return { channels, markov };
}
