/**
 * The JSON the reports API answers (docs/reports.md, docs/openapi.yaml): the reports, the dashboard's
 * context and the cost upload. Pure types, shared by the server (which builds the answers) and the
 * dashboard (dashboard/src, which draws them): no imports, nothing that runs, so the dashboard's
 * own type check (DOM, no Node types) and its esbuild bundle can follow the import here.
 */

/** The attribution models by name (server/attribution's AttributionModel, which the server assigns to these fields). */
export type ReportModel = 'first' | 'last' | 'last_non_direct' | 'linear' | 'time_decay' | 'position_based' | 'markov';
/** Which conversions a model credits: every lead, deals, deals that reached a chosen stage (`stage_id`), won deals. */
export type Level = 'leads' | 'deals' | 'stage' | 'won';
export type ChannelGroupBy = 'channel' | 'source' | 'campaign' | 'term';

/** The period an answer covers: YYYY-MM-DD, both inclusive (UTC). */
export interface ReportPeriod {
  from: string;
  to: string;
}

// ---- 1 and 2. Channels ----------------------------------------------------------------------

/** A row's channel, and as far as the grouping goes its source, campaign and term; null where not set (and `totals`' channel). */
export interface ChannelKey {
  channel: string | null;
  source?: string | null;
  campaign?: string | null;
  term?: string | null;
}

export interface ChannelRow {
  key: ChannelKey;
  visits: number;
  visitors: number;
  leads: number;
  deals: number;
  won: number;
  revenue: number;
  /** Deals that reached the chosen stage (`stage_id`), credited by the model; only when a stage was asked for. */
  reached_stage?: number;
  cost: number | null;
  cpl: number | null;
  cost_per_sale: number | null;
  romi: number | null;
  average_deal: number | null;
  conversion: { visit_to_lead: number | null; lead_to_deal: number | null; deal_to_won: number | null };
}

export interface ChannelsAnswer {
  period: ReportPeriod;
  model: ReportModel;
  level: Level;
  group: ChannelGroupBy;
  currency: string;
  rows: ChannelRow[];
  totals: ChannelRow;
}

// ---- 3. Visits and leads over time ----------------------------------------------------------

export interface TimeseriesAnswer {
  period: ReportPeriod;
  interval: 'day' | 'week';
  currency: string;
  series: Array<{ date: string; key: string; visits: number; leads: number }>;
}

// ---- 4. The long funnel -----------------------------------------------------------------------

export interface FunnelStage {
  stage_id: string;
  name: string;
  sort: number;
  entered: number;
  conversion_from_previous: number | null;
  median_seconds_in_stage: number | null;
  lost: Array<{ reason: string; count: number }>;
}

export interface FunnelAnswer {
  period: ReportPeriod;
  currency: string;
  pipeline_id: string | null;
  stages: FunnelStage[];
  visits: number;
  leads: number;
  won: number;
  by_channel: Array<{ channel: string; visits: number; leads: number; stages: Array<{ stage_id: string; entered: number }>; won: number }>;
}

// ---- 5. Managers ------------------------------------------------------------------------------

/** `user_id` null: the deals nobody is responsible for; `user_name` null: a user not read from the CRM (the dashboard shows the id). */
export interface ManagersAnswer {
  period: ReportPeriod;
  currency: string;
  rows: Array<{ user_id: string | null; user_name: string | null; deals: number; won: number; conversion: number | null; revenue: number; median_days_to_win: number | null }>;
}

// ---- 6. Paths before a sale -------------------------------------------------------------------

export interface PathsAnswer {
  period: ReportPeriod;
  currency: string;
  rows: Array<{ path: string[]; deals: number; won: number; revenue: number }>;
}

// ---- 7. LTV by first-touch source -------------------------------------------------------------

export interface LtvAnswer {
  period: ReportPeriod;
  currency: string;
  rows: Array<{
    first_touch_source: string;
    contacts: number;
    deals: number;
    repeat_deals: number;
    revenue: number;
    revenue_per_contact: number | null;
    by_month: Array<{ month: string; deals: number; revenue: number }>;
  }>;
}

// ---- 8. Leads without a source ----------------------------------------------------------------

export interface UnmatchedAnswer {
  period: ReportPeriod;
  currency: string;
  total: number;
  unmatched: number;
  share: number | null;
  trend: Array<{ date: string; total: number; unmatched: number }>;
  reasons: Array<{ reason: string; count: number }>;
}

// ---- The dashboard's context (`GET /api/v1/dashboard/context`) --------------------------------

export interface DashboardContext {
  tenant: { id: string; name: string };
  session: { origin: 'amocrm' | 'bitrix24' | 'admin'; locale: 'ru' | 'en' | null };
  settings: { locale: 'ru' | 'en'; attribution_model: ReportModel; currency: string };
  sites: Array<{ id: string; domain: string }>;
  pipelines: Array<{ id: string; name: string }>;
  crm: { kind: string; domain: string; status: string } | null;
  has_visits: boolean;
  has_deals: boolean;
}

// ---- Ad costs uploaded (`POST /api/v1/costs`) -------------------------------------------------

/** A line of the cost file that was not imported: its number and why. */
export interface SkippedLine {
  line: number;
  reason: string;
}

export interface CostImportAnswer {
  imported: number;
  skipped: SkippedLine[];
}
