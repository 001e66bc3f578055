/**
 * Pages Bitrix24 opens in its frames (bitrix24.md 1.3, 5.3):
 *
 * - `POST /bitrix24/placement/deal`: the `CRM_DEAL_DETAIL_TAB` widget. Query `DOMAIN`, `PROTOCOL`,
 *   `LANG`, `APP_SID`; form body `AUTH_ID` (the viewing user's token), `member_id`, `PLACEMENT`,
 *   `PLACEMENT_OPTIONS` (a JSON string, `{"ID":"8061",...}`), `APPLICATION_TOKEN`.
 * - `POST /bitrix24/app`: the application's main page (`PLACEMENT=DEFAULT`), the reports dashboard.
 *
 * Nothing posted is believed as it stands: `member_id` must be an installed portal, `DOMAIN` the host
 * stored for it at install (confirmed then by the OAuth server), `APPLICATION_TOKEN` (when sent) the
 * one stored at install, and the user's `AUTH_ID` is checked once with `user.current` at the stored
 * portal's REST address (not at `DOMAIN`) — a token of another portal, or a made-up one, fails
 * there. Then the page gets a short-lived tenant session for its API calls, in the page, never in
 * the URL, and a CSP whose `frame-ancestors` is the portal alone.
 */
import express, { Router, type Request, type Response } from 'express';
import type { CrmAccount } from '../../server/crm/crmAccounts.js';
import type { CrmServices } from '../../server/crm/crmAdapter.js';
import { issueTenantSession } from '../../server/security/tenantSession.js';
import { sendFramedError, sendPlacementPage } from '../../server/widget/placementPage.js';
import { renderDashboardEntry } from '../../server/widget/dashboardEntry.js';
import { CrmError } from '../crmError.js';
import { formText, parseFormBody } from '../formBrackets.js';
import { applicationTokenMatches } from './events.js';
import { Bitrix24Rest } from './restClient.js';

export const DEAL_TAB = 'CRM_DEAL_DETAIL_TAB';
/** How long the tab's session lives: the panel makes its one call right away; reopening the tab posts again. */
export const PLACEMENT_SESSION_SECONDS = 15 * 60;

interface FramePost {
  authId: string;
  memberId: string;
  domain: string;
  protocol: 'http' | 'https';
  lang: 'ru' | 'en';
  placement: string;
  options: Record<string, unknown>;
  applicationToken: string | undefined;
}

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly frameAncestor?: string,
  ) {
    super(message);
  }
}

function readFramePost(request: Request): FramePost {
  if (typeof request.body !== 'string') throw new Refused(400, 'Open this from Bitrix24', 'The page must be opened by Bitrix24 (a form POST).');
  const tree = parseFormBody(request.body);
  const query = request.query as Record<string, unknown>;
  const authId = formText(tree, 'AUTH_ID');
  const memberId = formText(tree, 'member_id');
  const domain = typeof query['DOMAIN'] === 'string' ? query['DOMAIN'] : formText(tree, 'DOMAIN');
  if (!authId || !memberId || !domain) throw new Refused(400, 'Open this from Bitrix24', 'The request lacks AUTH_ID, member_id or DOMAIN: open the deal in Bitrix24 again.');
  let options: Record<string, unknown> = {};
  const rawOptions = formText(tree, 'PLACEMENT_OPTIONS');
  if (rawOptions) {
    try {
      const parsed = JSON.parse(rawOptions) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) options = parsed as Record<string, unknown>;
    } catch {
      throw new Refused(400, 'Open this from Bitrix24', 'PLACEMENT_OPTIONS is not the JSON Bitrix24 sends.');
    }
  }
  const protocolValue = typeof query['PROTOCOL'] === 'string' ? query['PROTOCOL'] : formText(tree, 'PROTOCOL');
  const langValue = typeof query['LANG'] === 'string' ? query['LANG'] : '';
  return {
    authId,
    memberId,
    domain: domain.toLowerCase(),
    protocol: protocolValue === '0' ? 'http' : 'https',
    lang: langValue === 'ru' || langValue === 'ua' || langValue === 'by' || langValue === 'kz' ? 'ru' : 'en',
    placement: (formText(tree, 'PLACEMENT') ?? 'DEFAULT').toUpperCase(),
    options,
    applicationToken: formText(tree, 'APPLICATION_TOKEN'),
  };
}

export interface PlacementDeps {
  timeoutMs: number;
  onResponse?: (status: number | undefined) => void;
}

