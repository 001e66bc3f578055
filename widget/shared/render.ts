/**
 * The panel as HTML, from the one API answer (dealView.ts). Plain strings with every value
 * escaped; no framework. Styles live in panel.css, scoped under `.lf-panel`.
 */
import type { ContactTouch, DealView, PanelLocale, TouchSource, Touchpoint, VisitTouch } from './dealView.js';
import { channelName, textsFor, type Texts } from './i18n.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Match reasons the server writes (server/crm/enrichment), in Russian. */
const ruReasons: Record<string, string> = {
  'no visitor id in the deal and no contact to match by phone or e-mail': 'в сделке нет ID посетителя и нет контакта, чтобы связать по телефону или e-mail',
  "no visitor id in the deal, and no visitor left the contact's phone or e-mail": 'в сделке нет ID посетителя, и ни один посетитель не оставлял телефон или e-mail контакта',
  'the visitor has no visits within the lookback window before the deal': 'у посетителя нет визитов в окне атрибуции до сделки',
  'LongFunnel has not matched this deal yet: it does so within a minute of the deal arriving': 'LongFunnel ещё не связал сделку: это происходит в течение минуты после её появления',
};

function reasonText(locale: PanelLocale, reason: string | null): string {
  if (!reason) return '';
  return locale === 'ru' ? (ruReasons[reason] ?? reason) : reason;
}

export function formatDateTime(locale: PanelLocale, iso: string): string {
  return new Intl.DateTimeFormat(locale === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

export function formatDate(locale: PanelLocale, iso: string): string {
  return new Intl.DateTimeFormat(locale === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso));
}

/** "3 d 4 h", "12 min", "45 s": the two largest units. */
export function formatDuration(texts: Texts, seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) parts.push(texts.days(days));
  if (hours) parts.push(texts.hours(hours));
  if (minutes && !days) parts.push(texts.minutes(minutes));
  if (parts.length === 0) parts.push(texts.seconds(s % 60));
  return parts.slice(0, 2).join(' ');
}

/** "yesterday", "3 days ago": for touches after the lead. */
export function formatAgo(locale: PanelLocale, iso: string, now: number): string {
  const days = Math.round((new Date(iso).getTime() - now) / 86_400_000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (days !== 0) return format.format(days, 'day');
  const hours = Math.round((new Date(iso).getTime() - now) / 3_600_000);
  return hours === 0 ? format.format(0, 'day') : format.format(hours, 'hour');
}

/** A page address as a person reads it: path and query, without the scheme and host. */
export function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = `${parsed.pathname}${parsed.search}`;
    return path === '/' ? parsed.host : path;
  } catch {
    return url;
  }
}

function sourceLine(touch: TouchSource, texts: Texts): string {
  const parts = [touch.source, touch.medium, touch.campaign].filter((part): part is string => Boolean(part)).map(escapeHtml).join(' / ');
  const term = touch.term ? ` <span class="lf-term">· ${escapeHtml(texts.term)}: «${escapeHtml(touch.term)}»</span>` : '';
  return `${parts}${term}`;
}

function percent(credit: number): string {
  return `${Math.round(credit * 100)}%`;
}

function summaryRow(label: string, body: string): string {
  return `<div class="lf-row"><div class="lf-label">${escapeHtml(label)}</div><div class="lf-value">${body}</div></div>`;
}

function touchSourceHtml(touch: TouchSource | null, texts: Texts): string {
  if (!touch) return '<span class="lf-muted">—</span>';
  return `<span class="lf-channel">${escapeHtml(channelName(texts, touch.channel))}</span> <span class="lf-source">${sourceLine(touch, texts)}</span>`;
}

function banner(view: DealView, texts: Texts): string {
  if (view.integration.status === 'needs_reauth') return `<div class="lf-banner lf-warn" role="alert">${escapeHtml(texts.reauth)}</div>`;
  if (view.integration.status === 'disabled') return `<div class="lf-banner lf-warn" role="alert">${escapeHtml(texts.disabled)}</div>`;
  return '';
}

