/**
 * Finds which known site a host belongs to. Patterns follow Matomo's lists: `host`,
 * `host/path-prefix`, `{}.host` (any subdomain) and `host.{}` (any top-level domain, `co.uk` and
 * `com.tr` too). A host also matches the patterns of its parent domains (m.vk.com is vk.com), and
 * the most specific host wins, so mail.google.com can be web mail while google.com is a search
 * engine. A match through a parent domain that the pattern did not open with `{}.` is flagged:
 * docs.google.com is under google.com, but it is not Google search.
 */

interface IndexedValue<T> {
  readonly pathPrefix: string | null;
  /** The pattern began with `{}.`: its subdomains are the same site. */
  readonly coversSubdomains: boolean;
  readonly value: T;
  /** Insertion order: among equally specific matches, the value added first wins. */
  readonly rank: number;
}

export interface HostMatch<T> {
  readonly value: T;
  /** Matched through a parent domain of the host that the pattern does not declare as covered. */
  readonly viaParentDomain: boolean;
}

const TLD_WILDCARD = '{}';

/** Lower-cases a host, drops a trailing dot and a leading `www.`: www.vk.com and vk.com are one site. */
export function normalizeHost(host: string): string {
  const lower = host.trim().toLowerCase().replace(/\.$/, '');
  return lower.startsWith('www.') ? lower.slice(4) : lower;
}

/** A pattern's host key and path prefix, or null when the pattern is not a usable host. */
export function parseHostPattern(pattern: string): { hostKey: string; pathPrefix: string | null; coversSubdomains: boolean } | null {
  const trimmed = pattern.trim().toLowerCase();
  const slash = trimmed.indexOf('/');
  const rawHost = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const path = slash === -1 ? '' : trimmed.slice(slash);
  const coversSubdomains = rawHost.startsWith(`${TLD_WILDCARD}.`);
  const host = normalizeHost(coversSubdomains ? rawHost.slice(3) : rawHost);
  const labels = host.split('.');
  const wildcardOnlyLast = labels.every((label, index) => label !== TLD_WILDCARD || index === labels.length - 1);
  // Hosts without a dot are app ids or malformed entries (Matomo's `android-app//...` form).
  if (labels.length < 2 || !wildcardOnlyLast || !/^[a-z0-9.{}_-]+$/.test(host)) return null;
  return { hostKey: host, pathPrefix: path === '' || path === '/' ? null : path, coversSubdomains };
}

/** Keys a host can be filed under at one level: itself and its top-level domain as `{}`. */
function candidateKeys(labels: readonly string[]): string[] {
  const keys = [labels.join('.')];
  keys.push([...labels.slice(0, -1), TLD_WILDCARD].join('.'));
  const secondLevel = labels[labels.length - 2];
  // Two-label public suffixes (co.uk, com.tr, ne.jp) have a short second label; blogspot.com does not.
  if (labels.length >= 3 && secondLevel !== undefined && secondLevel.length <= 3) {
    keys.push([...labels.slice(0, -2), TLD_WILDCARD].join('.'));
  }
  return keys;
}

export class HostIndex<T> {
  private readonly byKey = new Map<string, IndexedValue<T>[]>();
  private size = 0;

  /** Files a value under a pattern; returns false when the pattern is not a usable host. */
  add(pattern: string, value: T): boolean {
    const parsed = parseHostPattern(pattern);
    if (!parsed) return false;
    const entry: IndexedValue<T> = { pathPrefix: parsed.pathPrefix, coversSubdomains: parsed.coversSubdomains, value, rank: this.size };
    this.size += 1;
    const existing = this.byKey.get(parsed.hostKey);
    if (existing) existing.push(entry);
    else this.byKey.set(parsed.hostKey, [entry]);
    return true;
  }

  /**
   * The site of a host and path: the most specific host first, then the longest path prefix,
   * then (for a parent domain) a pattern that covers subdomains, then the earliest added.
   */
  lookup(host: string, path = '/'): HostMatch<T> | undefined {
    const labels = normalizeHost(host).split('.');
    const lowerPath = path.toLowerCase();
    for (let start = 0; labels.length - start >= 2; start += 1) {
      const isParent = start > 0;
      let best: IndexedValue<T> | undefined;
      for (const key of candidateKeys(labels.slice(start))) {
        for (const entry of this.byKey.get(key) ?? []) {
          if (entry.pathPrefix !== null && !lowerPath.startsWith(entry.pathPrefix)) continue;
          if (!best || isBetter(entry, best, isParent)) best = entry;
        }
      }
      if (best) return { value: best.value, viaParentDomain: isParent && !best.coversSubdomains };
    }
    return undefined;
  }
}

function isBetter<T>(candidate: IndexedValue<T>, current: IndexedValue<T>, isParent: boolean): boolean {
  const candidatePath = candidate.pathPrefix?.length ?? 0;
  const currentPath = current.pathPrefix?.length ?? 0;
  if (candidatePath !== currentPath) return candidatePath > currentPath;
  if (isParent && candidate.coversSubdomains !== current.coversSubdomains) return candidate.coversSubdomains;
  return candidate.rank < current.rank;
}
