/**
 * The reports API (docs/reports.md) as the page uses it. Every call carries the credential in the
 * Authorization header, never in the URL; with the admin token the tenant goes in `tenant_id`.
 */
export type Model = 'first' | 'last' | 'last_non_direct' | 'linear' | 'time_decay' | 'position_based' | 'markov';
export const MODELS: readonly Model[] = ['first', 'last', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov'];
export type Group = 'channel' | 'source' | 'campaign' | 'term';

export interface Credential {
  kind: 'session' | 'admin';
  token: string;
  /** With the admin token only. */
  tenantId?: string;
}

export interface Period {
  from: string;
  to: string;
}

export interface ChannelRow {
  key: { channel: string; source?: string; campaign?: string; term?: string };
  visits: number;
  visitors: number;
  leads: number;
  deals: number;
  won: number;
  revenue: number;
  cost: number | null;
  cpl: number | null;
  cost_per_sale: number | null;
  romi: number | null;
  average_deal: number | null;
  conversion: { visit_to_lead: number | null; lead_to_deal: number | null; deal_to_won: number | null };
}

export interface ChannelsReport {
  period: Period;
  model: Model;
  level: string;
  group: Group;
  currency: string;
  rows: ChannelRow[];
  totals: ChannelRow;
}

export interface TimeseriesReport {
  period: Period;
  interval: 'day' | 'week';
  series: Array<{ date: string; key: string; visits: number; leads: number }>;
}

export interface FunnelStage {
  stage_id: string;
  name: string;
  sort: number;
  entered: number;
  conversion_from_previous: number | null;
  median_seconds_in_stage: number | null;
  lost: Array<{ reason: string; count: number }>;
}

export interface FunnelReport {
  period: Period;
  pipeline_id: string | null;
  stages: FunnelStage[];
  visits: number;
  leads: number;
  won: number;
  by_channel: Array<{ channel: string; visits: number; leads: number; stages: Array<{ stage_id: string; entered: number }>; won: number }>;
}

export interface ManagersReport {
  currency: string;
  rows: Array<{ user_id: string; user_name: string | null; deals: number; won: number; conversion: number | null; revenue: number; median_days_to_win: number | null }>;
}

export interface PathsReport {
  currency: string;
  rows: Array<{ path: string[]; deals: number; won: number; revenue: number }>;
}

export interface LtvReport {
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

export interface UnmatchedReport {
  total: number;
  unmatched: number;
  share: number | null;
  trend: Array<{ date: string; total: number; unmatched: number }>;
  reasons: Array<{ reason: string; count: number }>;
}

export interface DashboardContext {
  tenant: { id: string; name: string };
  session: { origin: string; locale: 'ru' | 'en' | null };
  settings: { locale: 'ru' | 'en'; attribution_model: Model; currency: string };
  sites: Array<{ id: string; domain: string }>;
  pipelines: Array<{ id: string; name: string }>;
  crm: { kind: string; domain: string; status: string } | null;
  has_visits: boolean;
  has_deals: boolean;
}

export interface CostImport {
  imported: number;
  skipped: Array<{ line: number; reason: string }>;
}

/** A failed call: the HTTP status and the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | undefined>;

export class Api {
  constructor(private readonly credential: Credential) {}

  get kind(): Credential['kind'] {
    return this.credential.kind;
  }

  url(path: string, params: Params = {}): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== '') search.set(name, String(value));
    }
    if (this.credential.kind === 'admin' && this.credential.tenantId) search.set('tenant_id', this.credential.tenantId);
    const query = search.toString();
    return query ? `${path}?${query}` : path;
  }

  private async request(path: string, params: Params, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.url(path, params), {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${this.credential.token}` },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      let code = 'http_error';
      let message = `HTTP ${response.status}`;
      try {
        const body = (await response.json()) as { error?: { code?: string; message?: string } };
        code = body.error?.code ?? code;
        message = body.error?.message ?? message;
      } catch {
        // Not our JSON error body (a proxy's page): the status says enough.
      }
      throw new ApiError(response.status, code, message);
    }
    return response;
  }

  async json<T>(path: string, params: Params = {}): Promise<T> {
    return (await (await this.request(path, params)).json()) as T;
  }

  /** A report as CSV, handed to the browser as a download (a Blob: the token never enters a URL). */
  async downloadCsv(path: string, params: Params, fallbackName: string): Promise<void> {
    const response = await this.request(path, { ...params, format: 'csv' });
    const blob = await response.blob();
    const disposition = response.headers.get('content-disposition') ?? '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
    const href = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = href;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }

  async uploadCosts(csv: Blob, mapping: string): Promise<CostImport> {
    const response = await this.request('/api/v1/costs', { mapping }, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv });
    return (await response.json()) as CostImport;
  }
}
