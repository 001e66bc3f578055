/**
 * The OAuth server (bitrix24.md 1.6) and token checks on the portal side (1.7): 30-second
 * single-use codes, 1-hour access tokens, rotating refresh tokens, all timed by the injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorClock } from '../../amocrm/emulator/clock.js';
import { RestError } from './envelope.js';
import type { Bitrix24EmulatorOptions } from './options.js';
import type { App, Bitrix24State, Portal } from './state.js';

/** Real tokens are ~70 lowercase hex-ish characters (file 1.6); clients treat them as opaque. */
function opaqueToken(): string {
  return randomBytes(35).toString('hex');
}

export interface Endpoints {
  /** `https://oauth.bitrix.info/rest/` on the real service; here `{emulator}/rest/`. */
  serverEndpoint: string;
  /** `https://{portal}/rest/`; here the portal's reachable address. */
  clientEndpoint(portal: Portal): string;
}

export interface IssuedTokens {
  access_token: string;
  expires: number;
  expires_in: number;
  scope: string;
  domain: string;
  server_endpoint: string;
  status: string;
  client_endpoint: string;
  member_id: string;
  user_id: number;
  refresh_token: string;
}

export interface OAuthContext {
  state: Bitrix24State;
  clock: EmulatorClock;
  options: Bitrix24EmulatorOptions;
  endpoints: Endpoints;
}

/** An access token alone: what events and widget frames carry for a user (file 2.3, 5.3). */
export function issueAccessToken({ state, clock, options }: OAuthContext, app: App, userId: number): { token: string; expiresAtMs: number } {
  const token = opaqueToken();
  const expiresAtMs = clock.now() + options.accessTokenLifetimeSeconds * 1000;
  state.accessTokens.set(token, { token, portalId: app.portalId, clientId: app.clientId, userId, expiresAtMs, revoked: false });
  return { token, expiresAtMs };
}

export function issueTokenPair(context: OAuthContext, app: App, userId: number): IssuedTokens {
  const { state, clock, options, endpoints } = context;
  const portal = state.portals.get(app.portalId);
  if (!portal) throw new Error(`No portal ${app.portalId}`);
  const access = issueAccessToken(context, app, userId);
  const refreshToken = opaqueToken();
  state.refreshTokens.set(refreshToken, {
    token: refreshToken,
    portalId: portal.id,
    clientId: app.clientId,
    userId,
    expiresAtMs: clock.now() + options.refreshTokenLifetimeMs,
    spent: false,
    accessToken: access.token,
  });
  return {
    access_token: access.token,
    expires: Math.floor(access.expiresAtMs / 1000),
    expires_in: options.accessTokenLifetimeSeconds,
    scope: options.tokenScope === 'app' ? 'app' : app.scopes.join(','),
    domain: options.tokenDomain === 'oauth' ? 'oauth.bitrix.info' : portal.domain,
    server_endpoint: endpoints.serverEndpoint,
    status: app.status,
    client_endpoint: endpoints.clientEndpoint(portal),
    member_id: portal.memberId,
    user_id: userId,
    refresh_token: refreshToken,
  };
}

/** What the portal's consent step puts into the redirect (file 1.6 step 2). */
export function issueAuthorizationCode({ state, clock, options }: OAuthContext, app: App, userId: number): string {
  const code = opaqueToken().slice(0, 32);
  state.authorizationCodes.set(code, { code, portalId: app.portalId, clientId: app.clientId, userId, expiresAtMs: clock.now() + options.authorizationCodeLifetimeMs, used: false });
  return code;
}

function oauthError(context: OAuthContext, error: string, description: string): RestError {
  return new RestError(context.options.oauthErrorStatus, error, description);
}

function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `GET|POST /oauth/token/` (file 1.6, checklist 18-21). Error codes are the documented ones; their
 * descriptions are [UNCONFIRMED] and chosen here.
 */
export function handleTokenRequest(context: OAuthContext, params: Record<string, unknown>): IssuedTokens {
  const { state, clock, options } = context;
  const grantType = stringParam(params, 'grant_type');
  const clientId = stringParam(params, 'client_id');
  if (!grantType || !clientId) throw oauthError(context, 'invalid_request', 'Missing grant_type or client_id');
  const app = state.apps.get(clientId);
  if (!app || app.removed || stringParam(params, 'client_secret') !== app.clientSecret) {
    throw oauthError(context, 'invalid_client', 'Invalid client credentials');
  }
  if (grantType === 'authorization_code') {
    const code = state.authorizationCodes.get(stringParam(params, 'code') ?? '');
    if (!code || code.clientId !== clientId || code.used || clock.now() >= code.expiresAtMs) {
      throw oauthError(context, 'invalid_grant', 'Invalid authorization code');
    }
    code.used = true;
    return issueTokenPair(context, app, code.userId);
  }
  if (grantType === 'refresh_token') {
    const token = state.refreshTokens.get(stringParam(params, 'refresh_token') ?? '');
    if (!token || token.clientId !== clientId || token.spent || clock.now() >= token.expiresAtMs) {
      throw oauthError(context, 'invalid_grant', 'Invalid refresh token');
    }
    token.spent = true;
    if (options.refreshRevokesAccessToken) {
      const previous = state.accessTokens.get(token.accessToken);
      if (previous) previous.revoked = true;
    }
    return issueTokenPair(context, app, token.userId);
  }
  throw oauthError(context, 'invalid_request', 'Unsupported grant_type');
}

/** Revokes every token of an app (uninstall, file 1.5). */
export function revokeAppTokens(state: Bitrix24State, clientId: string): void {
  for (const token of state.accessTokens.values()) if (token.clientId === clientId) token.revoked = true;
  for (const token of state.refreshTokens.values()) if (token.clientId === clientId) token.spent = true;
}

export type Caller =
  | { kind: 'app'; app: App; userId: number; scopes: string[]; token: string }
  | { kind: 'webhook'; userId: number; scopes: string[] };

/**
 * The token of a REST call from `auth`, `access_token` or `Authorization: Bearer` (file 1.7);
 * 401 NO_AUTH_FOUND / expired_token / invalid_token otherwise.
 */
export function authenticateToken(context: OAuthContext, portal: Portal | undefined, params: Record<string, unknown>, authorization: string | undefined): Caller {
  const { state, clock, options } = context;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const candidate = params['auth'] ?? params['access_token'] ?? bearer;
  if (typeof candidate !== 'string' || candidate === '') throw new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  const token = state.accessTokens.get(candidate);
  const app = token ? state.apps.get(token.clientId) : undefined;
  if (!token || !app || token.revoked || app.removed || (portal && token.portalId !== portal.id)) {
    throw new RestError(401, 'invalid_token', options.invalidTokenDescription);
  }
  if (clock.now() >= token.expiresAtMs) throw new RestError(401, 'expired_token', 'The access token provided has expired');
  return { kind: 'app', app, userId: token.userId, scopes: app.scopes, token: candidate };
}
