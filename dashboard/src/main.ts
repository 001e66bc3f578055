/**
 * The dashboard: gets a credential (session.ts), reads the tenant's context, then draws the eight
 * reports, each in its own section that loads, fails and exports on its own.
 */
import './dashboard.css';
import type { DashboardContext, ReportModel } from '../../server/reports/answers.js';
import { Api, ApiError, MODELS, type Credential } from './api.js';
import { h, replaceChildren } from './dom.js';
import { isoDay } from './format.js';
import { setLocale, t, type Locale } from './i18n.js';
import { allSections, type Filters, type Section, type SectionHost } from './reports.js';
import { askFrameForNewSession, embedderOrigins, forgetAdmin, isFramed, listenForFrameSessions, meta, metaSession, storeAdmin, storedAdmin } from './session.js';

const LOCALE_KEY = 'longfunnel.locale';

/** The reader's own choice: the switch (remembered), or `?lang=` in the address. */
function chosenLocale(): Locale | undefined {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (fromUrl === 'ru' || fromUrl === 'en') return fromUrl;
  try {
    const value = localStorage.getItem(LOCALE_KEY);
    return value === 'ru' || value === 'en' ? value : undefined;
  } catch {
    return undefined;
  }
}

function defaultFilters(model: ReportModel): Filters {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86_400_000);
  return { from: isoDay(from), to: isoDay(to), site_id: '', pipeline_id: '', model, level: 'won', interval: 'day' };
}

class Dashboard implements SectionHost {
  readonly root = document.getElementById('app')!;
  api: Api | undefined;
  context: DashboardContext | undefined;
  filters: Filters = defaultFilters('last_non_direct');
  private sections: Section[] = [];
  private authFailed = false;

  constructor() {
    setLocale(chosenLocale() ?? (meta('longfunnel-locale') === 'en' ? 'en' : 'ru'));
  }

  boot(): void {
    const fromMeta = metaSession();
    if (fromMeta) {
      void this.open(fromMeta);
      return;
    }
    if (isFramed() && embedderOrigins().length > 0) {
      this.message(t().waitingForCrm);
      listenForFrameSessions((credential) => void this.open(credential));
      return;
    }
    const stored = storedAdmin();
    if (stored) void this.open(stored);
    else this.showLogin();
  }

  private message(text: string, kind: 'info' | 'error' = 'info'): void {
    replaceChildren(this.root, h('div', { class: `lf-boot lf-${kind}` }, text));
  }

  showLogin(problem?: string): void {
    const token = h('input', { type: 'password', id: 'lf-admin-token', name: 'token', autocomplete: 'off', required: true });
    const tenant = h('input', {
      type: 'text',
      id: 'lf-tenant-id',
      name: 'tenant',
      required: true,
      value: sessionStorage.getItem('longfunnel.tenantId') ?? new URLSearchParams(location.search).get('tenant_id') ?? '',
    });
    const form = h(
      'form',
      {
        class: 'lf-login',
        onsubmit: ((event: Event) => {
          event.preventDefault();
          const credential: Credential = { kind: 'admin', token: token.value.trim(), tenantId: tenant.value.trim() };
          if (!credential.token || !credential.tenantId) return;
          storeAdmin(credential.token, credential.tenantId!);
          void this.open(credential);
        }) as EventListener,
      },
      h('h1', {}, t().loginTitle),
      h('p', { class: 'lf-help' }, t().loginHelp),
      problem ? h('p', { class: 'lf-error', role: 'alert' }, problem) : null,
      h('label', { htmlFor: 'lf-admin-token' }, t().adminToken),
      token,
      h('label', { htmlFor: 'lf-tenant-id' }, t().tenantId),
      tenant,
      h('button', { type: 'submit', id: 'lf-sign-in' }, t().signIn),
      this.localeSwitch(() => this.showLogin(problem)),
    );
    replaceChildren(this.root, form);
  }

  private localeSwitch(redraw: () => void): HTMLElement {
    const select = h(
      'select',
      {
        id: 'lf-locale',
        'aria-label': t().language,
        onchange: ((event: Event) => {
          const value = (event.target as HTMLSelectElement).value as Locale;
          try {
            localStorage.setItem(LOCALE_KEY, value);
          } catch {
            // Private mode: the choice lasts until reload.
          }
          setLocale(value);
          redraw();
        }) as EventListener,
      },
      h('option', { value: 'ru' }, 'Русский'),
      h('option', { value: 'en' }, 'English'),
    );
    select.value = document.documentElement.lang === 'en' ? 'en' : 'ru';
    return select;
  }

