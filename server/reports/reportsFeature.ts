/**
 * The reports API (/api/v1/reports/*) and ad costs (/api/v1/costs), per the contract in
 * docs/reports.md: a tenant session or the admin token with ?tenant_id= on every route (and a
 * tenant API key for cost uploads), 422 naming a bad parameter, JSON or CSV.
 */
import express, { Router, type RequestHandler, type Response } from 'express';
import Joi from 'joi';
import { stringify } from 'csv-stringify/sync';
import { AppError } from '../errors.js';
import type { Feature, FeatureDeps } from '../runtime.js';
import { requireTenantAccess, sessionTenant } from '../security/tenantSession.js';
import { tenantOfApiKey } from '../tenants/tenantApiKeys.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import type { CostImportAnswer } from './answers.js';
import { channelsReport, type ChannelsParams } from './channelsReport.js';
import { COST_MAPPINGS, CostFileError, parseCostFile, type CostMapping } from './costImport.js';
import { listCosts, storeCosts } from './costStore.js';
import { funnelReport, ltvReport, managersReport, pathsReport, timeseriesReport, unmatchedReport } from './otherReports.js';
import { channelGroupSchema, commonParams, drillKeys, periodOf, reportSchema, validateQuery, type ChannelGroupBy } from './reportParams.js';

type CsvValue = string | number | null;

function sendReport(res: Response, format: 'json' | 'csv', name: string, period: { from: string; to: string }, body: unknown, csv: () => { header: string[]; rows: CsvValue[][] }): void {
  if (format === 'json') {
    res.json(body);
    return;
  }
  const { header, rows } = csv();
  res.set('content-type', 'text/csv; charset=utf-8');
  res.set('content-disposition', `attachment; filename="${name}-${period.from}-${period.to}.csv"`);
  res.send(stringify([header, ...rows.map((row) => row.map((value) => (value === null ? '' : value)))]));
}

const schemas = {
  channels: reportSchema({ group: channelGroupSchema, ...drillKeys, stage_id: Joi.string().trim().min(1).max(100) }),
  timeseries: reportSchema({ interval: Joi.string().valid('day', 'week'), group: Joi.string().valid('channel', 'source') }),
  funnel: reportSchema({ channel: drillKeys.channel }),
  managers: reportSchema(),
  paths: reportSchema({ limit: Joi.number().integer().min(1).max(1000) }),
  ltv: reportSchema(),
  unmatched: reportSchema(),
};

const costUploadSchema = Joi.object({
  tenant_id: Joi.string(),
  mapping: Joi.string().valid(...COST_MAPPINGS),
  vat: Joi.string().valid('included', 'excluded'),
  source: Joi.string().trim().min(1).max(255),
  medium: Joi.string().trim().min(1).max(255),
}).unknown(false);

const costListSchema = Joi.object({
  tenant_id: Joi.string(),
  from: Joi.string(),
  to: Joi.string(),
}).unknown(false);

