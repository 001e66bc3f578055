/**
 * The dashboard feature: the page (`GET /dashboard`), its built assets (`/dashboard/assets/<hashed
 * name>`, cached for a year) and `GET /api/v1/dashboard/context`, what the page needs besides the
 * reports: the tenant's name and settings, its sites and pipelines for the filters, and whether
 * tracking and a CRM have delivered anything yet (so an empty report can say why).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Router, type Request } from 'express';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Feature, FeatureDeps } from '../runtime.js';
import { requireTenantAccess, sessionOf } from '../security/tenantSession.js';
import type { Queryable } from '../storage/database.js';
import { tenantSettings } from '../tenants/tenantSettings.js';
import type { DashboardContext } from './answers.js';
import { dashboardAssets, dashboardBuildDir, dashboardSecurityHeaders, renderDashboardPage, type DashboardLocale } from './dashboardPage.js';

/**
 * The origins of the tenant's CRM (its amoCRM account or Bitrix24 portal, and the amoCRM base URL
 * when one is configured, e.g. an emulator): they may frame the dashboard and hand it a session.
 */
export async function tenantEmbedderOrigins(db: Queryable, config: Config, tenantId: string): Promise<string[]> {
  const { rows } = await db.query<{ crm: string; domain: string }>(
    "SELECT crm, domain FROM crm_accounts WHERE tenant_id = $1 AND status <> 'disabled'",
    [tenantId],
  );
  const origins = new Set<string>();
  for (const row of rows) {
    if (/^[a-z0-9.-]+(:\d+)?$/i.test(row.domain)) origins.add(`https://${row.domain.toLowerCase()}`);
    if (row.crm === 'amocrm' && config.amocrm.baseUrl) {
      // AMOCRM_BASE_URL may hold a `{subdomain}` placeholder for the account (docs/configuration.md).
      const subdomain = row.domain.split('.')[0] ?? '';
      try {
        origins.add(new URL(config.amocrm.baseUrl.replaceAll('{subdomain}', subdomain)).origin);
      } catch {
        // Not a URL once filled in: config validation makes this unreachable; the account's own origin stays.
      }
    }
  }
  return [...origins];
}

function requestedLocale(req: Request): DashboardLocale | undefined {
  const lang = req.query.lang;
  if (lang === 'ru' || lang === 'en') return lang;
  return undefined;
}

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
  type: string;
}

function loadAsset(name: string): Asset {
  const body = fs.readFileSync(path.join(dashboardBuildDir, name));
  return {
    body,
    gzipped: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
    type: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'application/javascript; charset=utf-8',
  };
}

function dashboardRoutes(deps: FeatureDeps): Router {
  const router = Router();
  const assets = new Map<string, Asset>();
  try {
    const built = dashboardAssets();
    for (const name of [built.script, built.style]) assets.set(name, loadAsset(name));
  } catch {
    deps.logger.error(`dashboard not built in ${dashboardBuildDir}: run "npm run build"; /dashboard answers 503 until then`);
  }

  router.get('/dashboard', async (req, res) => {
    const tenantId = typeof req.query.tenant_id === 'string' ? req.query.tenant_id.trim() : '';
    let embedderOrigins: string[] = [];
    let locale = requestedLocale(req);
    if (tenantId) {
      // A frame inside the tenant's CRM: it may be framed by, and take a session from, the CRM's origins.
      // The tenant id reveals nothing else here: the reports still need the session or the admin token.
      embedderOrigins = await tenantEmbedderOrigins(deps.db, deps.config, tenantId);
      if (!locale) locale = await tenantSettings(deps.db, tenantId).then((settings) => settings.locale, () => undefined);
    }
    locale ??= req.acceptsLanguages('ru', 'en') === 'en' ? 'en' : 'ru';
    const html = renderDashboardPage({ locale, embedderOrigins });
    res.set(dashboardSecurityHeaders(embedderOrigins)).send(html);
  });

  router.get('/dashboard/assets/:file', (req, res) => {
    const asset = assets.get(req.params.file as string);
    if (!asset) throw AppError.notFound('No such dashboard file');
    res.setHeader('Content-Type', asset.type);
    // The names carry a content hash (scripts/build-dashboard.mjs): a new build is a new name.
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', asset.etag);
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.get('if-none-match') === asset.etag) {
      res.status(304).end();
      return;
    }
    if (req.acceptsEncodings('gzip') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(asset.gzipped);
      return;
    }
    res.send(asset.body);
  });

  router.get('/api/v1/dashboard/context', requireTenantAccess(deps.cipher, deps.config.adminToken), async (_req, res) => {
    const session = sessionOf(res);
    const tenantId = session.tenantId;
    const tenant = await deps.db.query<{ name: string }>('SELECT name FROM tenants WHERE id = $1', [tenantId]);
    if (tenant.rows.length === 0) throw AppError.notFound(`No tenant ${JSON.stringify(tenantId)}`);
    const [settings, sites, pipelines, crm, visits, deals] = await Promise.all([
      tenantSettings(deps.db, tenantId),
      deps.db.query<{ id: string; domain: string }>('SELECT id, domain FROM sites WHERE tenant_id = $1 ORDER BY domain, id', [tenantId]),
      deps.db.query<{ pipeline_id: string; pipeline_name: string }>(
        'SELECT pipeline_id, min(pipeline_name) AS pipeline_name FROM crm_stages WHERE tenant_id = $1 GROUP BY pipeline_id ORDER BY pipeline_id',
        [tenantId],
      ),
      deps.db.query<{ crm: string; domain: string; status: string }>('SELECT crm, domain, status FROM crm_accounts WHERE tenant_id = $1', [tenantId]),
      deps.db.query('SELECT 1 FROM visits WHERE tenant_id = $1 LIMIT 1', [tenantId]),
      deps.db.query('SELECT 1 FROM deals WHERE tenant_id = $1 LIMIT 1', [tenantId]),
    ]);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      tenant: { id: tenantId, name: tenant.rows[0]!.name },
      session: { origin: session.origin, locale: session.locale ?? null },
      settings: { locale: settings.locale, attribution_model: settings.attributionModel, currency: settings.currency },
      sites: sites.rows.map((row) => ({ id: row.id, domain: row.domain })),
      pipelines: pipelines.rows.map((row) => ({ id: row.pipeline_id, name: row.pipeline_name })),
      crm: crm.rows[0] ? { kind: crm.rows[0].crm, domain: crm.rows[0].domain, status: crm.rows[0].status } : null,
      has_visits: visits.rows.length > 0,
      has_deals: deals.rows.length > 0,
    } satisfies DashboardContext);
  });
  return router;
}

export const dashboardFeature: Feature = {
  name: 'dashboard',
  routers: (deps) => [dashboardRoutes(deps)],
};
