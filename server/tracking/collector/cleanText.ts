/**
 * Strings as PostgreSQL's json parser accepts them: no NUL characters and no lone UTF-16
 * surrogates (what cutting "🔥" in half leaves). One such string would fail the whole shared
 * transaction of a batch, so every text of a hit passes through here first.
 */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanText(text: string): string {
  return text.replace(/\u0000/g, '').replace(loneSurrogate, '\uFFFD');
}

export function cleanOptionalText(text: string | undefined): string | null {
  return text ? cleanText(text) : null;
}
