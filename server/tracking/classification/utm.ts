import { decodeQueryText, firstRawValue, type RawQuery } from './queryString.js';
import { cleanSourceOrMedium, cleanTagValue } from './text.js';

/** The five utm tags of a landing URL, trimmed; source and medium lower-cased. */
export interface UtmTags {
  readonly source: string | null;
  readonly medium: string | null;
  readonly campaign: string | null;
  readonly content: string | null;
  readonly term: string | null;
}

export function readUtmTags(query: RawQuery): UtmTags {
  const read = (name: string): string | undefined => {
    const raw = firstRawValue(query, name);
    return raw === undefined ? undefined : decodeQueryText(raw);
  };
  return {
    source: cleanSourceOrMedium(read('utm_source')),
    medium: cleanSourceOrMedium(read('utm_medium')),
    campaign: cleanTagValue(read('utm_campaign')),
    content: cleanTagValue(read('utm_content')),
    term: cleanTagValue(read('utm_term')),
  };
}
