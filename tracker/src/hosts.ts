/** Host names, lower-cased and without port; '' when there is none. */

/** The host of an absolute URL (`https://user@Yandex.RU:443/search` -> `yandex.ru`). */
export function hostOf(url: string): string {
  const match = /^[a-z][\w+.-]*:\/\/(?:[^@/?#]*@)?([^:/?#]*)/i.exec(url);
  return match ? match[1]!.toLowerCase() : '';
}

/**
 * The `data-cookie-domain` to write cookies with: the configured domain without a leading dot
 * when it is the page's host or a parent of it, else '' (the browser would refuse such a cookie,
 * and the visitor id would then never persist).
 */
export function cookieDomainFor(configured: string, pageHost: string): string {
  const domain = configured.replace(/^\./, '').toLowerCase();
  return domain && isWithin(pageHost, domain) ? domain : '';
}

/** Whether a referrer host is the site itself: the page's host, or the cookie domain and its subdomains. */
export function isInternalHost(host: string, pageHost: string, cookieDomain: string): boolean {
  return host === pageHost || (cookieDomain !== '' && isWithin(host, cookieDomain));
}

function isWithin(host: string, domain: string): boolean {
  return host === domain || host.slice(-domain.length - 1) === '.' + domain;
}
