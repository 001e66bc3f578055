/**
 * One section per report: it loads its report, shows loading, an error that says what went wrong, an
 * empty state that says why, or the data; and exports its own CSV.
 */
import type {
  ChannelGroupBy,
  ChannelRow,
  ChannelsAnswer,
  CostImportAnswer,
  DashboardContext,
  FunnelAnswer,
  LtvAnswer,
  ManagersAnswer,
  PathsAnswer,
  ReportModel,
  TimeseriesAnswer,
  UnmatchedAnswer,
} from '../../server/reports/answers.js';
import type { Api, Params } from './api.js';
import { ApiError } from './api.js';
import { barChart, chartEmpty, lineChart } from './charts.js';
import { h, replaceChildren } from './dom.js';
import { compactMoney, count, duration, money, percent } from './format.js';
import { locale, t } from './i18n.js';
import { channelLabel } from '../../widget/shared/channelNames.js';

export interface Filters {
  from: string;
  to: string;
  site_id: string;
  pipeline_id: string;
  model: ReportModel;
  level: 'leads' | 'deals' | 'won';
  interval: 'day' | 'week';
}

export interface SectionHost {
  api: Api | undefined;
  context: DashboardContext | undefined;
  filters: Filters;
  /** Handles authentication failures for the whole page; true when it did. */
  failed(error: unknown): boolean;
}

export interface Section {
  element(): HTMLElement;
  render(): void;
  load(): Promise<void>;
}

type State<T> = { kind: 'idle' } | { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; data: T };

function commonParams(filters: Filters): Params {
  return { from: filters.from, to: filters.to, site_id: filters.site_id, pipeline_id: filters.pipeline_id, model: filters.model };
}

/** Why a report has no rows: nothing tracked, no CRM, no deals yet, or just nothing in the period. */
function emptyReason(host: SectionHost, needs: 'visits' | 'deals'): string {
  const context = host.context;
  if (context && needs === 'visits' && !context.has_visits) return t().noVisits;
  if (context && !context.crm && needs === 'deals') return t().noCrm;
  if (context && !context.has_deals && needs === 'deals') return t().noDeals;
  return t().noRows;
}

/** A table cell; null leaves it empty (the managers row of deals nobody is responsible for, whose user is not known by name either). */
type Cell = string | Node | null;

function table(headers: string[], rows: Cell[][], options: { footer?: Cell[]; id?: string; numericFrom?: number } = {}): HTMLElement {
  const numericFrom = options.numericFrom ?? 1;
  const cells = (values: Cell[], tag: 'td' | 'th') =>
    values.map((value, index) => h(tag, index >= numericFrom ? { class: 'lf-num' } : {}, value));
  return h(
    'div',
    { class: 'lf-table-wrap' },
    h(
      'table',
      { class: 'lf-table', id: options.id },
      h('thead', {}, h('tr', {}, headers.map((header, index) => h('th', index >= numericFrom ? { class: 'lf-num', scope: 'col' } : { scope: 'col' }, header)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, cells(row, 'td')))),
      options.footer ? h('tfoot', {}, h('tr', {}, cells(options.footer, 'th'))) : null,
    ),
  );
}

abstract class ReportSection<T> implements Section {
  protected state: State<T> = { kind: 'idle' };
  protected body: HTMLElement = h('div');
  private generation = 0;

  constructor(
    protected readonly host: SectionHost,
    readonly id: string,
  ) {}

  abstract title(): string;
  help(): string | undefined {
    return undefined;
  }
  /** The report path and its parameters, for loading and for the CSV export; undefined for sections without a report. */
  abstract request(): { path: string; params: Params; csvName: string } | undefined;
  abstract draw(data: T): void;
  controls(): HTMLElement[] {
    return [];
  }

  element(): HTMLElement {
    this.body = h('div', { class: 'lf-body' });
    const request = this.request();
    return h(
      'section',
      { class: 'lf-section', id: `lf-${this.id}` },
      h(
        'div',
        { class: 'lf-section-head' },
        h('h2', {}, this.title()),
        h('span', { class: 'lf-spacer' }),
        ...this.controls(),
        request
          ? h('button', { type: 'button', class: 'lf-csv', 'data-report': this.id, onclick: (() => void this.exportCsv()) as EventListener }, t().exportCsv)
          : null,
      ),
      this.help() ? h('p', { class: 'lf-help' }, this.help()) : null,
      this.body,
    );
  }

