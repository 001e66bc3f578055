/**
 * Sends one payload: `sendBeacon` (text/plain, no CORS preflight, survives the page unloading);
 * when it is missing, throws or refuses (returns false), `fetch` with keepalive. Never throws and
 * never leaves a rejected promise for the page's error tracking to report.
 */
export function transmit(collectUrl: string, body: string): void {
  try {
    if (navigator.sendBeacon(collectUrl, body)) return;
  } catch {
    // no sendBeacon: fall through to fetch
  }
  try {
    fetch(collectUrl, {
      method: 'POST',
      body,
      keepalive: true,
      credentials: 'omit',
      headers: { 'Content-Type': 'text/plain' },
    }).catch(ignore);
  } catch {
    // no fetch either: the hit is lost, the page is unaffected
  }
}

function ignore(): void {}
