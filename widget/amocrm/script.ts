/**
 * The amoCRM widget (amocrm.md section 5): the body of script.js. The build wraps it into the
 * RequireJS module amoCRM loads — `define(['jquery'], function ($) { ...; return CustomWidget; })`
 * — whose constructor sets the callbacks amoCRM calls: render, init, bind_actions, settings, onSave,
 * destroy, and advancedSettings for the `advanced_settings` page.
 *
 * - Deal card (`lcard-1`, the right column): the panel, from one `$authorizedAjax` call to
 *   `GET {server}/api/v1/widget/deals/{AMOCRM.data.current_card.id}`; amoCRM adds the disposable
 *   token (`X-Auth-Token`) that our server checks.
 * - `advanced_settings` (the widget's own page under Settings): the reports dashboard in a frame;
 *   the disposable token is exchanged for a session (`POST /api/v1/widget/session`) which is posted
 *   to the frame, never put into its URL.
 * - Settings: `server_url`, the LongFunnel server's address (self-hosted, so each account names its own).
 */
import css from '../shared/panel.css';
import type { PanelLocale } from '../shared/dealView.js';
import { drawProblem, showPanel, type ApiAnswer, type PanelHost } from '../shared/panel.js';

interface JqXhr {
  status: number;
  responseJSON?: unknown;
  responseText?: string;
}
interface Deferred {
  done(callback: (body: unknown, status: string, xhr: JqXhr) => void): Deferred;
  fail(callback: (xhr: JqXhr) => void): Deferred;
}
interface AmoWidget {
  callbacks: Record<string, unknown>;
  get_settings(): Record<string, unknown>;
  system(): { area?: string };
  i18n(key: string): Record<string, string> | undefined;
  render_template(options: { caption: { class_name: string; html?: string }; body: string; render: string }): void;
  $authorizedAjax(options: { url: string; method: string; dataType: string; data?: unknown }): Deferred;
}
interface AmocrmGlobal {
  data?: { current_card?: { id?: number | string } };
}
declare const AMOCRM: AmocrmGlobal | undefined;

const STYLE_ID = 'longfunnel-panel-style';
const ROOT_ID = 'longfunnel-panel';

function injectStyle(): void {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement('style');
  style.id = STYLE_ID;
  style.textContent = css;
  document.head.appendChild(style);
}

/** `https://lf.example.com`, from the widget's settings; undefined when unset or not an http(s) address. */
export function serverAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

function answerOf(xhr: JqXhr): ApiAnswer {
  let body = xhr.responseJSON;
  if (body === undefined && xhr.responseText) {
    try {
      body = JSON.parse(xhr.responseText) as unknown;
    } catch {
      body = null;
    }
  }
  return { status: xhr.status, body: body ?? null };
}

function ajax(widget: AmoWidget, url: string, method: string): Promise<ApiAnswer> {
  return new Promise((resolve) => {
    widget
      .$authorizedAjax({ url, method, dataType: 'json' })
      .done((body, _status, xhr) => resolve({ status: xhr.status, body }))
      .fail((xhr) => resolve(answerOf(xhr)));
  });
}

export function createWidget(): new () => AmoWidget {
  function CustomWidget(this: AmoWidget): AmoWidget {
    const self = this;
    const locale = (): PanelLocale => (self.i18n('panel')?.lang === 'ru' ? 'ru' : 'en');
    const server = () => serverAddress(self.get_settings().server_url);
    const inCard = () => {
      const area = self.system().area;
      return area === 'lcard' || area === 'leads_card';
    };
    const cardId = (): string | undefined => {
      const id = typeof AMOCRM === 'object' ? AMOCRM?.data?.current_card?.id : undefined;
      return id !== undefined && String(id) !== '0' ? String(id) : undefined;
    };

    const showDeal = (container: HTMLElement, dealId: string) => {
      const base = server();
      const host: PanelHost = {
        container,
        locale: locale(),
        fetchView: () => ajax(self, `${base}/api/v1/widget/deals/${encodeURIComponent(dealId)}?locale=${locale()}`, 'GET'),
      };
      if (!base) drawProblem(host, 'not_configured');
      else void showPanel(host);
    };

    const showDashboard = (area: HTMLElement) => {
      const base = server();
      const host: PanelHost = { container: area, locale: locale(), fetchView: () => Promise.resolve({ status: 0, body: null }) };
      if (!base) {
        drawProblem(host, 'not_configured');
        return;
      }
      void ajax(self, `${base}/api/v1/widget/session?locale=${locale()}`, 'POST').then((answer) => {
        const body = answer.body as { session?: string; dashboard_url?: string } | null;
        if (answer.status !== 200 || !body?.session || !body.dashboard_url) {
          drawProblem(host, answer.status === 0 ? 'unreachable' : answer.status === 401 ? 'session_expired' : answer.status === 404 ? 'not_found' : 'server_error');
          return;
        }
        const frame = document.createElement('iframe');
        frame.className = 'lf-dashboard-frame';
        frame.title = 'LongFunnel';
        frame.style.cssText = 'width:100%;min-height:80vh;border:0';
        const session = body.session;
        const target = new URL(body.dashboard_url).origin;
        frame.addEventListener('load', () => frame.contentWindow?.postMessage({ type: 'longfunnel:session', token: session }, target));
        frame.src = body.dashboard_url;
        area.innerHTML = '';
        area.appendChild(frame);
      });
    };

    this.callbacks = {
      render() {
        if (!inCard()) return true;
        const dealId = cardId();
        if (!dealId) return true; // a new, unsaved deal has nothing to show yet
        injectStyle();
        self.render_template({ caption: { class_name: 'lf-caption' }, body: '', render: `<div id="${ROOT_ID}" class="lf-panel"></div>` });
        const container = document.getElementById(ROOT_ID);
        if (container) showDeal(container, dealId);
        return true;
      },
      init() {
        injectStyle();
        return true;
      },
      bind_actions() {
        return true;
      },
      settings() {
        return true;
      },
      onSave(data: { fields?: Record<string, unknown> }) {
        return serverAddress(data?.fields?.server_url) !== undefined;
      },
      destroy() {
        document.getElementById(ROOT_ID)?.remove();
      },
      advancedSettings() {
        injectStyle();
        const code = self.get_settings().widget_code;
        const area = document.getElementById(`work-area-${String(code)}`);
        if (area) showDashboard(area);
        return true;
      },
    };
    return this;
  }
  return CustomWidget as unknown as new () => AmoWidget;
}
