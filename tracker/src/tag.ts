/**
 * The `<script src=".../t.js" data-site="...">` tag and its options.
 *
 * `document.currentScript` names the tag while `t.js` first runs. Tag managers (Google Tag
 * Manager, Yandex tag manager custom HTML) may run the code where it is null, or from an element
 * without our attributes; then the tag is the first `<script>` whose `src` ends in `/t.js` and has
 * a `data-site`.
 */
export interface TagOptions {
  /** `data-site`: the site key. */
  readonly site: string;
  /** The origin `t.js` was loaded from + `/collect`. */
  readonly collectUrl: string;
  /** `data-cookie-domain`, e.g. `example.com` so that subdomains share the visitor; '' when absent. */
  readonly cookieDomain: string;
  /** `data-consent="required"`: nothing stored or sent until `longfunnel('consent', true)`. */
  readonly consentRequired: boolean;
  /** `data-swap`: the site has call or e-mail tracking; the visit's first hit asks which phone and e-mail to show. */
  readonly swap: boolean;
  /** `data-forms="capture"`: submitted forms are also sent as leads to `/api/v1/leads` (forms.ts). */
  readonly forms: boolean;
}

export function readTag(): TagOptions | null {
  let script = document.currentScript as HTMLScriptElement | null;
  if (!script || !script.getAttribute('data-site')) {
    script = document.querySelector('script[src$="/t.js"][data-site]');
  }
  const site = script && script.getAttribute('data-site');
  if (!script || !site) return null;
  return {
    site,
    collectUrl: new URL(script.src).origin + '/collect',
    cookieDomain: script.getAttribute('data-cookie-domain') || '',
    consentRequired: script.getAttribute('data-consent') === 'required',
    swap: script.hasAttribute('data-swap'),
    forms: script.getAttribute('data-forms') === 'capture',
  };
}
