/**
 * The deal-card widget's HTTP side:
 *
 * - `GET /api/v1/widget/deals/:dealId[?locale=ru|en]`: the one call the panel makes
 *   (widget/shared/dealView.ts). amoCRM's disposable token (`X-Auth-Token`) or a tenant session
 *   (`Authorization: Bearer`, the Bitrix24 tab). A deal of another tenant is 404, like one that
 *   does not exist.
 * - `POST /api/v1/widget/session`: amoCRM's disposable token exchanged for a tenant session, for
 *   pages the widget opens inside amoCRM (the reports dashboard in `advanced_settings`).
 * - CORS: only the installed amoCRM accounts' own pages (`https://{subdomain}.amocrm.ru`) may call
 *   these from a browser; a successful answer to a CRM token is readable only by that token's account.
 * - `GET /widget/assets/:file`: the panel's script and styles for pages served from here (the
 *   Bitrix24 tab), built by `npm run build` into dist/widget/bitrix24.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { CrmAccount } from '../crm/crmAccounts.js';
import { AppError } from '../errors.js';
import type { FeatureDeps } from '../runtime.js';
import { issueTenantSession } from '../security/tenantSession.js';
import { buildDealView } from './dealView.js';
import type { WidgetAuth } from './widgetAuth.js';

/** dist/server/widget -> dist/widget/bitrix24 */
export const widgetAssetsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../widget/bitrix24');
const ASSETS: Record<string, string> = {
  'panel.js': 'application/javascript; charset=utf-8',
  'panel.css': 'text/css; charset=utf-8',
  'b24frame.js': 'application/javascript; charset=utf-8',
};
export const dealIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** A session for a page the amoCRM widget opens (the dashboard): as long as the disposable token it came from. */
export const AMOCRM_PAGE_SESSION_SECONDS = 30 * 60;

function localeParam(value: unknown): 'ru' | 'en' | undefined {
  if (value === undefined) return undefined;
  if (value === 'ru' || value === 'en') return value;
  throw AppError.validation('locale must be ru or en');
}

export function widgetRoutes(deps: FeatureDeps, auth: WidgetAuth): Router {
  const router = Router();
  const verifier = auth.crmTokenVerifier;

  async function accountOfOrigin(origin: URL): Promise<CrmAccount | undefined> {
    if (!verifier) return undefined;
    const { rows } = await deps.db.query<{ tenant_id: string }>('SELECT tenant_id FROM crm_accounts WHERE crm = $1 AND lower(domain) = $2', [
      verifier.crm,
      origin.hostname.toLowerCase(),
    ]);
    const tenantId = rows[0]?.tenant_id;
    return tenantId ? auth.accounts.byTenant(tenantId) : undefined;
  }

  const cors = async (request: Request, response: Response, next: NextFunction) => {
    const header = request.get('origin');
    response.vary('Origin');
    if (header && verifier) {
      let origin: URL | undefined;
      try {
        origin = new URL(header);
      } catch {
        origin = undefined;
      }
      const account = origin ? await accountOfOrigin(origin) : undefined;
      if (origin && account && verifier.originAllowed(origin, account)) {
        response.setHeader('Access-Control-Allow-Origin', header);
        response.locals.corsOrigin = origin;
      }
    }
    if (request.method === 'OPTIONS') {
      if (response.locals.corsOrigin) {
        response.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        response.setHeader('Access-Control-Allow-Headers', 'X-Auth-Token, Authorization');
        response.setHeader('Access-Control-Max-Age', '600');
      }
      response.status(204).end();
      return;
    }
    next();
  };
  router.use('/api/v1/widget', cors);

  /** A CRM token's answer is for its own account's page only. */
  const keepCorsToAccount = (response: Response, account: CrmAccount, via: string) => {
    const origin = response.locals.corsOrigin as URL | undefined;
    if (origin && via === 'crm_token' && verifier && !verifier.originAllowed(origin, account)) response.removeHeader('Access-Control-Allow-Origin');
  };

  router.get('/api/v1/widget/deals/:dealId', async (request, response) => {
    const dealId = request.params.dealId as string;
    if (!dealIdPattern.test(dealId)) throw AppError.validation('dealId must be the CRM deal id');
    const locale = localeParam(request.query.locale);
    const caller = await auth.caller(request);
    keepCorsToAccount(response, caller.account, caller.via);
    const view = await buildDealView(deps.db, caller.account, dealId, locale ?? caller.locale);
    response.setHeader('Cache-Control', 'private, no-store');
    response.json(view);
  });

  router.post('/api/v1/widget/session', async (request, response) => {
    const token = request.get('x-auth-token');
    if (!token) throw AppError.unauthorized('Send the amoCRM widget token in X-Auth-Token (the widget does this through $authorizedAjax)');
    const locale = localeParam(request.query.locale);
    const caller = await auth.fromCrmToken(token.trim());
    keepCorsToAccount(response, caller.account, caller.via);
    const session = await issueTenantSession(
      deps.cipher,
      { tenantId: caller.account.tenantId, origin: 'amocrm', ...(caller.userId ? { userId: caller.userId } : {}), ...(locale ? { locale } : {}) },
      AMOCRM_PAGE_SESSION_SECONDS,
    );
    response.setHeader('Cache-Control', 'no-store');
    // The dashboard framed in the account's page: `tenant_id` makes it name the account's origins as the ones that may frame it and hand it the session.
    const dashboard = new URL(`${deps.config.publicUrl}/dashboard`);
    dashboard.searchParams.set('tenant_id', caller.account.tenantId);
    if (locale) dashboard.searchParams.set('lang', locale);
    response.json({ session, expires_in: AMOCRM_PAGE_SESSION_SECONDS, dashboard_url: dashboard.toString() });
  });

  const assets = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    try {
      assets.set(name, fs.readFileSync(path.join(widgetAssetsDir, name)));
    } catch {
      deps.logger.error(`widget asset missing at ${path.join(widgetAssetsDir, name)}: run "npm run build"; the Bitrix24 tab cannot render until then`);
    }
  }
  router.get('/widget/assets/:file', (request, response) => {
    const name = request.params.file as string;
    const type = ASSETS[name];
    if (!type) throw AppError.notFound(`No widget asset ${name}`);
    const body = assets.get(name);
    if (!body) throw AppError.unavailable('The widget is not built on this server: run "npm run build"');
    response.setHeader('Content-Type', type);
    response.setHeader('Cache-Control', 'public, max-age=300');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.send(body);
  });
  return router;
}
