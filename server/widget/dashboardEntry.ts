/**
 * The reports dashboard as a CRM opens it (the Bitrix24 application's main page): the page that
 * server/reports/dashboardPage.ts renders, given the session the CRM's check produced. The
 * dashboard is its own feature; when a build does not have it, the CRM's frame says so (503)
 * instead of showing an empty area.
 */
import type { Response } from 'express';
import { sendFramedError } from './placementPage.js';

export interface DashboardEntry {
  session: string;
  locale: 'ru' | 'en';
  tenantName?: string;
  /** The CRM page allowed to frame the dashboard. */
  frameAncestor: string;
}

type RenderDashboardPage = (options: { session?: string; locale: 'ru' | 'en'; tenantName?: string }) => string | Promise<string>;

/** Resolved at run time: the reports dashboard is built by another feature and may be absent from a build. */
const DASHBOARD_MODULE = '../reports/dashboardPage.js';

async function dashboardRenderer(): Promise<RenderDashboardPage | undefined> {
  try {
    const loaded = (await import(DASHBOARD_MODULE)) as { renderDashboardPage?: unknown };
    return typeof loaded.renderDashboardPage === 'function' ? (loaded.renderDashboardPage as RenderDashboardPage) : undefined;
  } catch {
    return undefined;
  }
}

export async function renderDashboardEntry(response: Response, entry: DashboardEntry): Promise<void> {
  const render = await dashboardRenderer();
  if (!render) {
    sendFramedError(response, 503, entry.frameAncestor, 'Reports are not available', 'This LongFunnel server has no reports dashboard built in yet; the deal tab works without it.');
    return;
  }
  const html = await render({ session: entry.session, locale: entry.locale, ...(entry.tenantName ? { tenantName: entry.tenantName } : {}) });
  response.setHeader('Content-Security-Policy', `frame-ancestors ${entry.frameAncestor}`);
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cache-Control', 'no-store');
  response.status(200).type('html').send(html);
}
