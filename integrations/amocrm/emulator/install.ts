/**
 * Installing and uninstalling an integration (amocrm.md 1.2, 1.3, 1.8; checklist 2, 3, 11):
 * the consent page on the `www.` host, the widget-install GET to the Redirect URI, and the
 * "integration disabled" hook that follows revoking every token.
 */
import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { EmulatorClock } from './clock.js';
import { issueAuthorizationCode } from './oauth.js';
import type { EmulatorOptions } from './options.js';
import { sendProblem } from './responses.js';
import type { Account, EmulatorState, Integration } from './state.js';
import { revokeIntegrationTokens } from './tokens.js';

export interface InstallContext {
  state: EmulatorState;
  clock: EmulatorClock;
  options: EmulatorOptions;
}

/** `referer` of a redirect: the account host without scheme (amocrm.md 1.3). */
export function accountHost(account: Account): string {
  return `${account.subdomain}.${account.platform === 'kommo' ? 'kommo.com' : 'amocrm.ru'}`;
}

/** `platform` of a redirect: 1 = amoCRM, 2 = Kommo (amocrm.md 1.3, meaning [UNCONFIRMED]). */
function platformCode(account: Account): string {
  return account.platform === 'kommo' ? '2' : '1';
}

/** The Redirect URI with the install parameters, in the order of amocrm.md 1.3's captured redirects. */
export function installRedirect(integration: Integration, account: Account, code: string, extra: { state?: string; fromWidget?: boolean }): string {
  const url = new URL(integration.redirectUri);
  url.searchParams.set('code', code);
  if (extra.state !== undefined) url.searchParams.set('state', extra.state);
  url.searchParams.set('referer', accountHost(account));
  url.searchParams.set('platform', platformCode(account));
  url.searchParams.set('client_id', integration.clientId);
  if (extra.fromWidget) url.searchParams.set('from_widget', '1');
  return url.toString();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * `GET /oauth?client_id&state&mode` on the www host renders a stub consent page: one link per
 * account to grant access; `GET /oauth/grant?client_id&state&account` is that click and answers
 * 302 to the integration's stored Redirect URI (never a `redirect_uri` parameter, amocrm.md 1.2)
 * with `code`, `state`, `referer`, `platform`, `client_id`.
 */
export function handleConsent(context: InstallContext, path: string, basePath: string, query: URLSearchParams, response: ServerResponse): void {
  const integration = context.state.integrations.get(query.get('client_id') ?? '');
  if (!integration) return sendProblem(response, 400, 'Check the `client_id` parameter');
  const state = query.get('state');
  if (path === '/oauth') {
    const links = [...context.state.accounts.values()].map((account) => {
      const params = new URLSearchParams({ client_id: integration.clientId, account: account.subdomain });
      if (state !== null) params.set('state', state);
      return `<li><a href="${basePath}/oauth/grant?${escapeHtml(params.toString())}">${escapeHtml(accountHost(account))}</a></li>`;
    });
    response.statusCode = 200;
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><title>Предоставить доступ</title><h1>${escapeHtml(integration.name)} запрашивает доступ</h1><ul>${links.join('')}</ul>`);
    return;
  }
  const account = context.state.accountBySubdomain(query.get('account') ?? '');
  if (!account) return sendProblem(response, 404, 'Account not found');
  const code = issueAuthorizationCode(context.state, context.clock, context.options, account, integration.clientId);
  response.statusCode = 302;
  response.setHeader('Location', installRedirect(integration, account, code, state === null ? {} : { state }));
  response.end();
}

export type HookOutcome = { url: string; status: number } | { url: string; status: 'timeout' | 'error' };

async function getOnce(url: string, timeoutMs: number): Promise<HookOutcome> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer().catch(() => undefined);
    return { url, status: response.status };
  } catch (error) {
    return { url, status: error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timeout' : 'error' };
  }
}

/**
 * A user installs the integration's widget from the marketplace (checklist 3): one GET to the
 * Redirect URI with `code`, `referer`, `platform`, `client_id`, `from_widget=1` and no `state`,
 * within `widgetInstallTimeoutMs` (3 s); the answer is ignored and never re-sent.
 */
export async function installWidget(context: InstallContext, account: Account, integration: Integration): Promise<HookOutcome> {
  const code = issueAuthorizationCode(context.state, context.clock, context.options, account, integration.clientId);
  return getOnce(installRedirect(integration, account, code, { fromWidget: true }), context.options.widgetInstallTimeoutMs);
}

/** `hex(HMAC_SHA256(key = client_secret, client_uuid + "|" + account_id))` (amocrm.md 1.8). */
export function disableHookSignature(clientSecret: string, clientId: string, accountId: number): string {
  return createHmac('sha256', clientSecret).update(`${clientId}|${accountId}`).digest('hex');
}

/**
 * The integration is disabled in an account (checklist 11): every token of it dies (refresh →
 * `Token has been revoked`), then `GET {disable hook}?account_id&client_uuid&signature` is sent
 * once if the integration has a hook. Resolves with the hook's outcome, or null without a hook.
 */
export async function uninstall(context: InstallContext, account: Account, integration: Integration): Promise<HookOutcome | null> {
  revokeIntegrationTokens(context.state, account.id, integration.clientId);
  if (!integration.disableHookUrl) return null;
  const url = new URL(integration.disableHookUrl);
  url.searchParams.set('account_id', String(account.id));
  url.searchParams.set('client_uuid', integration.clientId);
  url.searchParams.set('signature', disableHookSignature(integration.clientSecret, integration.clientId, account.id));
  return getOnce(url.toString(), context.options.webhookTimeoutMs);
}
