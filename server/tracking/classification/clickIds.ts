import { decodeQueryText, firstRawValue, type RawQuery } from './queryString.js';
import { cleanTagValue } from './text.js';

/** An ad platform's click id and the source and medium a click carrying it comes from. */
export interface ClickIdRule {
  readonly param: string;
  readonly source: string;
  readonly medium: string;
  /**
   * Meta appends fbclid to every outbound link, organic posts included, so it proves the click
   * came from Facebook or Instagram but not that it was paid (GA4 does not count it as paid either).
   */
  readonly onOrganicLinksToo?: true;
}

/** In priority order: when a URL carries several, the first one listed names the visit. */
export const CLICK_ID_RULES: readonly ClickIdRule[] = [
  { param: 'gclid', source: 'google', medium: 'cpc' },
  { param: 'gbraid', source: 'google', medium: 'cpc' },
  { param: 'wbraid', source: 'google', medium: 'cpc' },
  { param: 'yclid', source: 'yandex', medium: 'cpc' },
  // Yandex Market's click id.
  { param: 'ymclid', source: 'yandex', medium: 'cpc' },
  { param: 'msclkid', source: 'bing', medium: 'cpc' },
  { param: 'ttclid', source: 'tiktok', medium: 'cpc' },
  // VK Ads (formerly myTarget) adds rb_clickid; vkclid comes from VK's own ad formats.
  { param: 'rb_clickid', source: 'vk', medium: 'cpc' },
  { param: 'vkclid', source: 'vk', medium: 'cpc' },
  { param: 'fbclid', source: 'facebook', medium: 'social', onOrganicLinksToo: true },
];

export interface ClickId {
  readonly rule: ClickIdRule;
  readonly value: string;
}

export function findClickId(query: RawQuery): ClickId | null {
  for (const rule of CLICK_ID_RULES) {
    const raw = firstRawValue(query, rule.param);
    const value = raw === undefined ? null : cleanTagValue(decodeQueryText(raw));
    if (value !== null) return { rule, value };
  }
  return null;
}
