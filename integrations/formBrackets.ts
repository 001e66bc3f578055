/**
 * Form bodies with PHP bracket keys, the encoding amoCRM webhooks and Bitrix24 events and batch
 * commands share (amocrm.md 4.2, bitrix24.md 2.3, 3.11): `leads[add][0][id]=1`,
 * `auth[application_token]=...`, `fields[UTM_SOURCE]=google`. Parsed here into a tree, without a
 * general-purpose query-string library: such libraries turn indexes above 20 into object keys, and
 * a bracket parser must never write `__proto__`. Malformed keys (bodies do arrive truncated) are
 * skipped, not fatal. Every value is a string.
 */

export type FormTree = { [key: string]: string | FormTree };

const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 10;
const forbiddenKeys = new Set(['__proto__', 'prototype', 'constructor']);

/** `leads[add][0][id]` -> ['leads', 'add', '0', 'id']; undefined for anything else. */
export function bracketPath(key: string): string[] | undefined {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match?.[1]) return undefined;
  const segments = [match[1], ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1] ?? '')];
  if (segments.length > MAX_DEPTH || segments.some((segment) => forbiddenKeys.has(segment))) return undefined;
  return segments;
}

/** The tree of `entries` (decoded key/value pairs, e.g. a `URLSearchParams`). */
export function formTree(entries: Iterable<[string, string]>): FormTree {
  const root: FormTree = Object.create(null) as FormTree;
  let count = 0;
  for (const [key, value] of entries) {
    if (++count > MAX_ENTRIES) break;
    const path = bracketPath(key);
    if (!path) continue;
    let node = root;
    for (const [index, segment] of path.entries()) {
      // `values[0][]` style empty segments append, as PHP does.
      const name = segment === '' ? String(Object.keys(node).length) : segment;
      if (index === path.length - 1) {
        if (typeof node[name] !== 'object') node[name] = value;
        break;
      }
      const next = node[name];
      if (typeof next === 'object') {
        node = next;
      } else {
        const child: FormTree = Object.create(null) as FormTree;
        node[name] = child;
        node = child;
      }
    }
  }
  return root;
}

/** A raw `application/x-www-form-urlencoded` body as a tree. */
export function parseFormBody(body: string): FormTree {
  return formTree(new URLSearchParams(body));
}

/** Entries of a bracket tree in index order: `0`, `1`, ..., `10` (not `0`, `1`, `10`, `2`). */
export function indexedItems(tree: FormTree): FormTree[] {
  return Object.keys(tree)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => tree[key])
    .filter((item): item is FormTree => typeof item === 'object');
}

/** A string leaf of the tree, or undefined (absent, empty or not a leaf). */
export function formText(tree: FormTree | undefined, name: string): string | undefined {
  const value = tree?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A branch of the tree, or undefined. */
export function formBranch(tree: FormTree | undefined, name: string): FormTree | undefined {
  const value = tree?.[name];
  return typeof value === 'object' ? value : undefined;
}

export type FormInput = string | number | boolean | null | undefined | readonly FormInput[] | { readonly [key: string]: FormInput };

/**
 * The other direction, as PHP's `http_build_query`: nested objects and arrays become bracket keys
 * (`filter[@ID][0]=1`), booleans `1`/`0`, null and undefined are left out.
 */
export function encodeForm(input: { readonly [key: string]: FormInput }): string {
  const pairs: string[] = [];
  const add = (key: string, value: FormInput): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
      for (const [child, item] of entries) add(`${key}[${child}]`, item as FormInput);
      return;
    }
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  };
  for (const [key, value] of Object.entries(input)) add(key, value);
  return pairs.join('&');
}
