/**
 * The `attribution` command's formats. Input: `;`-separated, header
 * `path;total_conversions;total_conversion_value;total_null`, a path being channels joined by `>`
 * (spaces around a channel are trimmed and empty channels skipped, as in ChannelAttribution).
 * Output: one row per channel with first, last, linear and Markov conversions and value.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { ChannelTotals } from './channelTotals.js';
import type { ChannelPath } from './types.js';

export const PATHS_HEADER = ['path', 'total_conversions', 'total_conversion_value', 'total_null'] as const;
export const CHANNELS_HEADER = [
  'channel_name',
  'first_touch_conversions',
  'first_touch_value',
  'last_touch_conversions',
  'last_touch_value',
  'linear_touch_conversions',
  'linear_touch_value',
  'markov_conversions',
  'markov_value',
] as const;

/** A problem in the input, with the line it is on when there is one. */
export class PathsCsvError extends Error {}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(text: string, column: string, line: number, nonNegative: boolean): number {
  const trimmed = text.trim();
  const hint = /^[+-]?\d+,\d+$/.test(trimmed) ? ' (use a dot as the decimal separator)' : '';
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value)) throw new PathsCsvError(`line ${line}: ${column} is not a number: ${JSON.stringify(text)}${hint}`);
  if (nonNegative && value < 0) throw new PathsCsvError(`line ${line}: ${column} must not be negative: ${JSON.stringify(text)}`);
  return value;
}

export function parsePathsCsv(text: string): ChannelPath[] {
  let rows: ParsedRecord[];
  try {
    rows = parse(text, { delimiter: ';', bom: true, info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) throw new PathsCsvError(`not valid CSV: ${error.message}`);
    throw error;
  }
  const header = rows[0];
  if (!header) throw new PathsCsvError(`the input is empty; expected the header ${PATHS_HEADER.join(';')}`);
  const names = header.record.map((name) => name.trim());
  if (names.length !== PATHS_HEADER.length || names.some((name, index) => name !== PATHS_HEADER[index])) {
    throw new PathsCsvError(`line ${header.info.lines}: the header must be ${PATHS_HEADER.join(';')}, got ${header.record.join(';')}`);
  }
  return rows.slice(1).map(({ record, info }) => {
    const line = info.lines;
    if (record.length !== PATHS_HEADER.length) {
      throw new PathsCsvError(`line ${line}: expected ${PATHS_HEADER.length} fields separated by ';', got ${record.length}`);
    }
    const [path, conversions, value, nulls] = record as [string, string, string, string];
    const channels = path
      .split('>')
      .map((channel) => channel.trim())
      .filter((channel) => channel !== '');
    if (channels.length === 0) throw new PathsCsvError(`line ${line}: the path has no channels`);
    return {
      channels,
      conversions: parseNumber(conversions, 'total_conversions', line, true),
      value: parseNumber(value, 'total_conversion_value', line, false),
      nulls: parseNumber(nulls, 'total_null', line, true),
    };
  });
}

/** A channel's measures in the order of the CSV's columns after `channel`. */
export function channelTotalsMeasures(totals: ChannelTotals): number[] {
  return [
    totals.firstConversions,
    totals.firstValue,
    totals.lastConversions,
    totals.lastValue,
    totals.linearConversions,
    totals.linearValue,
    totals.markovConversions,
    totals.markovValue,
  ];
}

export function formatChannelTotalsCsv(channels: readonly ChannelTotals[]): string {
  return stringify(
    channels.map((totals) => [totals.channel, ...channelTotalsMeasures(totals)]),
    { header: true, columns: [...CHANNELS_HEADER] },
  );
}
