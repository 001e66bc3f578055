/**
 * PHP's `parse_str` and `http_build_query`, the two ends of Bitrix24's form bodies
 * (bitrix24.md 4.1, 3.11, 2.3): `filter[>=DATE_CREATE]=...`, `select[]=ID`, `cmd[a]=...` in, and
 * `data[FIELDS][ID]=7405`, `auth[application_token]=...` out. A PHP array whose keys are exactly
 * 0..n-1 in order comes out as a JS array, the way `json_encode` would show it, so handlers see
 * the same shapes from form and JSON bodies.
 */
export type PhpValue = string | PhpValue[] | { [key: string]: PhpValue };

const forbiddenKeys = new Set(['__proto__', 'prototype', 'constructor']);
const maxDepth = 16;

type Node = Map<string, Node | string>;

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** `filter[>=ID][]` -> ['filter', '>=ID', '']; PHP turns spaces and dots of the base name into `_`. */
export function phpKeyPath(key: string): string[] | undefined {
  const open = key.indexOf('[');
  const base = (open === -1 ? key : key.slice(0, open)).replace(/[ .]/g, '_');
  if (base === '') return undefined;
  const segments = [base];
  let rest = open === -1 ? '' : key.slice(open);
  while (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) break;
    segments.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  if (segments.length > maxDepth || segments.some((segment) => forbiddenKeys.has(segment))) return undefined;
  return segments;
}

function nextIndex(node: Node): string {
  let next = 0;
  for (const key of node.keys()) {
    if (/^(0|[1-9]\d*)$/.test(key)) next = Math.max(next, Number(key) + 1);
  }
  return String(next);
}

function assign(root: Node, path: string[], value: string): void {
  let node = root;
  path.forEach((segment, index) => {
    const name = segment === '' ? nextIndex(node) : segment;
    if (index === path.length - 1) {
      node.set(name, value);
      return;
    }
    const existing = node.get(name);
    if (existing instanceof Map) {
      node = existing;
      return;
    }
    const child: Node = new Map();
    node.set(name, child);
    node = child;
  });
}

function toValue(node: Node): PhpValue {
  const keys = [...node.keys()];
  const sequential = keys.every((key, index) => key === String(index));
  if (sequential && keys.length > 0) return keys.map((key) => toPhp(node.get(key)));
  const object: { [key: string]: PhpValue } = {};
  for (const key of keys) object[key] = toPhp(node.get(key));
  return object;
}

function toPhp(value: Node | string | undefined): PhpValue {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : toValue(value);
}

/** Pairs already decoded (URLSearchParams, multipart) into PHP's nested arrays. */
export function phpParsePairs(pairs: Iterable<[string, string]>): { [key: string]: PhpValue } {
  const root: Node = new Map();
  for (const [key, value] of pairs) {
    const path = phpKeyPath(key);
    if (path) assign(root, path, value);
  }
  const object: { [key: string]: PhpValue } = {};
  for (const [key, value] of root) object[key] = toPhp(value);
  return object;
}

/** `parse_str`: a raw query string (`a[b]=1&c[]=2`) into nested values. */
export function parsePhpQuery(query: string): { [key: string]: PhpValue } {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    pairs.push(equals === -1 ? [decode(part), ''] : [decode(part.slice(0, equals)), decode(part.slice(equals + 1))]);
  }
  return phpParsePairs(pairs);
}

/** PHP's `urlencode`: like form encoding, with `~` encoded too. */
function phpUrlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*~]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type PhpInput = string | number | boolean | null | undefined | PhpInput[] | { [key: string]: PhpInput };

/** Flattens nested values into `[key, value]` pairs with bracket keys; every scalar as a string. */
export function phpPairs(value: { [key: string]: PhpInput }, prefix = ''): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, child] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}[${key}]`;
    if (child === undefined || child === null) continue;
    if (Array.isArray(child)) {
      const indexed: { [key: string]: PhpInput } = {};
      child.forEach((item, index) => (indexed[String(index)] = item));
      pairs.push(...phpPairs(indexed, name));
    } else if (typeof child === 'object') {
      pairs.push(...phpPairs(child, name));
    } else {
      pairs.push([name, typeof child === 'boolean' ? (child ? '1' : '0') : String(child)]);
    }
  }
  return pairs;
}

/** `http_build_query`: what Bitrix24 posts to event and install handlers. */
export function encodePhpForm(value: { [key: string]: PhpInput }): string {
  return phpPairs(value)
    .map(([key, child]) => `${phpUrlEncode(key)}=${phpUrlEncode(child)}`)
    .join('&');
}

/** PHP truthiness of a request value: `""`, `"0"`, `0`, `false`, `null` and empty arrays are false. */
export function phpTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '' || value === '0') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * PHP `json_encode` of an array keyed by strings: empty -> `[]`, keys exactly 0..n-1 in order ->
 * a JSON array, anything else -> an object (bitrix24.md 3.11).
 */
export function phpJsonMap(entries: Array<[string, unknown]>): unknown {
  if (entries.every(([key], index) => key === String(index))) return entries.map(([, value]) => value);
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) object[key] = value;
  return object;
}