  render(): void {
    const state = this.state;
    this.body.setAttribute('aria-busy', state.kind === 'loading' ? 'true' : 'false');
    this.body.dataset.state = state.kind;
    if (state.kind === 'loading' || state.kind === 'idle') replaceChildren(this.body, h('p', { class: 'lf-loading' }, t().loading));
    else if (state.kind === 'error') {
      replaceChildren(
        this.body,
        h('p', { class: 'lf-error', role: 'alert' }, `${t().requestFailed}: ${state.message}`),
        h('button', { type: 'button', onclick: (() => void this.load()) as EventListener }, t().retry),
      );
    } else {
      this.body.textContent = '';
      this.draw(state.data);
    }
  }

  async load(): Promise<void> {
    const request = this.request();
    const api = this.host.api;
    if (!request || !api) return;
    const generation = ++this.generation;
    this.state = { kind: 'loading' };
    this.render();
    try {
      const data = await api.json<T>(request.path, request.params);
      if (generation !== this.generation) return;
      this.state = { kind: 'ready', data };
    } catch (error) {
      if (generation !== this.generation) return;
      if (this.host.failed(error)) return;
      this.state = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    this.render();
  }

  private async exportCsv(): Promise<void> {
    const request = this.request();
    const api = this.host.api;
    if (!request || !api) return;
    try {
      await api.downloadCsv(request.path, request.params, `${request.csvName}-${this.host.filters.from}-${this.host.filters.to}.csv`);
    } catch (error) {
      if (this.host.failed(error)) return;
      window.alert(`${t().exportFailed}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Every day of a period, so days without visits show as zero instead of being skipped. */
function everyDay(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); day <= end && days.length < 400; day += 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

const NEXT_GROUP: Record<ChannelGroupBy, ChannelGroupBy | undefined> = { channel: 'source', source: 'campaign', campaign: 'term', term: undefined };

function keyLabel(row: ChannelRow, group: ChannelGroupBy): string {
  const value = row.key[group];
  if (value === undefined || value === null || value === '') return '(none)';
  return group === 'channel' ? channelLabel(value, locale()) : value;
}

/** Reports 1 and 2: the channels table with its drill-down, and the top rows by revenue as a chart. */
class ChannelsSection extends ReportSection<ChannelsAnswer> {
  /** The drill path: the channel, then source, then campaign chosen so far. */
  private drill: { channel?: string; source?: string; campaign?: string } = {};
  readonly chartBody = h('div', { class: 'lf-chart' });

  constructor(host: SectionHost) {
    super(host, 'channels');
  }

  group(): ChannelGroupBy {
    if (this.drill.campaign !== undefined) return 'term';
    if (this.drill.source !== undefined) return 'campaign';
    if (this.drill.channel !== undefined) return 'source';
    return 'channel';
  }

  title(): string {
    return t().channelsTitle;
  }

  help(): string {
    return t().channelsHelp;
  }

  request() {
    const filters = this.host.filters;
    return {
      path: '/api/v1/reports/channels',
      params: { ...commonParams(filters), level: filters.level, group: this.group(), ...this.drill },
      csvName: 'channels',
    };
  }

  controls(): HTMLElement[] {
    const select = h(
      'select',
      {
        id: 'lf-level',
        'aria-label': t().level,
        onchange: ((event: Event) => {
          this.host.filters.level = (event.target as HTMLSelectElement).value as Filters['level'];
          void this.load();
        }) as EventListener,
      },
      h('option', { value: 'won' }, t().levelWon),
      h('option', { value: 'deals' }, t().levelDeals),
      h('option', { value: 'leads' }, t().levelLeads),
    );
    select.value = this.host.filters.level;
    return [h('label', { class: 'lf-inline' }, t().level, select)];
  }

  private breadcrumbs(): HTMLElement {
    const steps: Array<{ label: string; drill: ChannelsSection['drill'] }> = [{ label: t().allChannels, drill: {} }];
    if (this.drill.channel !== undefined) steps.push({ label: channelLabel(this.drill.channel, locale()), drill: { channel: this.drill.channel } });
    if (this.drill.source !== undefined) steps.push({ label: this.drill.source, drill: { channel: this.drill.channel, source: this.drill.source } });
    if (this.drill.campaign !== undefined) steps.push({ label: this.drill.campaign, drill: { ...this.drill } });
    return h(
      'nav',
      { class: 'lf-crumbs', id: 'lf-crumbs' },
      steps.map((step, index) =>
        index === steps.length - 1
          ? h('span', { 'aria-current': 'true' }, step.label)
          : h('button', { type: 'button', class: 'lf-link', onclick: (() => this.goTo(step.drill)) as EventListener }, step.label),
      ),
    );
  }

  private goTo(drill: ChannelsSection['drill']): void {
    this.drill = Object.fromEntries(Object.entries(drill).filter(([, value]) => value !== undefined));
    void this.load();
  }

  draw(report: ChannelsAnswer): void {
    const group = report.group;
    const currency = report.currency;
    const next = NEXT_GROUP[group];
    const metrics = (row: ChannelRow) => [
      count(row.visits),
      count(row.visitors),
      count(row.leads),
      count(row.deals),
      count(row.won),
      money(row.revenue, currency),
      money(row.cost, currency),
      money(row.cpl, currency),
      money(row.cost_per_sale, currency),
      percent(row.romi),
      money(row.average_deal, currency),
      percent(row.conversion.visit_to_lead),
      percent(row.conversion.lead_to_deal),
      percent(row.conversion.deal_to_won),
    ];
    const c = t().col;
    const headers = [t().group[group], c.visits, c.visitors, c.leads, c.deals, c.won, c.revenue, c.cost, c.cpl, c.cost_per_sale, c.romi, c.average_deal, c.visit_to_lead, c.lead_to_deal, c.deal_to_won];
    this.body.appendChild(this.breadcrumbs());
    if (report.rows.length === 0) {
      this.body.appendChild(h('p', { class: 'lf-empty' }, emptyReason(this.host, 'visits')));
    } else {
      const rows = report.rows.map((row) => {
        const label = keyLabel(row, group);
        const cell: string | Node =
          next === undefined
            ? label
            : h('button', { type: 'button', class: 'lf-link lf-drill', onclick: (() => this.goTo({ ...this.drill, [group]: row.key[group] ?? '' })) as EventListener }, label);
        return [cell, ...metrics(row)];
      });
      this.body.appendChild(table(headers, rows, { id: 'lf-channels-table', footer: [c.total, ...metrics(report.totals)] }));
    }
    const top = [...report.rows].filter((row) => row.revenue > 0).slice(0, 10);
    if (top.length === 0) chartEmpty(this.chartBody, report.rows.length === 0 ? emptyReason(this.host, 'visits') : emptyReason(this.host, 'deals'));
    else barChart(this.chartBody, top.map((row) => keyLabel(row, group)), top.map((row) => row.revenue), c.revenue, (value) => compactMoney(value, currency));
  }

  render(): void {
    super.render();
    if (this.state.kind === 'error') chartEmpty(this.chartBody, t().requestFailed);
    if (this.state.kind === 'loading') chartEmpty(this.chartBody, t().loading);
  }
}

/** Report 2 draws the channels answer: this section only hosts the chart the channels section fills. */
class TopChannelsSection implements Section {
  constructor(private readonly channels: ChannelsSection) {}

  element(): HTMLElement {
    return h('section', { class: 'lf-section', id: 'lf-top-channels' }, h('div', { class: 'lf-section-head' }, h('h2', {}, t().topChannelsTitle)), this.channels.chartBody);
  }

  render(): void {
    // Drawn by the channels section with each answer.
  }

  async load(): Promise<void> {
    // Loaded with the channels report.
  }
}

/** Report 3: visits and leads per source over time. */
class TimeseriesSection extends ReportSection<TimeseriesAnswer> {
  constructor(host: SectionHost) {
    super(host, 'timeseries');
  }

  title(): string {
    return t().timeseriesTitle;
  }

  request() {
    return { path: '/api/v1/reports/timeseries', params: { ...commonParams(this.host.filters), interval: this.host.filters.interval, group: 'source' }, csvName: 'timeseries' };
  }

  controls(): HTMLElement[] {
    const select = h(
      'select',
      {
        id: 'lf-interval',
        'aria-label': t().interval,
        onchange: ((event: Event) => {
          this.host.filters.interval = (event.target as HTMLSelectElement).value as Filters['interval'];
          void this.load();
        }) as EventListener,
      },
      h('option', { value: 'day' }, t().day),
      h('option', { value: 'week' }, t().week),
    );
    select.value = this.host.filters.interval;
    return [h('label', { class: 'lf-inline' }, t().interval, select)];
  }

  draw(report: TimeseriesAnswer): void {
    if (report.series.length === 0) {
      this.body.appendChild(h('p', { class: 'lf-empty' }, emptyReason(this.host, 'visits')));
      return;
    }
    const dates = report.interval === 'day' ? everyDay(report.period.from, report.period.to) : [...new Set(report.series.map((point) => point.date))].sort();
    const totals = new Map<string, number>();
    for (const point of report.series) totals.set(point.key, (totals.get(point.key) ?? 0) + point.visits + point.leads);
    // Six sources by volume get their own line; the rest share one, so the chart stays readable.
    const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key);
    const shown = ranked.slice(0, ranked.length > 7 ? 6 : 7);
    const other = ranked.length > shown.length ? t().otherSources : undefined;
    const lines = (metric: 'visits' | 'leads') => {
      const byKey = new Map<string, number[]>([...shown, ...(other ? [other] : [])].map((key) => [key, dates.map(() => 0)]));
      for (const point of report.series) {
        const key = shown.includes(point.key) ? point.key : other!;
        const index = dates.indexOf(point.date);
        if (index >= 0) byKey.get(key)![index]! += point[metric];
      }
      return [...byKey.entries()].map(([name, values]) => ({ name: name || '(none)', values }));
    };
    const visits = h('div', { class: 'lf-chart', id: 'lf-visits-chart' });
    const leads = h('div', { class: 'lf-chart', id: 'lf-leads-chart' });
    this.body.appendChild(
      h('div', { class: 'lf-two' }, h('div', {}, h('h3', {}, t().visitsBySource), visits), h('div', {}, h('h3', {}, t().leadsBySource), leads)),
    );
    lineChart(visits, dates, lines('visits'), t().col.date);
    lineChart(leads, dates, lines('leads'), t().col.date);
  }
}

/** Report 4: the long funnel, overall and per channel. */
class FunnelSection extends ReportSection<FunnelAnswer> {
  constructor(host: SectionHost) {
    super(host, 'funnel');
  }

  title(): string {
    return t().funnelTitle;
  }

  help(): string {
    return t().funnelHelp;
  }

  request() {
    return { path: '/api/v1/reports/funnel', params: commonParams(this.host.filters), csvName: 'funnel' };
  }

  draw(report: FunnelAnswer): void {
    const c = t().col;
    if (report.visits === 0 && report.leads === 0 && report.stages.every((stage) => stage.entered === 0)) {
      this.body.appendChild(h('p', { class: 'lf-empty' }, emptyReason(this.host, report.stages.length === 0 ? 'deals' : 'visits')));
      return;
    }
    // Bars are relative to leads: visits are usually a hundred times more and would flatten the rest.
    const widest = Math.max(report.leads, ...report.stages.map((stage) => stage.entered), 1);
    const bar = (value: number, scaled = true) => {
      const fill = h('span', { class: 'lf-bar-fill' });
      fill.style.width = `${Math.min(100, (value / widest) * 100)}%`;
      return h('span', { class: 'lf-bar-cell' }, scaled ? h('span', { class: 'lf-bar' }, fill) : null, count(value));
    };
    const lost = (items: Array<{ reason: string; count: number }>) =>
      items.length === 0 ? '—' : items.map((item) => `${item.reason}: ${count(item.count)}`).join('; ');
    const rows: Array<Array<string | Node>> = [
      [c.visits, bar(report.visits, false), '—', '—', '—'],
      [c.leads, bar(report.leads), percent(report.visits > 0 ? report.leads / report.visits : null), '—', '—'],
      ...[...report.stages]
        .sort((a, b) => a.sort - b.sort)
        .map((stage) => [stage.name, bar(stage.entered), percent(stage.conversion_from_previous), duration(stage.median_seconds_in_stage), lost(stage.lost)]),
      [c.won, bar(report.won), '—', '—', '—'],
    ];
    this.body.appendChild(table([c.stage, c.entered, c.conversion, c.median_time, c.lost], rows, { id: 'lf-funnel-table', numericFrom: 2 }));
    if (report.by_channel.length > 0) {
      const stages = [...report.stages].sort((a, b) => a.sort - b.sort);
      this.body.appendChild(h('h3', {}, t().funnelByChannel));
      this.body.appendChild(
        table(
          [t().group.channel, c.visits, c.leads, ...stages.map((stage) => stage.name), c.won],
          report.by_channel.map((row) => [
            row.channel,
            count(row.visits),
            count(row.leads),
            ...stages.map((stage) => count(row.stages.find((item) => item.stage_id === stage.stage_id)?.entered ?? 0)),
            count(row.won),
          ]),
        ),
      );
    }
  }
}

/** Report 5: managers. */
class ManagersSection extends ReportSection<ManagersAnswer> {
  constructor(host: SectionHost) {
    super(host, 'managers');
  }

  title(): string {
    return t().managersTitle;
  }

  request() {
    return { path: '/api/v1/reports/managers', params: commonParams(this.host.filters), csvName: 'managers' };
  }

  draw(report: ManagersAnswer): void {
    const c = t().col;
    if (report.rows.length === 0) {
      this.body.appendChild(h('p', { class: 'lf-empty' }, emptyReason(this.host, 'deals')));
      return;
    }
    this.body.appendChild(
      table(
        [c.manager, c.deals, c.won, c.conversion, c.revenue, c.median_days_to_win],
        report.rows.map((row) => [row.user_name ?? row.user_id, count(row.deals), count(row.won), percent(row.conversion), money(row.revenue, report.currency), count(row.median_days_to_win)]),
      ),
    );
  }
}

/** Report 6: paths before a sale. */
class PathsSection extends ReportSection<PathsAnswer> {
  constructor(host: SectionHost) {
    super(host, 'paths');
  }

  title(): string {
    return t().pathsTitle;
  }

  request() {
    return { path: '/api/v1/reports/paths', params: { ...commonParams(this.host.filters), limit: 20 }, csvName: 'paths' };
  }

  draw(report: PathsAnswer): void {
    const c = t().col;
    if (report.rows.length === 0) {
      const reason = emptyReason(this.host, 'deals');
      this.body.appendChild(h('p', { class: 'lf-empty' }, reason === t().noRows ? t().noWonPaths : reason));
      return;
    }
    this.body.appendChild(
      table(
        [c.path, c.deals, c.won, c.revenue],
        report.rows.map((row) => [h('span', { class: 'lf-path' }, row.path.flatMap((step, index) => [index > 0 ? ' → ' : '', h('b', {}, channelLabel(step, locale()))])), count(row.deals), count(row.won), money(row.revenue, report.currency)]),
      ),
    );
  }
}

/** Report 7: LTV by first-touch source. */
class LtvSection extends ReportSection<LtvAnswer> {
  constructor(host: SectionHost) {
    super(host, 'ltv');
  }

  title(): string {
    return t().ltvTitle;
  }

  request() {
    return { path: '/api/v1/reports/ltv', params: commonParams(this.host.filters), csvName: 'ltv' };
  }

  draw(report: LtvAnswer): void {
    const c = t().col;
    if (report.rows.length === 0) {
      const reason = emptyReason(this.host, 'deals');
      this.body.appendChild(h('p', { class: 'lf-empty' }, reason === t().noRows ? t().noContacts : reason));
      return;
    }
    this.body.appendChild(
      table(
        [c.first_touch_source, c.contacts, c.deals, c.repeat_deals, c.revenue, c.revenue_per_contact, c.by_month],
        report.rows.map((row) => [
          row.first_touch_source || '(none)',
          count(row.contacts),
          count(row.deals),
          count(row.repeat_deals),
          money(row.revenue, report.currency),
          money(row.revenue_per_contact, report.currency),
          h('span', { class: 'lf-months' }, row.by_month.map((month) => `${month.month}: ${count(month.deals)} / ${money(month.revenue, report.currency)}`).join(' · ')),
        ]),
      ),
    );
  }
}

/** Report 8: leads without source. */
class UnmatchedSection extends ReportSection<UnmatchedAnswer> {
  constructor(host: SectionHost) {
    super(host, 'unmatched');
  }

  title(): string {
    return t().unmatchedTitle;
  }

  request() {
    return { path: '/api/v1/reports/unmatched', params: commonParams(this.host.filters), csvName: 'unmatched' };
  }

  draw(report: UnmatchedAnswer): void {
    const c = t().col;
    if (report.total === 0) {
      this.body.appendChild(h('p', { class: 'lf-empty' }, emptyReason(this.host, 'deals')));
      return;
    }
    this.body.appendChild(
      h('p', { class: 'lf-kpi', id: 'lf-unmatched-share' }, h('b', {}, percent(report.share)), ` ${t().unmatchedShare} — ${count(report.unmatched)} / ${count(report.total)}`),
    );
    const chart = h('div', { class: 'lf-chart' });
    const reasons = report.reasons.length > 0 ? table([c.reason, c.count], report.reasons.map((item) => [item.reason, count(item.count)])) : h('p', { class: 'lf-empty' }, t().noUnmatched);
    const grid = h('div', { class: 'lf-two' }, chart, h('div', {}, h('h3', {}, t().reasonsTitle), reasons));
    this.body.appendChild(grid);
    if (report.trend.length > 1) lineChart(chart, report.trend.map((point) => point.date), [
      { name: c.leads, values: report.trend.map((point) => point.total) },
      { name: c.unmatched, values: report.trend.map((point) => point.unmatched) },
    ], c.date);
    else chart.remove();
  }
}

/** Ad costs: upload a CSV (POST /api/v1/costs), then reload the reports that show costs. */
class CostsSection implements Section {
  private result: { kind: 'none' } | { kind: 'busy' } | { kind: 'done'; value: CostImportAnswer } | { kind: 'error'; message: string } = { kind: 'none' };
  private output: HTMLElement = h('div');

  constructor(
    private readonly host: SectionHost,
    private readonly afterImport: () => void,
  ) {}

  element(): HTMLElement {
    const file = h('input', { type: 'file', id: 'lf-costs-file', accept: '.csv,text/csv', name: 'file' });
    const mapping = h(
      'select',
      { id: 'lf-costs-mapping', name: 'mapping' },
      h('option', { value: 'generic' }, t().mappingGeneric),
      h('option', { value: 'yandex_direct' }, t().mappingYandex),
      h('option', { value: 'vk_ads' }, t().mappingVk),
    );
    this.output = h('div', { class: 'lf-body', id: 'lf-costs-result' });
    const form = h(
      'form',
      {
        class: 'lf-costs',
        onsubmit: ((event: Event) => {
          event.preventDefault();
          void this.upload(file.files?.[0], mapping.value);
        }) as EventListener,
      },
      h('label', { class: 'lf-inline' }, t().mapping, mapping),
      file,
      h('button', { type: 'submit', id: 'lf-costs-upload' }, t().upload),
    );
    return h('section', { class: 'lf-section', id: 'lf-costs' }, h('div', { class: 'lf-section-head' }, h('h2', {}, t().costsTitle)), h('p', { class: 'lf-help' }, t().costsHelp), form, this.output);
  }

  render(): void {
    const result = this.result;
    if (result.kind === 'none') replaceChildren(this.output);
    else if (result.kind === 'busy') replaceChildren(this.output, h('p', { class: 'lf-loading' }, t().uploading));
    else if (result.kind === 'error') replaceChildren(this.output, h('p', { class: 'lf-error', role: 'alert' }, result.message));
    else {
      replaceChildren(
        this.output,
        h('p', {}, t().imported(result.value.imported)),
        result.value.skipped.length > 0
          ? h('div', {}, h('p', {}, t().skippedLines(result.value.skipped.length)), h('ul', {}, result.value.skipped.slice(0, 20).map((item) => h('li', {}, `${t().line} ${item.line}: ${item.reason}`))))
          : null,
      );
    }
  }

  async load(): Promise<void> {
    // Nothing to load: the section only uploads.
  }

  private async upload(file: File | undefined, mapping: string): Promise<void> {
    if (!file || !this.host.api) {
      this.result = { kind: 'error', message: t().chooseFile };
      this.render();
      return;
    }
    this.result = { kind: 'busy' };
    this.render();
    try {
      this.result = { kind: 'done', value: await this.host.api.uploadCosts(file, mapping) };
      this.afterImport();
    } catch (error) {
      if (this.host.failed(error)) return;
      this.result = { kind: 'error', message: error instanceof ApiError || error instanceof Error ? error.message : String(error) };
    }
    this.render();
  }
}

export function allSections(host: SectionHost): Section[] {
  const channels = new ChannelsSection(host);
  return [
    channels,
    // Half-width sections go in pairs (dashboard.css): top channels with paths, managers with costs.
    new TopChannelsSection(channels),
    new PathsSection(host),
    new TimeseriesSection(host),
    new FunnelSection(host),
    new ManagersSection(host),
    new CostsSection(host, () => void channels.load()),
    new LtvSection(host),
    new UnmatchedSection(host),
  ];
}
