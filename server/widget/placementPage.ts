/**
 * The HTML of a page a CRM shows in a frame of its own (the Bitrix24 deal tab): the panel's script
 * and styles from `/widget/assets/`, the deal id and a short-lived tenant session in `<meta>` tags
 * (never in the URL), and headers that keep it in its place — a CSP with `frame-ancestors` naming
 * only the tenant's CRM, scripts and styles from this server only, API calls to this server only,
 * no referrer, no caching.
 */
import type { Response } from 'express';

export interface PlacementPage {
  session: string;
  dealId: string;
  locale: 'ru' | 'en';
  /** `https://acme.bitrix24.ru`: the only page allowed to frame this one. */
  frameAncestor: string;
  /** Script files after the panel's own (the Bitrix24 frame helper). */
  extraScripts?: readonly string[];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function frameHeaders(response: Response, frameAncestor: string): void {
  response.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors ${frameAncestor}`,
  );
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('X-Content-Type-Options', 'nosniff');
}

export function sendPlacementPage(response: Response, page: PlacementPage): void {
  frameHeaders(response, page.frameAncestor);
  const scripts = ['/widget/assets/panel.js', ...(page.extraScripts ?? [])].map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join('');
  response
    .status(200)
    .type('html')
    .send(
      `<!doctype html><html lang="${page.locale}"><head><meta charset="utf-8">` +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        `<meta name="longfunnel-session" content="${escapeHtml(page.session)}">` +
        `<meta name="longfunnel-deal" content="${escapeHtml(page.dealId)}">` +
        `<meta name="longfunnel-locale" content="${page.locale}">` +
        '<title>LongFunnel</title><link rel="stylesheet" href="/widget/assets/panel.css">' +
        `${scripts}</head><body class="lf-page"><div id="longfunnel-panel" class="lf-panel"></div></body></html>`,
    );
}

/** A page that says why the CRM's frame shows nothing (an error answer for a person, not a program). */
export function sendFramedError(response: Response, status: number, frameAncestor: string | undefined, title: string, why: string): void {
  if (frameAncestor) frameHeaders(response, frameAncestor);
  else {
    response.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *");
    response.setHeader('Cache-Control', 'no-store');
  }
  response
    .status(status)
    .type('html')
    .send(
      '<!doctype html><html><head><meta charset="utf-8"><title>LongFunnel</title>' +
        `<style>body{font:14px/1.5 system-ui,sans-serif;margin:16px;color:#222}</style></head><body><h1 style="font-size:16px">${escapeHtml(title)}</h1><p>${escapeHtml(why)}</p></body></html>`,
    );
}
