/**
 * The dashboard page (`GET /dashboard` and the CRM entry points): a small HTML shell naming the
 * built script and stylesheet (dist/dashboard, hashed names, see scripts/build-dashboard.mjs); the
 * script (dashboard/src) draws the reports from the reports API.
 *
 * How the page gets its credentials, in order:
 * 1. a CRM entry point that has checked the CRM user renders the page with a tenant session in
 *    `<meta name="longfunnel-session">` (never in the URL);
 * 2. inside a frame, the parent may send `postMessage({ type: 'longfunnel:session', token })`; the
 *    page accepts it only from an origin listed in `<meta name="longfunnel-embedders">`, which the
 *    server fills with the tenant's CRM origins (the same list as the CSP `frame-ancestors`);
 * 3. standalone: the admin token and a tenant id typed into a form, kept in sessionStorage only.
 *
 * Security headers (`dashboardSecurityHeaders`): a CSP with `script-src 'self'` and `style-src 'self'`
 * (no inline script or style at all, so no nonce or hash is needed), `connect-src 'self'` (the page
 * only talks to its own server), `frame-ancestors` = the tenant's CRM origins when it is embedded,
 * else `'self'`; `no-store`, since a page may carry a session, and `no-referrer`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';

/** dist/server/reports -> dist/dashboard */
export const dashboardBuildDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dashboard');

export interface DashboardAssets {
  script: string;
  style: string;
}

let cachedAssets: DashboardAssets | undefined;

/** The built file names (dist/dashboard/manifest.json), read once; throws a 503 when the dashboard is not built. */
export function dashboardAssets(): DashboardAssets {
  if (cachedAssets) return cachedAssets;
  let manifest: Partial<DashboardAssets>;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dashboardBuildDir, 'manifest.json'), 'utf8')) as Partial<DashboardAssets>;
  } catch {
    throw AppError.unavailable('The dashboard is not built on this server: run "npm run build"');
  }
  if (typeof manifest.script !== 'string' || typeof manifest.style !== 'string') {
    throw AppError.unavailable('The dashboard build is incomplete: run "npm run build"');
  }
  cachedAssets = { script: manifest.script, style: manifest.style };
  return cachedAssets;
}

export type DashboardLocale = 'ru' | 'en';

export interface DashboardPageOptions {
  /** A tenant session (server/security/tenantSession.ts) for a page a CRM opened; absent on the standalone page. */
  session?: string;
  locale: DashboardLocale;
  tenantName?: string;
  /** Origins whose `postMessage` session the page accepts (the CRM origins that may frame it). */
  embedderOrigins?: readonly string[];
}

const SHELL_TEXT = {
  ru: { title: 'LongFunnel — отчёты', loading: 'Загрузка отчётов…', noscript: 'Для отчётов нужен JavaScript.' },
  en: { title: 'LongFunnel — reports', loading: 'Loading the reports…', noscript: 'The reports need JavaScript.' },
} as const;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function renderDashboardPage(options: DashboardPageOptions): string {
  const assets = dashboardAssets();
  const text = SHELL_TEXT[options.locale];
  const meta = [
    `<meta name="longfunnel-locale" content="${options.locale}">`,
    options.session ? `<meta name="longfunnel-session" content="${escapeHtml(options.session)}">` : '',
    options.tenantName ? `<meta name="longfunnel-tenant-name" content="${escapeHtml(options.tenantName)}">` : '',
    options.embedderOrigins?.length ? `<meta name="longfunnel-embedders" content="${escapeHtml(options.embedderOrigins.join(' '))}">` : '',
  ].filter(Boolean);
  return `<!doctype html>
<html lang="${options.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${meta.join('\n')}
<title>${text.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/${assets.style}">
<script defer src="/dashboard/assets/${assets.script}"></script>
</head>
<body>
<div id="app"><p class="lf-boot">${text.loading}</p></div>
<noscript><p class="lf-boot">${text.noscript}</p></noscript>
</body>
</html>
`;
}

/** CSP source list for `frame-ancestors`: the given origins, or `'self'` when there are none. */
function frameAncestors(origins: readonly string[]): string {
  return origins.length > 0 ? origins.join(' ') : "'self'";
}

/** The headers every dashboard page answer carries; `embedderOrigins` are the CRM origins that may frame it. */
export function dashboardSecurityHeaders(embedderOrigins: readonly string[] = []): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "font-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${frameAncestors(embedderOrigins)}`,
    ].join('; '),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    ...(embedderOrigins.length === 0 ? { 'X-Frame-Options': 'SAMEORIGIN' } : {}),
  };
}
