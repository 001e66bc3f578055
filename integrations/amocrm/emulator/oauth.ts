/**
 * OAuth per amocrm.md 1.3-1.5: authorization codes (single use, 20 minutes) and the token
 * endpoint with refresh-token rotation. Hints and statuses come from the table in 1.5; hints for
 * cases the table does not cover follow the same League OAuth2 wording and are marked below.
 */
import type { ServerResponse } from 'node:http';
import type { EmulatorClock } from './clock.js';
import type { EmulatorOptions } from './options.js';
import { sendJson, sendOAuthProblem } from './responses.js';
import type { Account, EmulatorState } from './state.js';
import { issueTokenPair, opaqueToken } from './tokens.js';

/** Stands in for the consent screen: the code amoCRM would put into the redirect. */
export function issueAuthorizationCode(
  state: EmulatorState,
  clock: EmulatorClock,
  options: EmulatorOptions,
  account: Account,
  clientId: string,
): string {
  if (!state.integrations.has(clientId)) throw new Error(`No integration with client_id ${clientId}`);
  const code = opaqueToken();
  state.authorizationCodes.set(code, {
    code,
    accountId: account.id,
    clientId,
    expiresAtMs: clock.now() + options.authorizationCodeLifetimeMs,
    used: false,
  });
  return code;
}

interface TokenRequestContext {
  state: EmulatorState;
  clock: EmulatorClock;
  options: EmulatorOptions;
  account: Account;
}

function stringParam(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** League's wording for a missing or wrong parameter; [UNCONFIRMED] beyond `client_id`. */
function checkParameterHint(name: string): string {
  return `Check the \`${name}\` parameter`;
}

export function handleTokenRequest(context: TokenRequestContext, body: Record<string, unknown>, response: ServerResponse): void {
  const { state } = context;
  const clientId = stringParam(body, 'client_id');
  const integration = clientId ? state.integrations.get(clientId) : undefined;
  if (!clientId || !integration) return sendOAuthProblem(response, 400, checkParameterHint('client_id'));
  // [UNCONFIRMED] hint and status for a wrong secret: League's invalid_client answer.
  if (stringParam(body, 'client_secret') !== integration.clientSecret) {
    return sendOAuthProblem(response, 401, 'Client authentication failed');
  }
  const grantType = stringParam(body, 'grant_type');
  if (grantType === 'authorization_code') return exchangeCode(context, clientId, integration.redirectUri, body, response);
  if (grantType === 'refresh_token') return refresh(context, clientId, body, response);
  return sendOAuthProblem(response, 400, checkParameterHint('grant_type'));
}

function exchangeCode(
  context: TokenRequestContext,
  clientId: string,
  registeredRedirectUri: string,
  body: Record<string, unknown>,
  response: ServerResponse,
): void {
  const { state, clock, options, account } = context;
  const codeValue = stringParam(body, 'code');
  if (!codeValue) return sendOAuthProblem(response, 400, checkParameterHint('code'));
  const code = state.authorizationCodes.get(codeValue);
  // A code issued for another integration or account cannot be read by this one.
  if (!code || code.clientId !== clientId || code.accountId !== account.id) {
    return sendOAuthProblem(response, 400, 'Cannot decrypt the authorization code');
  }
  if (code.used) return sendOAuthProblem(response, 400, 'Authorization code has been revoked');
  if (clock.now() >= code.expiresAtMs) return sendOAuthProblem(response, options.expiredCodeStatus, 'Authorization code has expired');
  // [UNCONFIRMED] hint for a redirect_uri that differs from the integration's stored one.
  if (stringParam(body, 'redirect_uri') !== registeredRedirectUri) {
    return sendOAuthProblem(response, 400, checkParameterHint('redirect_uri'));
  }
  code.used = true;
  sendJson(response, 200, issueTokenPair(state, clock, options, account, clientId));
}

function refresh(context: TokenRequestContext, clientId: string, body: Record<string, unknown>, response: ServerResponse): void {
  const { state, clock, options, account } = context;
  const tokenValue = stringParam(body, 'refresh_token');
  if (!tokenValue) return sendOAuthProblem(response, 400, checkParameterHint('refresh_token'));
  const token = state.refreshTokens.get(tokenValue);
  if (!token || token.accountId !== account.id) return sendOAuthProblem(response, 400, 'Invalid refresh token');
  if (token.clientId !== clientId) return sendOAuthProblem(response, 401, 'Token is not linked to client');
  if (token.spent) return sendOAuthProblem(response, 401, 'Token has been revoked');
  if (clock.now() >= token.expiresAtMs) return sendOAuthProblem(response, 400, 'Invalid refresh token');
  token.spent = true;
  if (options.refreshRevokesPreviousAccessToken) {
    const previous = state.accessTokens.get(token.accessToken);
    if (previous) previous.revoked = true;
  }
  sendJson(response, 200, issueTokenPair(state, clock, options, account, clientId));
}
