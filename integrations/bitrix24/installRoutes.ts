/**
 * `POST /bitrix24/install` (bitrix24.md 1.2-1.4, 1.6): the local app's install handler, in both of
 * its forms — the install page of an app with UI (body `AUTH_ID`, `REFRESH_ID`, `member_id`,
 * `APPLICATION_TOKEN`; query `DOMAIN`), and ONAPPINSTALL of an API-only app (`auth[...]`).
 *
 * Nothing in the request is believed as it stands: its refresh token is exchanged with the OAuth
 * server (`BITRIX24_OAUTH_URL`) under our client id and secret — which only works for a genuine
 * install of our app — and the OAuth server's answer names the portal (`member_id`, which must be
 * the one posted) and its REST address, whose host must be the posted `DOMAIN`; `app.info` is then
 * asked with the new token. The tokens are
 * stored sealed, the application token as a hash, and the slow steps (event and widget bindings,
 * user fields, stages, history) go to the set-up job. A UI install page then calls
 * `BX24.installFinish()`, without which Bitrix24 sends no events.
 */
import express, { Router, type Response } from 'express';
import type { CrmServices } from '../../server/crm/crmAdapter.js';
import { AppError, type ErrorCode } from '../../server/errors.js';
import { CrmError } from '../crmError.js';
import { formBranch, formText, parseFormBody } from '../formBrackets.js';
import { applicationTokenHash } from './events.js';
import type { Bitrix24OAuthClient } from './oauthClient.js';
import type { Bitrix24Rest } from './restClient.js';

export interface Bitrix24InstallDeps {
  oauth: Bitrix24OAuthClient;
  /** REST on the OAuth server (`{BITRIX24_OAUTH_URL}/rest/`), for `app.info`. */
  oauthRest: Bitrix24Rest;
}

interface InstallRequest {
  style: 'page' | 'event';
  refreshToken: string;
  memberId: string;
  applicationToken: string;
  domain: string;
}

const hostPattern = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?$/i;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(response: Response, status: number, title: string, lines: string[], finishInstall = false): void {
  const script = finishInstall
    ? '<script src="//api.bitrix24.com/api/v1/"></script><script>BX24.init(function () { BX24.installFinish(); });</script>'
    : '';
  response
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}</style>' +
        `${script}</head><body><h1>${escapeHtml(title)}</h1>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`,
    );
}

/**
 * The portal's host as the OAuth server names it: its `client_endpoint` is `https://{portal}/rest/`
 * (bitrix24.md 1.6), so the `DOMAIN` of a genuine install is that host. `app.info` names no portal.
 */
export function portalHost(clientEndpoint: string): string {
  return new URL(clientEndpoint).host.toLowerCase();
}

/** The install's claims, from either form; undefined when the body is neither. */
export function readInstallRequest(body: string, query: Record<string, unknown>): InstallRequest | undefined {
  const tree = parseFormBody(body);
  if (formText(tree, 'event')?.toUpperCase() === 'ONAPPINSTALL') {
    const auth = formBranch(tree, 'auth');
    const [refreshToken, memberId, applicationToken, domain] = ['refresh_token', 'member_id', 'application_token', 'domain'].map((name) => formText(auth, name));
    return refreshToken && memberId && applicationToken && domain ? { style: 'event', refreshToken, memberId, applicationToken, domain } : undefined;
  }
  const [refreshToken, memberId, applicationToken] = ['REFRESH_ID', 'member_id', 'APPLICATION_TOKEN'].map((name) => formText(tree, name));
  const domain = typeof query['DOMAIN'] === 'string' ? query['DOMAIN'] : formText(tree, 'DOMAIN');
  return refreshToken && memberId && applicationToken && domain ? { style: 'page', refreshToken, memberId, applicationToken, domain } : undefined;
}

export function bitrix24InstallRoutes(services: CrmServices, install: Bitrix24InstallDeps | undefined): Router {
  const { deps, accounts } = services;
  const { logger } = deps;
  const router = Router();

  router.post('/bitrix24/install', express.text({ type: 'application/x-www-form-urlencoded', limit: '64kb' }), async (request, response) => {
    const asJson = formText(parseFormBody(typeof request.body === 'string' ? request.body : ''), 'event') !== undefined;
    const refuse = (status: number, code: ErrorCode, why: string) => {
      logger.warn('Bitrix24 install refused', { reason: why });
      if (asJson) throw new AppError(status, code, why);
      page(response, status, 'LongFunnel could not be installed', [why]);
    };
    if (!install) {
      return refuse(503, 'not_configured', 'The Bitrix24 integration is not configured here: set BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET');
    }
    if (typeof request.body !== 'string') return refuse(400, 'bad_request', 'The install request must be application/x-www-form-urlencoded, as Bitrix24 sends it.');
    const claims = readInstallRequest(request.body, request.query as Record<string, unknown>);
    if (!claims) return refuse(400, 'bad_request', 'The request is neither a Bitrix24 install page (REFRESH_ID, member_id, APPLICATION_TOKEN, DOMAIN) nor ONAPPINSTALL: open the application from Bitrix24 again.');
    if (!hostPattern.test(claims.domain)) return refuse(400, 'bad_request', `"${claims.domain.slice(0, 100)}" is not a portal address.`);

    try {
      const grant = await install.oauth.refresh(claims.refreshToken);
      if (grant.memberId !== claims.memberId) {
        return refuse(403, 'forbidden', 'The install names another portal than the one the OAuth server confirms: nothing was installed.');
      }
      const confirmedHost = portalHost(grant.clientEndpoint);
      if (claims.domain.toLowerCase() !== confirmedHost) {
        return refuse(403, 'forbidden', `The install names portal ${claims.domain.slice(0, 100)}, but Bitrix24 confirms ${confirmedHost}: nothing was installed.`);
      }
      const info = await services.access.callBeforeInstall('bitrix24', claims.domain, () => install.oauthRest.call<Record<string, unknown>>(grant.accessToken, 'app.info'));
      if (!info.result || typeof info.result !== 'object') throw new CrmError({ code: 'UNKNOWN', status: 200, message: 'app.info did not describe the application' });
      const { account, created } = await accounts.install({
        crm: 'bitrix24',
        accountId: grant.memberId,
        domain: confirmedHost,
        name: confirmedHost,
        tokens: grant,
        setup: { clientEndpoint: grant.clientEndpoint, applicationTokenHash: applicationTokenHash(claims.applicationToken) },
      });
      await services.scheduleSetUp(account);
      logger.info('Bitrix24 portal installed', { tenant: account.tenantId, domain: account.domain, memberId: account.accountId, reinstall: !created, style: claims.style });
      if (claims.style === 'event') {
        response.json({ status: 'installed', tenant: account.tenantId });
        return;
      }
      page(
        response,
        200,
        'LongFunnel is installed',
        [
          `Bitrix24 portal ${account.domain} is connected${created ? '' : ' again'}.`,
          'Deal fields, events and the deal-card tab are being set up and the last 90 days of deals imported; this takes a minute.',
        ],
        true,
      );
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      logger.warn('Bitrix24 install failed', { domain: claims.domain, code: error.failure.code, error: error.failure.message });
      const why = `Bitrix24 did not confirm the install: ${error.failure.message}`;
      if (error.failure.code === 'AUTH_REVOKED' || error.failure.code === 'FORBIDDEN') return refuse(403, 'forbidden', why);
      return refuse(502, 'service_unavailable', `${why}. Open the application from Bitrix24 again.`);
    }
  });
  return router;
}
