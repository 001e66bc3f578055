/**
 * A stand-in for the reports API (docs/reports.md), answering contract-shaped JSON and CSV with fixed
 * numbers, for looking at the dashboard's states (many rows, empty answers, errors) without seeding
 * a long history. It is a test feature mounted next to the production ones; the dashboard's browser
 * test itself runs against the real reports.
 *
 * Numbers depend on the model the way real attribution would move them: under `first` the organic
 * channel gets the credit that `last_non_direct` gives to paid search.
 */
import { Router, type Request, type Response } from 'express';
import type { Feature } from '../../server/runtime.js';
import { requireTenantAccess } from '../../server/security/tenantSession.js';

function row(channel: string, visits: number, leads: number, deals: number, won: number, revenue: number, cost: number, key: Record<string, string> = {}) {
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
  return {
    key: { channel, ...key },
    visits,
    visitors: Math.round(visits * 0.8),
    leads,
    deals,
    won,
    revenue,
    cost,
    cpl: ratio(cost, leads),
    cost_per_sale: ratio(cost, won),
    romi: ratio(revenue - cost, cost),
    average_deal: ratio(revenue, won),
    conversion: { visit_to_lead: ratio(leads, visits), lead_to_deal: ratio(deals, leads), deal_to_won: ratio(won, deals) },
  };
}

function period(req: Request) {
  return { from: String(req.query.from ?? '2026-10-24'), to: String(req.query.to ?? '2026-11-22') };
}

function answer(req: Request, res: Response, name: string, body: Record<string, unknown>, csv: string): void {
  if (req.query.format === 'csv') {
    const { from, to } = period(req);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${name}-${from}-${to}.csv"`);
    res.send(csv);
    return;
  }
  res.json(body);
}

