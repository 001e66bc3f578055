/**
 * amoCRM's token endpoint (amocrm.md 1.4, 1.5): a code for tokens at install, a refresh token for
 * new tokens afterwards. Every refresh rotates the refresh token: the caller must store the new
 * pair before using it, and never spend the same refresh token twice (it would answer
 * "Token has been revoked" and the account would need a re-install).
 */
import { CrmError } from '../crmError.js';
import { translateAmocrmError } from './errors.js';

export interface AmocrmTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token stops working, by the answer's `expires_in` and our clock. */
  expiresAt: Date;
}

export interface AmocrmOAuthOptions {
  /** `https://<account host>`, or AMOCRM_BASE_URL. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  timeoutMs?: number;
  now?: () => number;
  /** Told the HTTP status of every call (or undefined when no answer came), for metrics. */
  onResponse?: (status: number | undefined) => void;
}

interface TokenAnswer {
  token_type?: unknown;
  expires_in?: unknown;
  access_token?: unknown;
  refresh_token?: unknown;
}

export class AmocrmOAuthClient {
  constructor(private readonly options: AmocrmOAuthOptions) {}

  exchangeCode(code: string): Promise<AmocrmTokens> {
    return this.request({ grant_type: 'authorization_code', code });
  }

  refresh(refreshToken: string): Promise<AmocrmTokens> {
    return this.request({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  private async request(grant: Record<string, string>): Promise<AmocrmTokens> {
    const { baseUrl, clientId, clientSecret, redirectUri, timeoutMs = 10_000, now = Date.now, onResponse } = this.options;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/oauth2/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, ...grant }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      onResponse?.(undefined);
      throw new CrmError(translateAmocrmError(undefined, undefined));
    }
    onResponse?.(response.status);
    const text = await response.text();
    if (!response.ok) throw new CrmError(translateAmocrmError(response.status, text));
    let answer: TokenAnswer;
    try {
      answer = JSON.parse(text) as TokenAnswer;
    } catch {
      throw new CrmError({ code: 'UNKNOWN', status: response.status, message: 'amoCRM answered the token request with something other than JSON' });
    }
    const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = answer;
    if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || typeof expiresIn !== 'number') {
      throw new CrmError({ code: 'UNKNOWN', status: response.status, message: 'amoCRM answered the token request without tokens' });
    }
    return { accessToken, refreshToken, expiresAt: new Date(now() + expiresIn * 1000) };
  }
}
