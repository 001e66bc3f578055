/**
 * The widget's disposable token (amocrm.md 5.6, checklist 35): what amoCRM puts into
 * `X-Auth-Token` when a widget calls its backend through `$authorizedAjax`. An HS256 JWT signed
 * with the integration's `client_secret`, carrying exactly the claims the file lists: `iss` (the
 * account address), `aud` (scheme + host of the integration's redirect_uri), `jti`, `iat`, `nbf`,
 * `exp` (30 minutes later), `account_id`, `user_id`, `client_uuid`, `subdomain`, `is_admin`.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { EmulatorClock } from './clock.js';
import type { EmulatorOptions } from './options.js';
import type { Account, EmulatorState, Integration } from './state.js';
import { accountAddress } from './webhookPayload.js';

export interface DisposableTokenRequest {
  /** The user who triggered the call; defaults to the account's admin. Must be an active user. */
  userId?: number;
}

export interface DisposableTokenClaims {
  iss: string;
  aud: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  account_id: number;
  user_id: number;
  client_uuid: string;
  subdomain: string;
  is_admin: boolean;
}

export class DisposableTokenRefused extends Error {}

/** `scheme://host` of the redirect URI, the token's audience (amocrm.md 5.6). */
export function audienceOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return `${url.protocol}//${url.host}`;
}

export function disposableTokenClaims(
  state: EmulatorState,
  clock: EmulatorClock,
  options: EmulatorOptions,
  account: Account,
  integration: Integration,
  request: DisposableTokenRequest = {},
): DisposableTokenClaims {
  const userId = request.userId ?? account.currentUserId;
  const user = state.users.get(userId);
  if (!user || user.accountId !== account.id || !user.isActive) throw new DisposableTokenRefused(`No active user ${userId} in ${account.subdomain}`);
  const issuedAt = Math.floor(clock.now() / 1000);
  return {
    iss: accountAddress(account),
    aud: audienceOf(integration.redirectUri),
    jti: randomUUID(),
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + options.disposableTokenLifetimeSeconds,
    account_id: account.id,
    user_id: user.id,
    client_uuid: integration.clientId,
    subdomain: account.subdomain,
    is_admin: user.isAdmin,
  };
}

/** Signs the claims with the integration's client secret (HS256), as amoCRM does. */
export async function signDisposableToken(claims: DisposableTokenClaims, clientSecret: string): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(clientSecret));
}
