import { TextDecoder } from 'node:util';

/**
 * Query strings read without losing bytes. URLSearchParams decodes every value as UTF-8 and
 * replaces what it cannot read, but search engines still send terms in windows-1251, Shift_JIS
 * or GB2312, so values are kept percent-encoded here and decoded once the charset is known.
 */

export type RawQuery = ReadonlyMap<string, readonly string[]>;

/** Splits `a=1&b=%D0%B0` (with or without the leading `?` or `#`) into raw, still-encoded values. */
export function parseRawQuery(query: string): RawQuery {
  const params = new Map<string, string[]>();
  const body = query.startsWith('?') || query.startsWith('#') ? query.slice(1) : query;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    const key = decodeQueryText(rawKey);
    const values = params.get(key);
    if (values) values.push(rawValue);
    else params.set(key, [rawValue]);
  }
  return params;
}

/** The first raw value of a parameter, its name compared case-insensitively. */
export function firstRawValue(query: RawQuery, name: string): string | undefined {
  const exact = query.get(name);
  if (exact) return exact[0];
  const lowerName = name.toLowerCase();
  for (const [key, values] of query) {
    if (key.toLowerCase() === lowerName) return values[0];
  }
  return undefined;
}

/** Turns `%XX` escapes into bytes, `+` into a space, and any other character into its UTF-8 bytes. */
function percentDecodeToBytes(raw: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < raw.length; index += 1) {
    const char = raw[index] as string;
    if (char === '+') {
      bytes.push(0x20);
    } else if (char === '%' && /^[0-9a-fA-F]{2}$/.test(raw.slice(index + 1, index + 3))) {
      bytes.push(parseInt(raw.slice(index + 1, index + 3), 16));
      index += 2;
    } else {
      const codePoint = raw.codePointAt(index) as number;
      if (codePoint > 0xffff) index += 1;
      bytes.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

const strictDecoders = new Map<string, TextDecoder | null>();

/** A fatal decoder per charset label, or null for a label TextDecoder does not know. */
function strictDecoder(charset: string): TextDecoder | null {
  let decoder = strictDecoders.get(charset);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(charset, { fatal: true });
    } catch {
      decoder = null;
    }
    strictDecoders.set(charset, decoder);
  }
  return decoder;
}

function strictDecode(bytes: Buffer, charset: string): string | null {
  try {
    return strictDecoder(charset)?.decode(bytes) ?? null;
  } catch {
    return null;
  }
}

const PLAIN_TEXT = /^[^%+]*$/;

/**
 * Decodes a raw query value: as UTF-8 when the bytes are valid UTF-8, else in the first of the
 * given charsets that reads them, else as UTF-8 with replacement characters.
 */
export function decodeQueryText(raw: string, charsets: readonly string[] = []): string {
  if (PLAIN_TEXT.test(raw)) return raw;
  const bytes = percentDecodeToBytes(raw);
  for (const charset of ['utf-8', ...charsets]) {
    const text = strictDecode(bytes, charset);
    if (text !== null) return text;
  }
  return bytes.toString('utf8');
}
