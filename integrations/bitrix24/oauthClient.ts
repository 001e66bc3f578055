/**
 * Bitrix24's OAuth server (bitrix24.md 1.6), `BITRIX24_OAUTH_URL`: refresh tokens for new ones. Every
 * refresh rotates the pair and kills the old one, so the caller stores the new pair before using
 * it and never spends a refresh token twice (CrmAccess makes refreshes single-flight). The answer
 * also names the portal (`member_id`) and its REST address (`client_endpoint`): the install trusts
 * these, not what the install request claims.
 */
import type { CrmTokens } from '../../server/crm/crmAdapter.js';
import { CrmError } from '../crmError.js';
import { translateBitrix24Error } from './errors.js';

export interface Bitrix24Grant extends CrmTokens {
  memberId: string;
  /** `https://{portal}/rest/`: where this portal's REST methods are called. */
  clientEndpoint: string;
}

export interface Bitrix24OAuthOptions {
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  now?: () => number;
  onResponse?: (status: number | undefined) => void;
}

export class Bitrix24OAuthClient {
  constructor(private readonly options: Bitrix24OAuthOptions) {}

  async refresh(refreshToken: string): Promise<Bitrix24Grant> {
    const { oauthUrl, clientId, clientSecret, timeoutMs, now = Date.now, onResponse } = this.options;
    let response: Response;
    try {
      response = await fetch(`${oauthUrl}/oauth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      onResponse?.(undefined);
      throw new CrmError(translateBitrix24Error(undefined, undefined));
    }
    onResponse?.(response.status);
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new CrmError(translateBitrix24Error(response.status, text));
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new CrmError({ code: 'UNKNOWN', status: response.status, message: 'The Bitrix24 OAuth server answered with something other than JSON' });
    }
    const { access_token: accessToken, refresh_token: next, expires_in: expiresIn, member_id: memberId, client_endpoint: clientEndpoint } = answer;
    if (typeof accessToken !== 'string' || typeof next !== 'string' || typeof memberId !== 'string' || typeof clientEndpoint !== 'string') {
      throw new CrmError({ code: 'UNKNOWN', status: response.status, message: 'The Bitrix24 OAuth server answered without tokens, member_id or client_endpoint' });
    }
    const lifetimeSeconds = Number(expiresIn) > 0 ? Number(expiresIn) : 3600;
    return { accessToken, refreshToken: next, expiresAt: new Date(now() + lifetimeSeconds * 1000), memberId, clientEndpoint: clientEndpoint.endsWith('/') ? clientEndpoint : `${clientEndpoint}/` };
  }
}
