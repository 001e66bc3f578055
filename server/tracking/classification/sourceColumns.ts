import type { TrafficSource } from './types.js';

/** A traffic source under the names it has in the database and in `longfunnel classify` output. */
export function sourceColumns(source: TrafficSource) {
  return {
    source: source.source,
    medium: source.medium,
    campaign: source.campaign,
    content: source.content,
    term: source.term,
    channel: source.channel,
    click_id_type: source.clickIdType,
  };
}