  async open(credential: Credential): Promise<void> {
    this.authFailed = false;
    this.api = new Api(credential);
    this.message(t().loading);
    try {
      this.context = await this.api.json<DashboardContext>('/api/v1/dashboard/context');
    } catch (error) {
      this.failed(error);
      return;
    }
    if (!chosenLocale()) setLocale(this.context.session.locale ?? this.context.settings.locale);
    this.filters = defaultFilters(this.context.settings.attribution_model);
    this.sections = allSections(this);
    this.layout();
    this.reload();
  }

  /** A failed call anywhere: authentication problems replace the page; others stay in their section. */
  failed(error: unknown): boolean {
    if (!(error instanceof ApiError)) return false;
    if (error.status === 401 && !this.authFailed) {
      this.authFailed = true;
      if (this.api?.kind === 'admin') {
        forgetAdmin();
        this.showLogin(t().adminRejected);
      } else {
        askFrameForNewSession();
        this.message(t().sessionExpired, 'error');
      }
      return true;
    }
    if (error.status === 404 && this.api?.kind === 'admin' && !this.context) {
      this.showLogin(t().tenantUnknown);
      return true;
    }
    if (!this.context) {
      this.message(`${t().requestFailed}: ${error.message}`, 'error');
      return true;
    }
    return error.status === 401;
  }

  private filterBar(): HTMLElement {
    const context = this.context!;
    const input = (name: 'from' | 'to', label: string) =>
      h('label', {}, label, h('input', { type: 'date', name, value: this.filters[name], required: true }));
    const form = h(
      'form',
      {
        class: 'lf-filters',
        id: 'lf-filters',
        onsubmit: ((event: Event) => {
          event.preventDefault();
          const data = new FormData(form);
          const value = (name: string) => String(data.get(name) ?? '');
          this.filters = {
            ...this.filters,
            from: value('from'),
            to: value('to'),
            site_id: value('site_id'),
            pipeline_id: value('pipeline_id'),
            model: value('model') as ReportModel,
          };
          this.reload();
        }) as EventListener,
      },
      input('from', t().from),
      input('to', t().to),
      h(
        'label',
        {},
        t().site,
        h('select', { name: 'site_id' }, h('option', { value: '' }, t().allSites), context.sites.map((site) => h('option', { value: site.id }, site.domain))),
      ),
      h(
        'label',
        {},
        t().pipeline,
        h(
          'select',
          { name: 'pipeline_id' },
          h('option', { value: '' }, t().defaultPipeline),
          context.pipelines.map((pipeline) => h('option', { value: pipeline.id }, pipeline.name)),
        ),
      ),
      h(
        'label',
        {},
        t().model,
        h(
          'select',
          {
            name: 'model',
            id: 'lf-model',
            // The model changes the numbers at once, without pressing Apply.
            onchange: (() => form.requestSubmit()) as EventListener,
          },
          MODELS.map((model) => h('option', { value: model }, t().models[model])),
        ),
      ),
      h('button', { type: 'submit', id: 'lf-apply' }, t().apply),
    );
    for (const [name, value] of [
      ['site_id', this.filters.site_id],
      ['pipeline_id', this.filters.pipeline_id],
      ['model', this.filters.model],
    ] as const) {
      (form.elements.namedItem(name) as HTMLSelectElement).value = value;
    }
    return form;
  }

  private notices(): HTMLElement | null {
    const context = this.context!;
    const items = [
      !context.has_visits ? t().noVisits : null,
      !context.crm ? t().noCrm : context.has_deals ? null : t().noDeals,
    ].filter((item): item is string => item !== null);
    return items.length > 0 ? h('div', { class: 'lf-notices', id: 'lf-notices' }, items.map((item) => h('p', {}, item))) : null;
  }

  /** Builds the page around the sections; the sections keep their data, so a locale switch redraws without reloading. */
  layout(): void {
    const context = this.context!;
    const header = h(
      'header',
      { class: 'lf-header' },
      h('h1', {}, t().title),
      h('span', { class: 'lf-tenant', id: 'lf-tenant-name' }, context.tenant.name),
      this.api?.kind === 'session' ? h('span', { class: 'lf-origin' }, t().embeddedAs) : null,
      h('span', { class: 'lf-spacer' }),
      this.localeSwitch(() => this.layout()),
      this.api?.kind === 'admin'
        ? h(
            'button',
            {
              type: 'button',
              class: 'lf-link',
              onclick: (() => {
                forgetAdmin();
                this.showLogin();
              }) as EventListener,
            },
            t().signOut,
          )
        : null,
    );
    replaceChildren(this.root, header, this.filterBar(), this.notices(), h('main', { class: 'lf-sections' }, this.sections.map((section) => section.element())));
    for (const section of this.sections) section.render();
  }

  reload(): void {
    for (const section of this.sections) void section.load();
  }
}

new Dashboard().boot();