export function reportsFixtureFeature(options: { empty?: boolean } = {}): Feature {
  return {
    name: 'reports-fixture',
    routers(deps) {
      const router = Router();
      const access = requireTenantAccess(deps.cipher, deps.config.adminToken);
      router.get('/api/v1/reports/channels', access, (req, res) => {
        const first = req.query.model === 'first';
        const group = String(req.query.group ?? 'channel');
        const rows = options.empty
          ? []
          : group === 'channel'
            ? [
                row('paid_search', 1200, first ? 20 : 48, first ? 10 : 22, first ? 4 : 9, first ? 180000 : 405000, 150000),
                row('organic_search', 2400, first ? 52 : 30, first ? 24 : 14, first ? 8 : 4, first ? 360000 : 150000, 0),
                row('social', 800, 12, 6, 2, 85000, 40000),
                row('direct', 1500, 10, 4, 1, 30000, 0),
                row('referral', 300, 4, 2, 0, 0, 0),
              ]
            : [row(String(req.query.channel ?? 'paid_search'), 700, 30, 14, 6, 270000, 90000, { source: 'yandex' }), row(String(req.query.channel ?? 'paid_search'), 500, 18, 8, 3, 135000, 60000, { source: 'google' })];
        const sum = (field: 'visits' | 'leads' | 'deals' | 'won' | 'revenue' | 'cost') => rows.reduce((total, item) => total + item[field], 0);
        const totals = row('', sum('visits'), sum('leads'), sum('deals'), sum('won'), sum('revenue'), sum('cost'));
        answer(req, res, 'channels', { period: period(req), model: req.query.model ?? 'last_non_direct', level: 'won', group, currency: 'RUB', rows, totals }, `channel,revenue\n${rows.map((item) => `${item.key.channel},${item.revenue}`).join('\n')}\n`);
      });
      router.get('/api/v1/reports/timeseries', access, (req, res) => {
        const series = options.empty
          ? []
          : Array.from({ length: 14 }, (_, day) => {
              const date = `2026-11-${String(day + 9).padStart(2, '0')}`;
              return [
                { date, key: 'yandex', visits: 40 + ((day * 7) % 13), leads: 2 + (day % 3) },
                { date, key: 'google', visits: 25 + ((day * 5) % 11), leads: 1 + (day % 2) },
                { date, key: '(direct)', visits: 30 + ((day * 3) % 7), leads: day % 2 },
              ];
            }).flat();
        answer(req, res, 'timeseries', { period: period(req), interval: 'day', currency: 'RUB', series }, 'date,key,visits,leads\n');
      });
      router.get('/api/v1/reports/funnel', access, (req, res) => {
        const stages = [
          { stage_id: '1', name: 'Первичный контакт', sort: 10, entered: 104, conversion_from_previous: 1, median_seconds_in_stage: 7200, lost: [] },
          { stage_id: '2', name: 'Переговоры', sort: 20, entered: 60, conversion_from_previous: 0.577, median_seconds_in_stage: 259200, lost: [{ reason: 'Дорого', count: 12 }, { reason: 'Не дозвонились', count: 7 }] },
          { stage_id: '3', name: 'Счёт выставлен', sort: 30, entered: 30, conversion_from_previous: 0.5, median_seconds_in_stage: 172800, lost: [{ reason: 'Выбрали конкурента', count: 5 }] },
        ];
        answer(req, res, 'funnel', options.empty
          ? { period: period(req), pipeline_id: '1', stages: stages.map((stage) => ({ ...stage, entered: 0, conversion_from_previous: null, median_seconds_in_stage: null, lost: [] })), visits: 0, leads: 0, won: 0, by_channel: [] }
          : { period: period(req), pipeline_id: '1', stages, visits: 6200, leads: 104, won: 16, by_channel: [{ channel: 'paid_search', visits: 1200, leads: 48, stages: [{ stage_id: '1', entered: 48 }, { stage_id: '2', entered: 30 }, { stage_id: '3', entered: 15 }], won: 9 }] }, 'stage,entered\n');
      });
      router.get('/api/v1/reports/managers', access, (req, res) => {
        answer(req, res, 'managers', { period: period(req), currency: 'RUB', rows: options.empty ? [] : [{ user_id: '11', user_name: 'Анна Смирнова', deals: 30, won: 9, conversion: 0.3, revenue: 420000, median_days_to_win: 6.5 }, { user_id: '12', user_name: 'Олег Петров', deals: 18, won: 7, conversion: 0.389, revenue: 250000, median_days_to_win: 9 }] }, 'user\n');
      });
      router.get('/api/v1/reports/paths', access, (req, res) => {
        answer(req, res, 'paths', { period: period(req), currency: 'RUB', rows: options.empty ? [] : [{ path: ['organic_search', 'paid_search'], deals: 9, won: 6, revenue: 270000 }, { path: ['paid_search'], deals: 5, won: 3, revenue: 135000 }, { path: ['social', 'direct', 'paid_search'], deals: 2, won: 1, revenue: 60000 }] }, 'path\n');
      });
      router.get('/api/v1/reports/ltv', access, (req, res) => {
        answer(req, res, 'ltv', { period: period(req), currency: 'RUB', rows: options.empty ? [] : [{ first_touch_source: 'yandex', contacts: 20, deals: 26, repeat_deals: 6, revenue: 520000, revenue_per_contact: 26000, by_month: [{ month: '2026-10', deals: 12, revenue: 240000 }, { month: '2026-11', deals: 14, revenue: 280000 }] }] }, 'source\n');
      });
      router.get('/api/v1/reports/unmatched', access, (req, res) => {
        answer(req, res, 'unmatched', options.empty
          ? { period: period(req), total: 0, unmatched: 0, share: null, trend: [], reasons: [] }
          : { period: period(req), total: 104, unmatched: 13, share: 0.125, trend: [{ date: '2026-11-20', total: 40, unmatched: 6 }, { date: '2026-11-21', total: 34, unmatched: 4 }, { date: '2026-11-22', total: 30, unmatched: 3 }], reasons: [{ reason: 'no_visitor_id', count: 9 }, { reason: 'phone_not_seen', count: 4 }] }, 'date,total,unmatched\n');
      });
      return [router];
    },
  };
}
