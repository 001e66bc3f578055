import { normalizeHost } from './hostIndex.js';

/**
 * Whether a referrer host is the site itself. A site's hosts cover their subdomains
 * (example.com covers www.example.com and shop.example.com); the landing page's own host always
 * counts, so a self-referral is internal even when the site's hosts are not configured.
 */
export function internalHostMatcher(siteHosts: readonly unknown[], landingHost: string | null): (host: string) => boolean {
  const hosts = [...siteHosts, landingHost]
    .filter((host): host is string => typeof host === 'string')
    .map(siteHostOf)
    .filter((host) => host !== '');
  return (host) => {
    const candidate = normalizeHost(host);
    return hosts.some((siteHost) => candidate === siteHost || candidate.endsWith(`.${siteHost}`));
  };
}

/** Accepts `example.com`, `www.example.com`, `*.example.com`, `https://example.com:8080/path`. */
function siteHostOf(value: string): string {
  const withoutScheme = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split(/[/?#]/)[0] ?? '';
  const withoutPort = host.replace(/:\d*$/, '').replace(/^\*?\./, '');
  return normalizeHost(withoutPort);
}