function summary(view: DealView, texts: Texts): string {
  const { summary: s, match, attribution } = view;
  const matchLine =
    match.method === 'none'
      ? `<span class="lf-muted">${escapeHtml(texts.matchMethods.none)}</span>`
      : `${escapeHtml(texts.matchMethods[match.method])} <span class="lf-muted">(${escapeHtml(texts.sure(Math.round(match.confidence * 100)))})</span>`;
  if (s.touchesBeforeLead === 0 && s.touchesAfterLead === 0) {
    return (
      `<section class="lf-section lf-empty"><div class="lf-empty-title">${escapeHtml(texts.noVisitData)}</div>` +
      `<p class="lf-reason">${escapeHtml(reasonText(view.locale, match.reason))}</p>` +
      summaryRow(texts.matched, matchLine) +
      '</section>'
    );
  }
  const model = texts.models[attribution.applied];
  const credited = s.credited ? `${touchSourceHtml(s.credited, texts)} <span class="lf-credit">${percent(s.credited.credit)}</span>` : '<span class="lf-muted">—</span>';
  const fallback = attribution.fallback ? `<p class="lf-note">${escapeHtml(texts.markovFallback)}</p>` : '';
  const reason = match.reason ? `<p class="lf-reason">${escapeHtml(reasonText(view.locale, match.reason))}</p>` : '';
  return (
    '<section class="lf-section lf-summary">' +
    summaryRow(texts.credited(model), credited) +
    fallback +
    summaryRow(texts.firstTouch, touchSourceHtml(s.firstTouch, texts)) +
    summaryRow(texts.lastNonDirect, touchSourceHtml(s.lastNonDirect, texts)) +
    summaryRow(texts.matched, matchLine) +
    reason +
    `<div class="lf-muted lf-count">${escapeHtml(texts.touches(s.touchesBeforeLead, s.touchesAfterLead))}</div>` +
    '</section>'
  );
}

function funnel(view: DealView, texts: Texts, now: number): string {
  const { funnel: f, deal } = view;
  const stageName = f.current.name ?? '—';
  const inStage = formatDuration(texts, (now - new Date(f.current.since).getTime()) / 1000);
  const passed = f.passed.length
    ? `<ol class="lf-stages">${f.passed
        .map((stage) => `<li><span class="lf-stage-name">${escapeHtml(stage.name)}</span> <span class="lf-muted">${escapeHtml(formatDate(view.locale, stage.at))}</span></li>`)
        .join('')}</ol>`
    : `<p class="lf-muted">${escapeHtml(texts.noStageHistory)}</p>`;
  const pipeline = f.pipelineName ? `<span class="lf-muted">${escapeHtml(f.pipelineName)} · </span>` : '';
  return (
    `<section class="lf-section lf-funnel"><h3>${escapeHtml(texts.funnel)}</h3>` +
    `<div class="lf-stage-now lf-outcome-${deal.outcome}">${pipeline}<strong>${escapeHtml(stageName)}</strong></div>` +
    `<div class="lf-muted">${escapeHtml(texts.inStage(inStage))}</div>` +
    `<div class="lf-sub">${escapeHtml(texts.stagesPassed)}</div>${passed}</section>`
  );
}

function attribution(view: DealView, texts: Texts): string {
  const credited = view.timeline.filter((touch) => touch.credit !== null).slice().reverse();
  if (credited.length === 0) return '';
  const rows = credited
    .map((touch) => {
      const credit = touch.credit ?? 0;
      return (
        `<li class="lf-bar-row"><div class="lf-bar-label"><span>${escapeHtml(channelName(texts, touch.channel))}</span><span class="lf-muted"> ${escapeHtml(formatDate(view.locale, touch.at))}</span></div>` +
        `<div class="lf-bar"><span data-width="${Math.round(credit * 100)}"></span></div><div class="lf-bar-value">${percent(credit)}</div></li>`
      );
    })
    .join('');
  return `<section class="lf-section lf-attribution"><h3>${escapeHtml(texts.attribution)} <span class="lf-muted">· ${escapeHtml(texts.models[view.attribution.applied])}</span></h3><ol class="lf-bars">${rows}</ol></section>`;
}

function visitItem(view: DealView, visit: VisitTouch, texts: Texts, now: number): string {
  const pages = visit.pages.length
    ? `<details class="lf-pages"><summary>${escapeHtml(texts.pages(visit.pageviews))}</summary><ol>${visit.pages.map((page) => `<li title="${escapeHtml(page)}">${escapeHtml(shortUrl(page))}</li>`).join('')}</ol></details>`
    : `<div class="lf-muted">${escapeHtml(texts.pages(visit.pageviews))}</div>`;
  const goals = visit.goals.length ? `<div class="lf-goals">${escapeHtml(texts.goals)}: ${visit.goals.map((goal) => `<span class="lf-goal">${escapeHtml(goal)}</span>`).join(' ')}</div>` : '';
  const device = [visit.device, visit.browser, visit.os].filter(Boolean).map(escapeHtml).join(' · ');
  return (
    `<div class="lf-line">${escapeHtml(texts.landing)}: <span class="lf-url" title="${escapeHtml(visit.landingUrl)}">${escapeHtml(shortUrl(visit.landingUrl))}</span></div>` +
    pages +
    goals +
    `<div class="lf-muted">${device} · ${escapeHtml(texts.duration)} ${escapeHtml(formatDuration(texts, visit.durationSeconds))}</div>` +
    (visit.afterLead ? `<div class="lf-ago">${escapeHtml(formatAgo(view.locale, visit.at, now))}</div>` : '')
  );
}

