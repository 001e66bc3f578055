/**
 * Installing into amoCRM (amocrm.md 1.3-1.8):
 * - `POST /api/v1/integrations/amocrm/install-link` (admin): the consent URL of the "site button"
 *   flow, with a signed, expiring `state` that names the tenant to attach the account to;
 * - `GET /oauth/amocrm/callback`: amoCRM's redirect after consent (or the single widget-install
 *   GET, `from_widget=1`, which it gives 3 seconds and never repeats). The code is exchanged on the
 *   account's own host, the account read, the tokens stored sealed; the slow steps (fields, webhook,
 *   stages, history) go to a job. A `referer` that is not an amoCRM/Kommo account host is refused
 *   before any request: the client secret is never sent to a host taken from a query string;
 * - `GET /oauth/amocrm/uninstall`: amoCRM's "integration disabled" hook, signed with the client
 *   secret; the tenant is disabled and its tokens dropped.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import type { CrmServices } from '../../server/crm/crmAdapter.js';
import { AppError } from '../../server/errors.js';
import { jsonBody } from '../../server/http/bodies.js';
import { requireAdmin } from '../../server/http/auth/requireAdmin.js';
import { CrmError } from '../crmError.js';
import { accountBaseUrl, parseAccountHost, type AccountHost } from './accountHost.js';
import { AmocrmApi } from './amocrmApi.js';
import { AmocrmOAuthClient } from './oauthClient.js';

const STATE_TTL_SECONDS = 30 * 60;
/** The code exchange and account read must fit amoCRM's 3-second window together. */
const INSTALL_CALL_TIMEOUT_MS = 1_400;

export interface AmocrmSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  baseUrl: string | undefined;
}

