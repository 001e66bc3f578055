/**
 * First-party storage that never throws and falls back to memory. Reading `document.cookie` or
 * `localStorage` throws a SecurityError when the browser or the page blocks them, and a browser
 * with cookies disabled silently drops cookie writes; either way a value written during this page
 * load is still read back from memory, so the page's hits share one visitor and one visit.
 */
const memory: Record<string, string> = {};

/** 2 years, rewritten on every hit. */
const COOKIE_MAX_AGE_SECONDS = 2 * 365 * 24 * 60 * 60;

export function readCookie(name: string): string {
  try {
    const match = document.cookie.match('(?:^|; )' + name + '=([^;]*)');
    if (match) return match[1]!;
  } catch {
    // blocked: memory below
  }
  return memory[name] || '';
}

/** `domain`: the effective `data-cookie-domain`, '' for a host-only cookie. */
export function writeCookie(name: string, value: string, domain: string): void {
  memory[name] = value;
  try {
    document.cookie =
      name + '=' + value + ';path=/;max-age=' + COOKIE_MAX_AGE_SECONDS + ';samesite=lax' +
      (location.protocol === 'https:' ? ';secure' : '') +
      (domain ? ';domain=' + domain : '');
  } catch {
    // blocked: kept in memory
  }
}

export function readStorage(key: string): string {
  try {
    const value = localStorage.getItem(key);
    if (value) return value;
  } catch {
    // blocked: memory below
  }
  return memory[key] || '';
}

export function writeStorage(key: string, value: string): void {
  memory[key] = value;
  try {
    localStorage.setItem(key, value);
  } catch {
    // blocked or full: kept in memory
  }
}
