/**
 * The query parameters every report takes (docs/reports.md, "Common parameters"), validated with
 * joi: a bad one answers 422 naming it. Dates are whole UTC days, `to` inclusive.
 */
import Joi from 'joi';
import { ATTRIBUTION_MODELS, type AttributionModel } from '../attribution/index.js';
import { AppError } from '../errors.js';
import type { TenantSettings } from '../tenants/tenantSettings.js';
import type { ChannelGroupBy, Level } from './answers.js';

const DAY_MS = 86_400_000;
/** The longest period one request may ask for. */
export const MAX_PERIOD_DAYS = 731;

/** `level` and `group` are echoed in the channels answer, so their types live with the answers. */
export type { ChannelGroupBy, Level };

export interface Period {
  /** YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
  /** Instants: [start, end). */
  start: Date;
  end: Date;
}

export interface CommonParams {
  period: Period;
  siteId: string | undefined;
  pipelineId: string | undefined;
  model: AttributionModel;
  format: 'json' | 'csv';
  /** Which conversions Markov's chain is built on (the channels report's `level`; won elsewhere). */
  level: Level;
  lookbackDays: number;
  halfLifeDays: number;
}

const isoDay = Joi.string()
  .pattern(/^\d{4}-\d{2}-\d{2}$/)
  .custom((value: string, helpers) => {
    const date = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) return helpers.error('any.invalid');
    return value;
  })
  .messages({ 'string.pattern.base': '{{#label}} must be a date as YYYY-MM-DD', 'any.invalid': '{{#label}} is not a real date' });

const text = Joi.string().trim().min(1).max(255);

const commonKeys = {
  tenant_id: Joi.string(),
  from: isoDay,
  to: isoDay,
  site_id: text,
  pipeline_id: text,
  model: Joi.string().valid(...ATTRIBUTION_MODELS),
  format: Joi.string().valid('json', 'csv'),
  level: Joi.string().valid('leads', 'deals', 'stage', 'won'),
};

/** The schema of one report: the common keys plus its own; any other key is refused. */
export function reportSchema(extra: Record<string, Joi.Schema> = {}): Joi.ObjectSchema {
  return Joi.object({ ...commonKeys, ...extra }).unknown(false);
}

export const channelGroupSchema = Joi.string().valid('channel', 'source', 'campaign', 'term');
export const drillKeys = { channel: text, source: text, campaign: text };

/** Validates `query` against `schema`; a failure is a 422 naming the parameter. */
export function validateQuery<T extends Record<string, unknown>>(schema: Joi.ObjectSchema, query: Record<string, unknown>): T {
  const { value, error } = schema.validate(query, { abortEarly: true, convert: true });
  if (error) {
    const detail = error.details[0]!;
    const name = detail.path.join('.') || String(detail.context?.key ?? '');
    const message = detail.type === 'object.unknown' ? `Unknown parameter "${name}"` : `Parameter "${name}": ${detail.message.replace(/^"[^"]*" /, '')}`;
    throw AppError.validation(message, { parameter: name });
  }
  return value as T;
}

export function isoDayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** from/to (default: the last 30 days up to today, UTC). */
export function periodOf(query: { from?: string; to?: string }, now: Date = new Date()): Period {
  const to = query.to ?? isoDayOf(now);
  const from = query.from ?? isoDayOf(new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS));
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS);
  if (start >= end) throw AppError.validation(`Parameter "from" (${from}) must not be after "to" (${to})`, { parameter: 'from' });
  if ((end.getTime() - start.getTime()) / DAY_MS > MAX_PERIOD_DAYS) {
    throw AppError.validation(`Parameter "from": the period may be at most ${MAX_PERIOD_DAYS} days`, { parameter: 'from' });
  }
  return { from, to, start, end };
}

export function commonParams(query: Record<string, unknown>, settings: TenantSettings): CommonParams {
  return {
    period: periodOf(query as { from?: string; to?: string }),
    siteId: query.site_id as string | undefined,
    pipelineId: query.pipeline_id as string | undefined,
    model: (query.model as AttributionModel | undefined) ?? settings.attributionModel,
    format: (query.format as 'json' | 'csv' | undefined) ?? 'json',
    level: (query.level as Level | undefined) ?? 'won',
    lookbackDays: settings.lookbackDays,
    halfLifeDays: settings.timeDecayHalfLifeDays,
  };
}
