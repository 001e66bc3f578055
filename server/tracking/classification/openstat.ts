import { TextDecoder } from 'node:util';
import { normalizeHost } from './hostIndex.js';
import { decodeQueryText } from './queryString.js';

/**
 * The `_openstat` tag (Yandex Direct, Yandex Market and older Russian ad networks):
 * `service;campaign;ad;placement`, either base64-encoded (standard or URL-safe alphabet, padded
 * or not) or raw. Anything else is ignored, never guessed at.
 */
export interface OpenstatTag {
  /** Ad service host, e.g. `direct.yandex.ru`. */
  readonly service: string;
  readonly campaign: string | null;
  readonly ad: string | null;
  /** Where the ad was shown: `yandex.ru:premium` on search, a partner site's host in RSYa. */
  readonly placement: string | null;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function fromBase64(value: string): string | null {
  // A `+` the link did not percent-encode arrives as a space; URL-safe base64 uses - and _.
  const standard = value.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
  if (!BASE64.test(standard)) return null;
  const unpadded = standard.replace(/=+$/, '');
  const padded = unpadded.padEnd(unpadded.length + ((4 - (unpadded.length % 4)) % 4), '=');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(padded, 'base64'));
  } catch {
    return null;
  }
}

function field(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export function parseOpenstat(raw: string | undefined): OpenstatTag | null {
  if (raw === undefined) return null;
  const value = decodeQueryText(raw).trim();
  const text = value.includes(';') ? value : fromBase64(value);
  if (text === null || !text.includes(';') || /[\u0000-\u001f]/.test(text)) return null;
  const [service, campaign, ad, placement] = text.split(';');
  const serviceHost = field(service);
  if (serviceHost === null) return null;
  return { service: normalizeHost(serviceHost), campaign: field(campaign), ad: field(ad), placement: field(placement) };
}

/** Short source names of the services that use the tag; others are stored by host. */
const OPENSTAT_SOURCES: Readonly<Record<string, string>> = {
  'direct.yandex.ru': 'yandex',
  'market.yandex.ru': 'yandex-market',
};

export function openstatSource(tag: OpenstatTag): string {
  return OPENSTAT_SOURCES[tag.service] ?? tag.service;
}
