/**
 * Client ids of the site's other analytics, sent so reports can be joined with theirs. Only
 * well-formed values are sent: the collector refuses a payload with a malformed field.
 */

/** Yandex.Metrica's `_ym_uid` cookie: digits (a timestamp and a random number). */
export function yandexMetricaUid(cookie: string): string | undefined {
  return /^\d{1,32}$/.test(cookie) ? cookie : undefined;
}

/**
 * Google Analytics' `_ga` cookie `GA1.<domain depth>[-<path depth>].<random>.<timestamp>`
 * (`GA1.1.123.456` -> `123.456`).
 */
export function googleAnalyticsClientId(cookie: string): string | undefined {
  const match = /^GA\d+\.[\d-]+\.(\d+\.\d+)$/.exec(cookie);
  return match ? match[1] : undefined;
}
