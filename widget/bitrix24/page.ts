/**
 * The Bitrix24 deal tab's panel (panel.js): the page (server/widget/placementPage.ts) carries the
 * deal id and a short-lived session in <meta> tags; one API call with the session, then the panel.
 * After each draw it tells the frame helper (b24frame.js) to fit the frame to the content.
 */
import type { PanelLocale } from '../shared/dealView.js';
import { showPanel, type PanelHost } from '../shared/panel.js';

export const DRAWN_EVENT = 'longfunnel:drawn';

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

function start(): void {
  const container = document.getElementById('longfunnel-panel');
  if (!container) return;
  const locale: PanelLocale = meta('longfunnel-locale') === 'ru' ? 'ru' : 'en';
  const dealId = meta('longfunnel-deal');
  const session = meta('longfunnel-session');
  const host: PanelHost = {
    container,
    locale,
    async fetchView() {
      const response = await fetch(`/api/v1/widget/deals/${encodeURIComponent(dealId)}?locale=${locale}`, {
        headers: { authorization: `Bearer ${session}`, accept: 'application/json' },
        credentials: 'omit',
      });
      let body: unknown = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      return { status: response.status, body };
    },
    onDrawn() {
      document.documentElement.dataset.lfDrawn = String(Number(document.documentElement.dataset.lfDrawn ?? '0') + 1);
      document.dispatchEvent(new CustomEvent(DRAWN_EVENT));
    },
  };
  void showPanel(host);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