/** A tenant API key (`lft_...`), else what `requireTenantAccess` accepts; the tenant is then `res.locals.costTenant`. */
function requireCostAccess(deps: FeatureDeps): RequestHandler {
  const tenantAccess = requireTenantAccess(deps.cipher, deps.config.adminToken);
  return (req, res, next) => {
    const token = /^Bearer\s+(lft_\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (token) {
      tenantOfApiKey(deps.db, token).then((tenantId) => {
        if (!tenantId) return next(AppError.unauthorized('Unknown or revoked tenant API key'));
        res.locals.costTenant = tenantId;
        next();
      }, next);
      return;
    }
    tenantAccess(req, res, (error?: unknown) => {
      if (error) return next(error);
      res.locals.costTenant = sessionTenant(res);
      next();
    });
  };
}

function costTenant(res: Response): string {
  return res.locals.costTenant as string;
}

function reportRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const access = requireTenantAccess(deps.cipher, deps.config.adminToken);
  const db = deps.db;

  router.get('/api/v1/reports/channels', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.channels, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params: ChannelsParams = {
      ...commonParams(query, settings),
      group: (query.group as ChannelGroupBy | undefined) ?? 'channel',
      drill: { channel: query.channel, source: query.source, campaign: query.campaign },
      stageId: query.stage_id,
    };
    if (params.level === 'stage' && !params.stageId) throw AppError.validation('Parameter "level": level=stage needs stage_id, the stage whose reaching deals count', { parameter: 'level' });
    const answer = await channelsReport(db, tenantId, settings, params);
    const keys = (['channel', 'source', 'campaign', 'term'] as const).slice(0, ['channel', 'source', 'campaign', 'term'].indexOf(params.group) + 1);
    sendReport(res, params.format, 'channels', answer.period, answer, () => ({
      header: [...keys, 'visits', 'visitors', 'leads', 'deals', ...(params.stageId ? ['reached_stage'] : []), 'won', 'revenue', 'cost', 'cpl', 'cost_per_sale', 'romi', 'average_deal', 'visit_to_lead', 'lead_to_deal', 'deal_to_won'],
      rows: answer.rows.map((row) => [
        ...keys.map((key) => row.key[key] ?? null),
        row.visits, row.visitors, row.leads, row.deals, ...(params.stageId ? [row.reached_stage ?? 0] : []), row.won, row.revenue, row.cost, row.cpl, row.cost_per_sale, row.romi, row.average_deal,
        row.conversion.visit_to_lead, row.conversion.lead_to_deal, row.conversion.deal_to_won,
      ]),
    }));
  });

  router.get('/api/v1/reports/timeseries', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.timeseries, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params = { ...commonParams(query, settings), interval: (query.interval ?? 'day') as 'day' | 'week', group: (query.group ?? 'channel') as 'channel' | 'source' };
    const answer = await timeseriesReport(db, tenantId, settings, params);
    sendReport(res, params.format, 'timeseries', answer.period, answer, () => ({
      header: ['date', params.group, 'visits', 'leads'],
      rows: answer.series.map((point) => [point.date, point.key, point.visits, point.leads]),
    }));
  });

  router.get('/api/v1/reports/funnel', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.funnel, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params = { ...commonParams(query, settings), channel: query.channel };
    const answer = await funnelReport(db, tenantId, settings, params);
    sendReport(res, params.format, 'funnel', answer.period, answer, () => ({
      header: ['stage_id', 'name', 'sort', 'entered', 'conversion_from_previous', 'median_seconds_in_stage', 'lost', 'lost_reasons'],
      rows: answer.stages.map((stage) => [stage.stage_id, stage.name, stage.sort, stage.entered, stage.conversion_from_previous, stage.median_seconds_in_stage, stage.lost.reduce((sum, lost) => sum + lost.count, 0), stage.lost.map((lost) => `${lost.reason}: ${lost.count}`).join('; ')]),
    }));
  });

  router.get('/api/v1/reports/managers', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.managers, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params = commonParams(query, settings);
    const answer = await managersReport(db, tenantId, settings, params);
    sendReport(res, params.format, 'managers', answer.period, answer, () => ({
      header: ['user_id', 'user_name', 'deals', 'won', 'conversion', 'revenue', 'median_days_to_win'],
      rows: answer.rows.map((row) => [row.user_id, row.user_name, row.deals, row.won, row.conversion, row.revenue, row.median_days_to_win]),
    }));
  });

  router.get('/api/v1/reports/paths', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.paths, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params = { ...commonParams(query, settings), limit: Number(query.limit ?? 20) };
    const answer = await pathsReport(db, tenantId, settings, params);
    sendReport(res, params.format, 'paths', answer.period, answer, () => ({
      header: ['path', 'deals', 'won', 'revenue'],
      rows: answer.rows.map((row) => [row.path.join(' > '), row.deals, row.won, row.revenue]),
    }));
  });

  router.get('/api/v1/reports/ltv', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.ltv, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params = commonParams(query, settings);
    const answer = await ltvReport(db, tenantId, settings, params);
    sendReport(res, params.format, 'ltv', answer.period, answer, () => ({
      header: ['first_touch_source', 'contacts', 'deals', 'repeat_deals', 'revenue', 'revenue_per_contact'],
      rows: answer.rows.map((row) => [row.first_touch_source, row.contacts, row.deals, row.repeat_deals, row.revenue, row.revenue_per_contact]),
    }));
  });

  router.get('/api/v1/reports/unmatched', access, async (req, res) => {
    const query = validateQuery<Record<string, string>>(schemas.unmatched, req.query);
    const tenantId = sessionTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const params = commonParams(query, settings);
    const answer = await unmatchedReport(db, tenantId, settings, params);
    sendReport(res, params.format, 'unmatched', answer.period, answer, () => ({
      header: ['date', 'total', 'unmatched'],
      rows: answer.trend.map((row) => [row.date, row.total, row.unmatched]),
    }));
  });

  const costAccess = requireCostAccess(deps);
  const csvBody = express.text({ type: ['text/csv', 'text/plain', 'text/tab-separated-values'], limit: '20mb' });

  router.post('/api/v1/costs', costAccess, csvBody, async (req, res) => {
    if (!req.is(['text/csv', 'text/plain', 'text/tab-separated-values'])) {
      throw new AppError(415, 'unsupported_media_type', 'Send the cost file as "content-type: text/csv"');
    }
    const query = validateQuery<Record<string, string>>(costUploadSchema, req.query);
    const tenantId = costTenant(res);
    const settings = await tenantSettings(db, tenantId);
    const mapping = (query.mapping ?? 'generic') as CostMapping;
    const body = typeof req.body === 'string' ? req.body : '';
    if (body.trim() === '') throw AppError.validation('The cost file is empty');
    let parsed;
    try {
      parsed = parseCostFile(body, { mapping, currency: settings.currency, source: query.source, medium: query.medium });
    } catch (error) {
      if (error instanceof CostFileError) throw AppError.validation(error.message);
      throw error;
    }
    await storeCosts(db, tenantId, parsed.rows, { mapping, includesVat: query.vat === 'included', vatPercent: settings.vatPercent });
    deps.logger.info('ad costs imported', { tenant: tenantId, mapping, lines: parsed.rows.length, skipped: parsed.skipped.length });
    res.json({ imported: parsed.rows.length, skipped: parsed.skipped } satisfies CostImportAnswer);
  });

  router.get('/api/v1/costs', costAccess, async (req, res) => {
    const query = validateQuery<Record<string, string>>(costListSchema, req.query);
    const period = periodOf(validateQuery<{ from?: string; to?: string }>(reportSchema(), { from: query.from, to: query.to }));
    const tenantId = costTenant(res);
    const settings = await tenantSettings(db, tenantId);
    res.json({ rows: await listCosts(db, tenantId, settings, period.from, period.to) });
  });

  return router;
}

export const reportsFeature: Feature = { name: 'reports', routers: (deps) => [reportRoutes(deps)] };
