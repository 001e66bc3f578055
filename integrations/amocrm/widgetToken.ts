/**
 * The amoCRM widget's disposable token (amocrm.md 5.6): `$authorizedAjax` puts an HS256 JWT into
 * `X-Auth-Token`, signed with the integration's `client_secret`, with `aud` = scheme + host of the
 * integration's redirect_uri, `exp` 30 minutes on, and the account (`account_id`, `subdomain`), the
 * user (`user_id`, `is_admin`) and the integration (`client_uuid`). We check the signature, the
 * algorithm, `aud`, `exp`/`nbf` (a few seconds of leeway, as the SDK's "loose" check) and
 * `client_uuid`; the account it names is then looked up by the caller.
 *
 * Single use: amoCRM does not say whether a token may be sent twice within its 30 minutes
 * ([UNCONFIRMED], amocrm.md 5.6), so we do not refuse a repeated `jti`: the card's one call per
 * opening must work whichever way amoCRM behaves.
 *
 * CORS: the card's page is on the account's own host (`https://{subdomain}.amocrm.ru`), so that is
 * the one origin allowed. With AMOCRM_BASE_URL set (an emulator or a staging amoCRM) the accounts
 * are served with that URL's scheme, so that scheme is the one expected.
 */
import { errors as joseErrors, jwtVerify } from 'jose';
import type { CrmAccount } from '../../server/crm/crmAccounts.js';
import { AppError } from '../../server/errors.js';
import type { FeatureDeps } from '../../server/runtime.js';
import { amocrmRedirectUri } from './redirectUri.js';
import type { WidgetTokenVerifier } from '../../server/widget/widgetAuth.js';

const LEEWAY_SECONDS = 5;

export function audienceOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return `${url.protocol}//${url.host}`;
}

export function createAmocrmWidgetTokens(deps: FeatureDeps): WidgetTokenVerifier | undefined {
  const { clientId, clientSecret, baseUrl } = deps.config.amocrm;
  if (!clientId || !clientSecret) return undefined;
  const key = new TextEncoder().encode(clientSecret);
  const audience = audienceOf(amocrmRedirectUri(deps.config));
  const scheme = baseUrl ? new URL(baseUrl).protocol : 'https:';
  return {
    crm: 'amocrm',
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience, clockTolerance: LEEWAY_SECONDS }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw AppError.unauthorized('The amoCRM token has expired: reopen the deal card');
        if (error instanceof joseErrors.JWTClaimValidationFailed) throw AppError.unauthorized(`The amoCRM token was not issued for this LongFunnel (${error.claim})`);
        throw AppError.unauthorized('The amoCRM token is not valid');
      }
      if (payload['client_uuid'] !== clientId) throw AppError.unauthorized('The amoCRM token was issued to another integration');
      const accountId = payload['account_id'];
      const userId = payload['user_id'];
      if (typeof accountId !== 'number' || !Number.isInteger(accountId) || typeof payload['exp'] !== 'number') {
        throw AppError.unauthorized('The amoCRM token names no account or has no expiry');
      }
      return {
        crm: 'amocrm',
        accountId: String(accountId),
        userId: typeof userId === 'number' || typeof userId === 'string' ? String(userId) : undefined,
        isAdmin: payload['is_admin'] === true,
      };
    },
    originAllowed(origin: URL, account: CrmAccount) {
      return origin.protocol === scheme && origin.hostname.toLowerCase() === account.domain.toLowerCase();
    },
  };
}