export function bitrix24PlacementRoutes(services: CrmServices, options: PlacementDeps): Router {
  const { deps, accounts, access } = services;
  const router = Router();
  const form = express.text({ type: 'application/x-www-form-urlencoded', limit: '64kb' });

  /** The portal and user the frame post speaks for, each fact checked; throws `Refused`. */
  async function verify(post: FramePost): Promise<{ account: CrmAccount; userId: string; frameAncestor: string }> {
    const account = await accounts.byAccountId('bitrix24', post.memberId);
    if (!account) throw new Refused(403, 'LongFunnel is not installed here', 'This Bitrix24 portal has not installed LongFunnel (or installed another copy of it): install the application first.');
    const frameAncestor = `${post.protocol}://${account.domain}`;
    if (post.domain !== account.domain.toLowerCase()) {
      throw new Refused(403, 'Wrong portal', `The request names portal ${post.domain.slice(0, 100)}, but this member_id belongs to ${account.domain}.`);
    }
    if (post.applicationToken !== undefined && !applicationTokenMatches(post.applicationToken, account.setup['applicationTokenHash'])) {
      throw new Refused(403, 'Wrong application', 'APPLICATION_TOKEN is not the one this portal gave LongFunnel at install: reinstall the application.', frameAncestor);
    }
    const endpoint = account.setup['clientEndpoint'];
    if (typeof endpoint !== 'string') throw new Refused(503, 'Install not finished', 'The portal has no REST address stored: install the application again.', frameAncestor);
    const rest = new Bitrix24Rest({ endpoint, timeoutMs: options.timeoutMs, ...(options.onResponse ? { onResponse: options.onResponse } : {}) });
    let user: { ID?: unknown } | undefined;
    try {
      user = (await access.callBeforeInstall('bitrix24', account.domain, () => rest.call<{ ID?: unknown }>(post.authId, 'user.current'))).result;
    } catch (error) {
      if (!(error instanceof CrmError)) throw error;
      deps.logger.warn('Bitrix24 frame refused: user.current failed', { tenant: account.tenantId, code: error.failure.code });
      if (error.failure.code === 'TEMPORARY' || error.failure.code === 'RATE_LIMITED') {
        throw new Refused(503, 'Bitrix24 did not answer', 'Bitrix24 did not confirm who you are in time: reopen the tab in a moment.', frameAncestor);
      }
      throw new Refused(401, 'Not signed in', 'Bitrix24 did not confirm your sign-in for this portal: reopen the deal in Bitrix24.', frameAncestor);
    }
    if (!user || (typeof user.ID !== 'string' && typeof user.ID !== 'number')) {
      throw new Refused(401, 'Not signed in', 'Bitrix24 did not name the user: reopen the deal in Bitrix24.', frameAncestor);
    }
    return { account, userId: String(user.ID), frameAncestor };
  }

  const handle = (page: (post: FramePost, verified: Awaited<ReturnType<typeof verify>>, response: Response) => Promise<void>) => async (request: Request, response: Response) => {
    try {
      const post = readFramePost(request);
      const verified = await verify(post);
      await page(post, verified, response);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      sendFramedError(response, error.status, error.frameAncestor, error.title, error.message);
    }
  };

  router.post(
    '/bitrix24/placement/deal',
    form,
    handle(async (post, { account, userId, frameAncestor }, response) => {
      if (post.placement !== DEAL_TAB) throw new Refused(400, 'Wrong place', `This page is the deal tab (${DEAL_TAB}), not ${post.placement.slice(0, 60)}.`, frameAncestor);
      const id = post.options['ID'];
      const dealId = typeof id === 'string' || typeof id === 'number' ? String(id) : '';
      if (!/^\d{1,20}$/.test(dealId)) throw new Refused(400, 'No deal', 'PLACEMENT_OPTIONS names no deal ID.', frameAncestor);
      const session = await issueTenantSession(deps.cipher, { tenantId: account.tenantId, origin: 'bitrix24', userId, locale: post.lang }, PLACEMENT_SESSION_SECONDS);
      sendPlacementPage(response, { session, dealId, locale: post.lang, frameAncestor, extraScripts: ['/widget/assets/b24frame.js'] });
    }),
  );

  router.post(
    '/bitrix24/app',
    form,
    handle(async (post, { account, userId, frameAncestor }, response) => {
      const session = await issueTenantSession(deps.cipher, { tenantId: account.tenantId, origin: 'bitrix24', userId, locale: post.lang });
      await renderDashboardEntry(response, { session, locale: post.lang, tenantName: account.domain, frameAncestor });
    }),
  );
  return router;
}
