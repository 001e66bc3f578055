/**
 * The marketing parameters of a landing URL, kept with the visit as they came (utm_*, click ids,
 * `_openstat`, `from`, `roistat`): classification reads a few of them, reports and support read all.
 */
const trackedParams = new Set([
  'gclid', 'gbraid', 'wbraid', 'yclid', 'ymclid', 'fbclid', 'msclkid', 'ttclid', 'rb_clickid', 'vkclid',
  '_openstat', 'from', 'roistat',
]);

const MAX_VALUE_LENGTH = 500;

export function landingParams(landingUrl: string): Record<string, string> {
  const params: Record<string, string> = {};
  let search: URLSearchParams;
  try {
    search = new URL(landingUrl).searchParams;
  } catch {
    return params;
  }
  for (const [name, value] of search) {
    const key = name.toLowerCase();
    if ((key.startsWith('utm_') || trackedParams.has(key)) && !(key in params) && key.length <= 64) {
      params[key] = value.slice(0, MAX_VALUE_LENGTH);
    }
  }
  return params;
}
