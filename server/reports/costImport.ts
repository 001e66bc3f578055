/**
 * Ad cost files: the generic CSV (`date,source,medium,campaign,cost,currency`), a Yandex Direct
 * Reports API report (TSV: an optional title line, the FieldNames line, data, an optional
 * `Total rows: N` line) and a VK Ads statistics export. Pure parsing: every line is either a cost
 * row or a skipped line with its number and why (docs/reports.md, "Ad costs").
 */
import { CsvError, parse } from 'csv-parse/sync';
import type { SkippedLine } from './answers.js';

export const COST_MAPPINGS = ['generic', 'yandex_direct', 'vk_ads'] as const;
export type CostMapping = (typeof COST_MAPPINGS)[number];

export interface CostLine {
  line: number;
  day: string;
  source: string;
  medium: string;
  /** '' when the file names no campaign. */
  campaign: string;
  cost: number;
}

export interface ParsedCosts {
  rows: CostLine[];
  skipped: SkippedLine[];
}

export interface ParseOptions {
  mapping: CostMapping;
  /** The tenant's currency: a line in another currency is skipped (costs are not converted). */
  currency: string;
  /** Source and medium of every line for the platform mappings (defaults: yandex/cpc, vk/cpc). */
  source?: string | undefined;
  medium?: string | undefined;
}

interface Columns {
  date: string[];
  source?: string[];
  medium?: string[];
  campaign: string[];
  cost: string[];
  currency?: string[];
}

/**
 * Header names per mapping, compared case-insensitively. Yandex Direct: the Reports API field
 * names (https://yandex.com/dev/direct/doc/en/report-format), which the report's column line
 * repeats as requested. VK Ads: the statistics API's names (`date`, `base.spent`) and the column
 * titles of the cabinet's export, which we could not check against a primary source
 * (docs/reports.md says so).
 */
const COLUMNS: Record<CostMapping, Columns> = {
  generic: { date: ['date'], source: ['source'], medium: ['medium'], campaign: ['campaign'], cost: ['cost'], currency: ['currency'] },
  yandex_direct: { date: ['date'], campaign: ['campaignname', 'campaignid'], cost: ['cost'] },
  vk_ads: {
    date: ['date', 'дата', 'день'],
    campaign: ['campaign', 'ad_plan_name', 'ad_plan', 'campaign_name', 'кампания', 'название кампании'],
    cost: ['spent', 'base.spent', 'потрачено', 'расход', 'списания', 'расход, ₽', 'потрачено, ₽'],
  },
};

const PLATFORM_DEFAULTS: Record<Exclude<CostMapping, 'generic'>, { source: string; medium: string }> = {
  yandex_direct: { source: 'yandex', medium: 'cpc' },
  vk_ads: { source: 'vk', medium: 'cpc' },
};

/** The delimiter the header line uses most: tab, semicolon or comma. */
function detectDelimiter(text: string): string {
  const firstLines = text.split(/\r?\n/, 3).join('\n');
  const counts = ['\t', ';', ','].map((delimiter) => ({ delimiter, count: firstLines.split(delimiter).length - 1 }));
  counts.sort((a, b) => b.count - a.count);
  return counts[0]!.count > 0 ? counts[0]!.delimiter : ',';
}

/** YYYY-MM-DD, or DD.MM.YYYY as Russian exports write it; undefined when not a real date. */
export function parseDay(raw: string): string | undefined {
  const text = raw.trim();
  let iso: string | undefined;
  const isoMatch = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ruMatch = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text);
  if (isoMatch) iso = text;
  else if (ruMatch) iso = `${ruMatch[3]}-${ruMatch[2]}-${ruMatch[1]}`;
  if (!iso) return undefined;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** `1234.5`, `1 234,50` (spaces, no-break spaces, decimal comma); undefined when not a number. */
