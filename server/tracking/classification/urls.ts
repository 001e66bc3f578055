/** URL parsing that never throws: bad input is "no URL". */

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Parses an absolute URL; a bare `host/path` is read as http. Null when it cannot be read. */
export function parseUrlSafely(value: string | null): URL | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  try {
    return new URL(HAS_SCHEME.test(trimmed) ? trimmed : `http://${trimmed}`);
  } catch {
    return null;
  }
}

/** The query string of a URL-ish text, without `?` and fragment, even when the URL is invalid. */
export function rawQueryOf(value: string | null): string {
  if (value === null) return '';
  const questionMark = value.indexOf('?');
  if (questionMark === -1) return '';
  const hash = value.indexOf('#', questionMark);
  return value.slice(questionMark + 1, hash === -1 ? undefined : hash);
}