function page(response: Response, status: number, title: string, lines: string[]): void {
  const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  response
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>` +
        '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}</style></head>' +
        `<body><h1>${escape(title)}</h1>${lines.map((line) => `<p>${escape(line)}</p>`).join('')}</body></html>`,
    );
}

function stateKey(settings: AmocrmSettings): Uint8Array {
  return new TextEncoder().encode(`longfunnel-install-state:${settings.clientSecret}`);
}

/** The account a `referer` names. With AMOCRM_BASE_URL set, any host-like name is accepted: calls go to the base URL. */
export function installAccount(referer: string, baseUrl: string | undefined): AccountHost | undefined {
  const strict = parseAccountHost(referer);
  if (strict || !baseUrl) return strict;
  const host = referer.trim().toLowerCase();
  const match = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9-]+)*$/.exec(host);
  return match?.[1] ? { subdomain: match[1], host } : undefined;
}

export function verifyUninstallSignature(clientSecret: string, clientUuid: string, accountId: string, signature: string): boolean {
  // Buffer.from(..., 'hex') stops at the first non-hex character and drops an odd last digit, so
  // the text itself must be exactly a SHA-256 in hex.
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', clientSecret).update(`${clientUuid}|${accountId}`).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function amocrmInstallRoutes(services: CrmServices, settings: AmocrmSettings | undefined): Router {
  const { deps, accounts } = services;
  const { logger, metrics, config } = deps;
  const router = Router();
  const notConfigured = () =>
    new AppError(503, 'not_configured', 'The amoCRM integration is not configured here: set AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET and AMOCRM_REDIRECT_URI');

  router.post('/api/v1/integrations/amocrm/install-link', requireAdmin(config.adminToken), jsonBody(), async (request, response) => {
    if (!settings) throw notConfigured();
    const tenantId = typeof request.body?.tenantId === 'string' ? request.body.tenantId : undefined;
    if (tenantId) {
      const tenant = await deps.db.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
      if (tenant.rows.length === 0) throw AppError.notFound(`Tenant ${tenantId} does not exist`);
    }
    const state = await new SignJWT(tenantId ? { tenant: tenantId } : {})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(`${STATE_TTL_SECONDS}s`)
      .sign(stateKey(settings));
    const consent = new URL('https://www.amocrm.ru/oauth');
    consent.searchParams.set('client_id', settings.clientId);
    consent.searchParams.set('state', state);
    consent.searchParams.set('mode', 'popup');
    response.status(201).json({ url: consent.toString(), state, expiresInSeconds: STATE_TTL_SECONDS });
  });

  router.get('/oauth/amocrm/callback', async (request: Request, response: Response) => {
    const query = request.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const refuse = (status: number, why: string) => {
      logger.warn('amoCRM install refused', { reason: why, referer: text('referer') });
      page(response, status, 'LongFunnel could not be connected', [why]);
    };
    if (!settings) return refuse(503, notConfigured().message);
    if (text('error')) return refuse(400, `amoCRM reported: ${text('error')}. Nothing was installed.`);
    const code = text('code');
    const referer = text('referer');
    if (!code || !referer) return refuse(400, 'The request lacks "code" or "referer": open the install from amoCRM again.');
    const account = installAccount(referer, settings.baseUrl);
    if (!account) return refuse(400, `"${referer.slice(0, 100)}" is not an amoCRM or Kommo account address (*.amocrm.ru, *.amocrm.com, *.kommo.com).`);
    if (text('client_id') && text('client_id') !== settings.clientId) return refuse(400, 'The install is for another integration (client_id does not match).');

    let tenantId: string | undefined;
    const state = text('state');
    if (text('from_widget') !== '1' || state) {
      if (!state) return refuse(400, 'The install link has no "state": start it again from LongFunnel.');
      try {
        const { payload } = await jwtVerify(state, stateKey(settings), { algorithms: ['HS256'] });
        tenantId = typeof payload['tenant'] === 'string' ? payload['tenant'] : undefined;
      } catch {
        return refuse(400, 'The install link is invalid or has expired: start it again from LongFunnel.');
      }
    }

    const baseUrl = accountBaseUrl(account, settings.baseUrl);
    const onResponse = (status: number | undefined) => metrics.crmRequests.inc({ crm: 'amocrm', status: status === undefined ? 'error' : String(status) });
    try {
      const oauth = new AmocrmOAuthClient({ ...settings, baseUrl, timeoutMs: INSTALL_CALL_TIMEOUT_MS, onResponse });
      const tokens = await oauth.exchangeCode(code);
      const api = new AmocrmApi({ baseUrl, timeoutMs: INSTALL_CALL_TIMEOUT_MS, onResponse });
      const info = await services.access.callBeforeInstall('amocrm', account.host, () =>
        api.request<{ id: number; name?: string; subdomain?: string }>(tokens.accessToken, 'GET', '/api/v4/account'),
      );
      if (!info || typeof info.id !== 'number') throw new CrmError({ code: 'UNKNOWN', status: 200, message: 'amoCRM did not say which account this is' });
      const { account: installed, created } = await accounts.install({
        crm: 'amocrm',
        accountId: String(info.id),
        domain: account.host,
        name: info.name ?? account.host,
        tokens,
        ...(tenantId ? { tenantId } : {}),
      });
      await services.scheduleSetUp(installed);
      logger.info('amoCRM account installed', { tenant: installed.tenantId, domain: installed.domain, accountId: installed.accountId, reinstall: !created });
      page(response, 200, 'LongFunnel is connected', [
        `amoCRM account ${account.host} is connected${created ? '' : ' again'}.`,
        'Deal fields and the webhook are being set up and the last 90 days of deals imported; this takes a minute. You can close this page.',
      ]);
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      logger.warn('amoCRM install failed', { domain: account.host, code: error.failure.code, error: error.failure.message });
      page(response, 502, 'LongFunnel could not be connected', [
        `${error.failure.message}.`,
        'Open the install from amoCRM again; an install code works only once and for 20 minutes.',
      ]);
    }
  });

  router.get('/oauth/amocrm/uninstall', async (request, response) => {
    if (!settings) throw notConfigured();
    const query = request.query as Record<string, unknown>;
    const [accountId, clientUuid, signature] = ['account_id', 'client_uuid', 'signature'].map((name) => (typeof query[name] === 'string' ? (query[name] as string) : ''));
    if (!accountId || !clientUuid || !signature || clientUuid !== settings.clientId || !verifyUninstallSignature(settings.clientSecret, clientUuid, accountId, signature)) {
      logger.warn('amoCRM uninstall hook refused: bad signature or another integration', { accountId });
      throw new AppError(401, 'invalid_signature', 'The uninstall request is not signed by this integration');
    }
    const account = await accounts.byAccountId('amocrm', accountId);
    if (account) {
      await accounts.disable(account.tenantId, 'the integration was disabled in amoCRM');
      logger.warn('amoCRM integration disabled by the account; tenant disabled', { tenant: account.tenantId, domain: account.domain });
    }
    response.json({ status: 'disabled' });
  });

  return router;
}
