/**
 * The reports dashboard as a CRM opens it (the Bitrix24 application's main page): the page of
 * server/reports/dashboardPage.ts with the session the CRM's check produced in its <meta>, and the
 * dashboard's own security headers with the CRM's origin as the only page that may frame it.
 */
import type { Response } from 'express';
import { AppError } from '../errors.js';
import { dashboardSecurityHeaders, renderDashboardPage } from '../reports/dashboardPage.js';
import { sendFramedError } from './placementPage.js';

export interface DashboardEntry {
  session: string;
  locale: 'ru' | 'en';
  tenantName?: string;
  /** The CRM page allowed to frame the dashboard. */
  frameAncestor: string;
}

export async function renderDashboardEntry(response: Response, entry: DashboardEntry): Promise<void> {
  let html: string;
  try {
    html = renderDashboardPage({ session: entry.session, locale: entry.locale, ...(entry.tenantName ? { tenantName: entry.tenantName } : {}), embedderOrigins: [entry.frameAncestor] });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    sendFramedError(response, error.status, entry.frameAncestor, 'Reports are not available', error.message);
    return;
  }
  response.status(200).set(dashboardSecurityHeaders([entry.frameAncestor])).send(html);
}
