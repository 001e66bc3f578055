/**
 * Issuing and checking tokens. Access tokens are JWTs with `exp`, `account_id` and `api_domain`
 * (checklist 6) so clients that decode expiry keep working; the emulator still decides validity
 * by its own records, which is what lets it revoke them.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.js';
import type { EmulatorOptions } from './options.js';
import type { Account, EmulatorState } from './state.js';

const jwtSigningKey = randomBytes(32);

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function signJwt(claims: Record<string, unknown>): string {
  const unsigned = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${base64url(createHmac('sha256', jwtSigningKey).update(unsigned).digest())}`;
}

/** Codes and refresh tokens are opaque and start `def502`, like the real ones (amocrm.md 1.3). */
export function opaqueToken(): string {
  return `def50200${randomBytes(48).toString('hex')}`;
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  server_time: number;
  access_token: string;
  refresh_token: string;
}

export function issueTokenPair(
  state: EmulatorState,
  clock: EmulatorClock,
  options: EmulatorOptions,
  account: Account,
  clientId: string,
): TokenResponse {
  const nowMs = clock.now();
  const issuedAt = Math.floor(nowMs / 1000);
  const expiresAtMs = nowMs + options.accessTokenLifetimeSeconds * 1000;
  const accessToken = signJwt({
    aud: clientId,
    jti: randomUUID(),
    iat: issuedAt,
    nbf: issuedAt,
    exp: Math.floor(expiresAtMs / 1000),
    sub: String(account.currentUserId),
    account_id: account.id,
    api_domain: options.apiDomain,
  });
  const refreshToken = opaqueToken();
  state.accessTokens.set(accessToken, { token: accessToken, accountId: account.id, clientId, expiresAtMs, revoked: false });
  state.refreshTokens.set(refreshToken, {
    token: refreshToken,
    accountId: account.id,
    clientId,
    expiresAtMs: nowMs + options.refreshTokenLifetimeMs,
    spent: false,
    accessToken,
  });
  return {
    token_type: 'Bearer',
    expires_in: options.accessTokenLifetimeSeconds,
    server_time: issuedAt,
    access_token: accessToken,
    refresh_token: refreshToken,
  };
}

export type Authentication = { ok: true; clientId: string; token: string } | { ok: false; detail: string };

/** Checks `Authorization: Bearer …` for the account the request is addressed to (checklist 7, 34). */
export function authenticate(
  state: EmulatorState,
  clock: EmulatorClock,
  authorizationHeader: string | undefined,
  account: Account,
): Authentication {
  const match = /^Bearer\s+(\S+)$/i.exec(authorizationHeader ?? '');
  if (!match?.[1]) return { ok: false, detail: 'Authorization header is missing' };
  const token = state.accessTokens.get(match[1]);
  if (!token) return { ok: false, detail: 'Invalid access token' };
  if (token.revoked) return { ok: false, detail: 'Access token has been revoked' };
  if (clock.now() >= token.expiresAtMs) return { ok: false, detail: 'Access token has expired' };
  if (token.accountId !== account.id) return { ok: false, detail: 'Access token belongs to another account' };
  return { ok: true, clientId: token.clientId, token: token.token };
}

/** Long-lived tokens run from 1 day to 5 years (amocrm.md 1.6). */
export const longLivedTokenLimitsMs = { min: 86_400_000, max: 5 * 365 * 86_400_000 } as const;

/**
 * A long-lived token of a private integration (amocrm.md 1.6, checklist 10): a JWT whose `exp` is
 * the chosen expiry, no refresh token, 401 once expired or revoked.
 */
export function issueLongLivedToken(state: EmulatorState, clock: EmulatorClock, options: EmulatorOptions, account: Account, clientId: string, lifetimeMs: number): string {
  if (lifetimeMs < longLivedTokenLimitsMs.min || lifetimeMs > longLivedTokenLimitsMs.max) {
    throw new RangeError('A long-lived token lives from 1 day to 5 years');
  }
  const nowMs = clock.now();
  const issuedAt = Math.floor(nowMs / 1000);
  const expiresAtMs = nowMs + lifetimeMs;
  const token = signJwt({
    aud: clientId,
    jti: randomUUID(),
    iat: issuedAt,
    nbf: issuedAt,
    exp: Math.floor(expiresAtMs / 1000),
    sub: String(account.currentUserId),
    account_id: account.id,
    api_domain: options.apiDomain,
  });
  state.accessTokens.set(token, { token, accountId: account.id, clientId, expiresAtMs, revoked: false });
  return token;
}

/** Revokes one access or long-lived token, as the integration's "Keys and scopes" tab does. */
export function revokeAccessToken(state: EmulatorState, token: string): void {
  const record = state.accessTokens.get(token);
  if (!record) throw new Error('No such token');
  record.revoked = true;
}

/** Kills every token of an integration in an account (uninstall, amocrm.md 1.8). */
export function revokeIntegrationTokens(state: EmulatorState, accountId: number, clientId: string): void {
  for (const token of state.accessTokens.values()) {
    if (token.accountId === accountId && token.clientId === clientId) token.revoked = true;
  }
  for (const token of state.refreshTokens.values()) {
    if (token.accountId === accountId && token.clientId === clientId) token.spent = true;
  }
}