function contactItem(view: DealView, touch: ContactTouch, texts: Texts, now: number): string {
  const label = touch.label ? `<div class="lf-line">${escapeHtml(touch.label)}</div>` : '';
  const duration = touch.durationSeconds !== null ? `<div class="lf-muted">${escapeHtml(texts.duration)} ${escapeHtml(formatDuration(texts, touch.durationSeconds))}</div>` : '';
  return label + duration + (touch.afterLead ? `<div class="lf-ago">${escapeHtml(formatAgo(view.locale, touch.at, now))}</div>` : '');
}

function timelineItem(view: DealView, touch: Touchpoint, texts: Texts, now: number): string {
  const after = touch.afterLead ? ` <span class="lf-badge">${escapeHtml(texts.afterLead)}</span>` : '';
  const credit = touch.credit !== null ? ` <span class="lf-credit">${percent(touch.credit)}</span>` : '';
  const body = touch.kind === 'visit' ? visitItem(view, touch, texts, now) : contactItem(view, touch, texts, now);
  return (
    `<li class="lf-touch lf-kind-${touch.kind}${touch.afterLead ? ' lf-after' : ''}">` +
    `<div class="lf-touch-head"><span class="lf-when">${escapeHtml(formatDateTime(view.locale, touch.at))}</span>${after}${credit}</div>` +
    `<div class="lf-line"><span class="lf-kind">${escapeHtml(texts.kinds[touch.kind])}</span> · <span class="lf-channel">${escapeHtml(channelName(texts, touch.channel))}</span></div>` +
    `<div class="lf-line lf-source">${sourceLine(touch, texts)}</div>${body}</li>`
  );
}

function timeline(view: DealView, texts: Texts, now: number): string {
  if (view.timeline.length === 0) return '';
  const older = view.timelineOmitted > 0 ? `<p class="lf-muted">${escapeHtml(texts.older(view.timelineOmitted))}</p>` : '';
  return `<section class="lf-section lf-timeline"><h3>${escapeHtml(texts.timeline)}</h3><ol class="lf-touches">${view.timeline.map((touch) => timelineItem(view, touch, texts, now)).join('')}</ol>${older}</section>`;
}

/** The whole panel for a loaded view. `now` (ms) is when it is drawn: "time in stage", "yesterday". */
export function renderView(view: DealView, now: number): string {
  const texts = textsFor(view.locale);
  return (
    `<div class="lf-head">${escapeHtml(texts.title)}</div>` +
    banner(view, texts) +
    summary(view, texts) +
    funnel(view, texts, now) +
    attribution(view, texts) +
    timeline(view, texts, now)
  );
}

export function renderLoading(locale: PanelLocale): string {
  const texts = textsFor(locale);
  return `<div class="lf-head">${escapeHtml(texts.title)}</div><p class="lf-muted lf-loading">${escapeHtml(texts.loading)}</p>`;
}

export type PanelProblem = 'session_expired' | 'not_found' | 'unreachable' | 'server_error' | 'not_configured';

export function renderProblem(locale: PanelLocale, problem: PanelProblem, detail: string | undefined): string {
  const texts = textsFor(locale);
  const lead = {
    session_expired: texts.sessionExpired,
    not_found: texts.notFound,
    unreachable: texts.unreachable,
    server_error: texts.serverError,
    not_configured: texts.notConfigured,
  }[problem];
  const more = detail ? `<p class="lf-detail">${escapeHtml(detail)}</p>` : '';
  const retry = problem === 'unreachable' || problem === 'server_error' ? `<button type="button" class="lf-retry">${escapeHtml(texts.retry)}</button>` : '';
  return `<div class="lf-head">${escapeHtml(texts.title)}</div><div class="lf-error" role="alert"><div class="lf-error-title">${escapeHtml(texts.errorTitle)}</div><p>${escapeHtml(lead)}</p>${more}${retry}</div>`;
}