export function parseAmount(raw: string): number | undefined {
  let text = raw.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (/^[+-]?\d+,\d+$/.test(text)) text = text.replace(',', '.');
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function findColumn(header: readonly string[], names: readonly string[] | undefined): number {
  if (!names) return -1;
  return header.findIndex((cell) => names.includes(cell.trim().toLowerCase()));
}

export class CostFileError extends Error {}

export function parseCostFile(text: string, options: ParseOptions): ParsedCosts {
  const columns = COLUMNS[options.mapping];
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    if (error instanceof CsvError) throw new CostFileError(`The file is not valid CSV: ${error.message}`);
    throw error;
  }
  // The header: the first record naming a date column (a Yandex report may start with its title).
  const headerAt = records.findIndex(({ record }) => findColumn(record, columns.date) >= 0 && findColumn(record, columns.cost) >= 0);
  if (headerAt < 0 || (options.mapping === 'generic' && headerAt !== 0)) {
    const wanted = options.mapping === 'generic' ? 'date,source,medium,campaign,cost,currency' : `${columns.date[0]} and ${columns.cost.join(' or ')}`;
    throw new CostFileError(`No header line with the columns of the ${options.mapping} mapping (${wanted})`);
  }
  const header = records[headerAt]!.record;
  const at = {
    date: findColumn(header, columns.date),
    source: findColumn(header, columns.source),
    medium: findColumn(header, columns.medium),
    campaign: columns.campaign.map((name) => findColumn(header, [name])).find((index) => index >= 0) ?? -1,
    cost: findColumn(header, columns.cost),
    currency: findColumn(header, columns.currency),
  };
  if (options.mapping === 'generic' && (at.source < 0 || at.medium < 0)) throw new CostFileError('The generic mapping needs the columns source and medium');

  const platform = options.mapping === 'generic' ? undefined : PLATFORM_DEFAULTS[options.mapping];
  const fixedSource = (options.source ?? platform?.source)?.toLowerCase();
  const fixedMedium = (options.medium ?? platform?.medium)?.toLowerCase();
  const rows: CostLine[] = [];
  const skipped: SkippedLine[] = [];
  for (const { record, info } of records.slice(headerAt + 1)) {
    const line = info.lines;
    const cell = (index: number) => (index >= 0 ? (record[index] ?? '').trim() : '');
    if (record.length === 1 && /^(total rows|всего строк)\b/i.test(cell(0))) continue;
    if (record.length < header.length) {
      skipped.push({ line, reason: `${record.length} columns where the header has ${header.length}` });
      continue;
    }
    const day = parseDay(cell(at.date));
    if (!day) {
      skipped.push({ line, reason: `date ${JSON.stringify(cell(at.date))} is not a date (YYYY-MM-DD or DD.MM.YYYY)` });
      continue;
    }
    const cost = parseAmount(cell(at.cost));
    if (cost === undefined || cost < 0) {
      skipped.push({ line, reason: `cost ${JSON.stringify(cell(at.cost))} is not a non-negative number` });
      continue;
    }
    const source = (at.source >= 0 ? cell(at.source) : fixedSource ?? '').toLowerCase();
    const medium = (at.medium >= 0 ? cell(at.medium) : fixedMedium ?? '').toLowerCase();
    if (!source || !medium) {
      skipped.push({ line, reason: !source ? 'source is empty' : 'medium is empty' });
      continue;
    }
    const currency = cell(at.currency).toUpperCase();
    if (currency && currency !== options.currency) {
      skipped.push({ line, reason: `currency ${currency} is not the tenant's currency ${options.currency} (costs are not converted)` });
      continue;
    }
    if (source.length > 255 || medium.length > 255 || cell(at.campaign).length > 255) {
      skipped.push({ line, reason: 'source, medium or campaign is longer than 255 characters' });
      continue;
    }
    rows.push({ line, day, source, medium, campaign: cell(at.campaign), cost });
  }
  return { rows, skipped };
}
