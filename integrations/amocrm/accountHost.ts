/**
 * The account host an install names in `referer`. amoCRM sends the client secret to that host when
 * exchanging the code, so only amoCRM and Kommo account hosts are accepted (amocrm.md 1.3): a
 * forged `referer` must never receive our secret. With AMOCRM_BASE_URL set (emulator, staging)
 * every call goes there instead and `referer` only names the account.
 */
const accountHostPattern = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.(amocrm\.ru|amocrm\.com|kommo\.com)$/;

export interface AccountHost {
  subdomain: string;
  host: string;
}

/** Undefined when `referer` is not an amoCRM/Kommo account host. */
export function parseAccountHost(referer: string): AccountHost | undefined {
  const host = referer.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const match = accountHostPattern.exec(host);
  if (!match?.[1] || match[1] === 'www') return undefined;
  return { subdomain: match[1], host };
}

/**
 * Where OAuth and API calls for this account go: `https://<account host>`, or AMOCRM_BASE_URL when
 * set. A `{subdomain}` in AMOCRM_BASE_URL is replaced with the account's subdomain, so one emulator
 * serves several accounts (`http://127.0.0.1:9000/_accounts/{subdomain}`).
 */
export function accountBaseUrl(account: AccountHost, configuredBaseUrl: string | undefined): string {
  return configuredBaseUrl ? configuredBaseUrl.replaceAll('{subdomain}', account.subdomain) : `https://${account.host}`;
}
