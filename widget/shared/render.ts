/**
 * The panel as HTML, from the one API answer (dealView.ts). Plain strings with every value
 * escaped; no framework. Styles live in panel.css, scoped under `.lf-panel`.
 */
import type { ContactTouch, DealView, PanelLocale, TouchSource, Touchpoint, VisitTouch } from './dealView.js';
import { channelName, textsFor, type Texts } from './i18n.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Why a deal has no source: the codes the server stores (server/crm/enrichment/matchReasons.ts) and its other reasons. */
const reasons: Record<string, { en: string; ru: string }> = {
  no_tracker_visit: {
    en: 'The deal has no visitor id, and no site visitor left its phone or e-mail.',
    ru: 'В сделке нет ID посетителя, и ни один посетитель сайта не оставлял её телефон или e-mail.',
  },
  no_identity: { en: 'The deal has no visitor id, phone or e-mail to match by.', ru: 'В сделке нет ID посетителя, телефона или e-mail, по которым её можно связать.' },
  call_to_non_leased_number: {
    en: 'The call came to a tracking number that no visit held at the time.',
    ru: 'Звонок пришёл на номер коллтрекинга, который в тот момент не был показан ни одному посетителю.',
  },
  lease_expired: { en: "The call came after the number's lease to the visitor had ended.", ru: 'Звонок пришёл, когда номер уже не был закреплён за посетителем.' },
  not_matched_yet: {
    en: 'LongFunnel has not matched this deal yet: it does so within a minute of the deal arriving.',
    ru: 'LongFunnel ещё не связал сделку: это происходит в течение минуты после её появления.',
  },
  'the visitor has no visits within the lookback window before the deal': {
    en: 'The visitor has no visits within the lookback window before the deal.',
    ru: 'У посетителя нет визитов в окне атрибуции до сделки.',
  },
};

function reasonText(locale: PanelLocale, reason: string | null): string {
  if (!reason) return '';
  return reasons[reason]?.[locale] ?? reason;
}

export function formatDateTime(locale: PanelLocale, iso: string): string {
  return new Intl.DateTimeFormat(locale === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

export function formatDate(locale: PanelLocale, iso: string): string {
  return new Intl.DateTimeFormat(locale === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso));
}

/** "3 d 4 h", "12 min", "1 min 35 s", "45 s": the two largest units; seconds only under ten minutes. */
export function formatDuration(texts: Texts, seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) parts.push(texts.days(days));
  if (hours) parts.push(texts.hours(hours));
  if (minutes && !days) parts.push(texts.minutes(minutes));
  if (s < 600 && (parts.length === 0 || s % 60 !== 0)) parts.push(texts.seconds(s % 60));
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

/** Parameters the source line already shows (UTM tags, click ids): left out of page addresses. */
const TRACKING_PARAM = /^(utm_[a-z]+|yclid|gclid|fbclid|_openstat|from|roistat|ysclid|_ym_[a-z_]+)$/i;

/** A page address as a person reads it: path and readable query, without the scheme, host and tracking tags. */
export function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const params = [...parsed.searchParams].filter(([key]) => !TRACKING_PARAM.test(key));
    const query = params.length ? `?${params.map(([key, value]) => (value ? `${key}=${value}` : key)).join('&')}` : '';
    let path = parsed.pathname;
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep the encoded path
    }
    return path === '/' && !query ? parsed.host : `${path}${query}`;
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
  // The creation, unless the CRM recorded the deal's entry into its first stage (Bitrix24 does, amoCRM does not).
  const stages = f.passed[0] && f.passed[0].fromStageId === null ? f.passed : [{ name: texts.created, at: deal.createdAt }, ...f.passed];
  const passed = `<ol class="lf-stages">${stages
    .map((stage) => `<li><span class="lf-stage-name">${escapeHtml(stage.name)}</span> <span class="lf-muted">${escapeHtml(formatDateTime(view.locale, stage.at))}</span></li>`)
    .join('')}</ol>`;
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
