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

/**
 * Sends one payload with `fetch` and hands its JSON answer (200) to `onAnswer`: only for the hit
 * that asks which phone and e-mail the visit shows, since a beacon's answer cannot be read.
 */
export function transmitForAnswer<Answer>(collectUrl: string, body: string, onAnswer: (answer: Answer) => void): void {
  // A browser without fetch throws here, into the caller's try: that hit is lost, as the beacon-less one above.
  fetch(collectUrl, { method: 'POST', body, keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'text/plain' } })
    .then((response) => {
      if (response.status === 200) return response.json().then(onAnswer);
    })
    .catch(ignore);
}

function ignore(): void {}
