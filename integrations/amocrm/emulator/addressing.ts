/**
 * Which account a request is for. Like the real service, by host (`acme.amocrm.ru`,
 * `acme.kommo.com`); for tests on one loopback port, also by the path prefix `/_accounts/acme/`.
 * The `www.` hosts (consent page) are reached on loopback as `/_www/`.
 */
import type { Account, EmulatorState, Platform } from './state.js';

export type Addressing =
  | { kind: 'account'; account: Account; baseUrl: string; path: string }
  /** `basePath` is `/_www` when reached by prefix on loopback, '' by a `www.` host. */
  | { kind: 'www'; path: string; basePath: string }
  | { kind: 'unknown'; path: string };

const platformDomains: Record<string, Platform> = { 'amocrm.ru': 'amocrm', 'kommo.com': 'kommo' };
const accountPrefix = /^\/_accounts\/([a-z0-9-]+)(\/.*)?$/;
const wwwPrefix = /^\/_www(\/.*)?$/;
const accountHost = /^([a-z0-9-]+)\.(amocrm\.ru|kommo\.com)$/;

export function accountPrefixUrl(emulatorUrl: string, subdomain: string): string {
  return `${emulatorUrl}/_accounts/${subdomain}`;
}

export function resolveAddressing(state: EmulatorState, emulatorUrl: string, hostHeader: string, path: string): Addressing {
  const prefixed = accountPrefix.exec(path);
  if (prefixed?.[1]) {
    const account = state.accountBySubdomain(prefixed[1]);
    const innerPath = prefixed[2] ?? '/';
    return account
      ? { kind: 'account', account, baseUrl: accountPrefixUrl(emulatorUrl, account.subdomain), path: innerPath }
      : { kind: 'unknown', path: innerPath };
  }
  const www = wwwPrefix.exec(path);
  if (www) return { kind: 'www', path: www[1] ?? '/', basePath: '/_www' };
  const host = hostHeader.toLowerCase();
  const hosted = accountHost.exec(host.replace(/:\d+$/, ''));
  if (!hosted?.[1] || !hosted[2]) return { kind: 'unknown', path };
  if (hosted[1] === 'www') return { kind: 'www', path, basePath: '' };
  const account = state.accountBySubdomain(hosted[1]);
  if (!account || account.platform !== platformDomains[hosted[2]]) return { kind: 'unknown', path };
  return { kind: 'account', account, baseUrl: `http://${host}`, path };
}
