/**
 * Tracked websites. A site belongs to a tenant, has a public key (what `data-site` carries) and
 * the hosts it runs on: those hosts and their subdomains are its allowed origins and count as
 * internal referrers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../storage/database.js';
import { AppError } from '../../errors.js';

export interface Site {
  id: string;
  tenantId: string;
  key: string;
  domain: string;
  hosts: string[];
  cookieDomain: string | null;
}

interface SiteRow {
  id: string;
  tenant_id: string;
  key: string;
  domain: string;
  hosts: string[];
  cookie_domain: string | null;
}

const siteColumns = 'id, tenant_id, key, domain, hosts, cookie_domain';

function fromRow(row: SiteRow): Site {
  return { id: row.id, tenantId: row.tenant_id, key: row.key, domain: row.domain, hosts: row.hosts, cookieDomain: row.cookie_domain };
}

const hostnamePattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `https://www.Example.com/path` -> `www.example.com`, `магазин.рф` -> `xn--80aairftm.xn--p1ai`
 * (browsers send international hosts in punycode); throws a validation error for anything else.
 */
export function normaliseHost(input: string, field: string): string {
  const trimmed = input.trim();
  let host = '';
  if (trimmed !== '' && !/[\s@]/.test(trimmed)) {
    try {
      host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`).hostname.replace(/\.$/, '');
    } catch {
      host = '';
    }
  }
  if (!hostnamePattern.test(host)) {
    throw AppError.validation(`${field} must be a host name like example.com (got ${JSON.stringify(input)})`);
  }
  return host;
}

/** A site key: "lf_" and 24 characters of base62, about 143 bits of randomness. */
export function newSiteKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(48);
  let key = '';
  for (const byte of bytes) {
    if (byte < 248) key += alphabet[byte % 62];
    if (key.length === 24) break;
  }
  return `lf_${key}`;
}

export interface NewSite {
  domain: string;
  tenantId?: string;
  /** More hosts the site runs on (the domain and its `www.` twin are always included). */
  extraHosts?: string[];
  /** Cookie domain so that subdomains share the visitor id, e.g. `example.com`. */
  cookieDomain?: string;
}

async function ensureTenant(tx: Queryable, tenantId: string | undefined, domain: string): Promise<string> {
  if (tenantId) {
    const { rows } = await tx.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
    if (rows.length === 0) throw AppError.notFound(`No tenant ${JSON.stringify(tenantId)}`);
    return tenantId;
  }
  // A site added before any CRM is connected gets a tenant of its own; a CRM install adopts it later.
  const id = randomUUID();
  await tx.query(`INSERT INTO tenants (id, kind, name) VALUES ($1, 'standalone', $2)`, [id, domain]);
  return id;
}

export async function createSite(db: Database, input: NewSite): Promise<Site> {
  const domain = normaliseHost(input.domain, 'domain');
  const bare = domain.replace(/^www\./, '');
  const hosts = [...new Set([bare, `www.${bare}`, ...(input.extraHosts ?? []).map((host) => normaliseHost(host, 'hosts'))])];
  const cookieDomain = input.cookieDomain ? normaliseHost(input.cookieDomain, 'cookie_domain') : null;
  if (cookieDomain && !hosts.some((host) => host === cookieDomain || host.endsWith(`.${cookieDomain}`))) {
    throw AppError.validation(`cookie_domain ${cookieDomain} must be one of the site's hosts or a parent of one`);
  }
  return db.transaction(async (tx) => {
    const tenantId = await ensureTenant(tx, input.tenantId, domain);
    const { rows } = await tx.query<SiteRow>(
      `INSERT INTO sites (id, tenant_id, key, domain, hosts, cookie_domain) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${siteColumns}`,
      [randomUUID(), tenantId, newSiteKey(), domain, hosts, cookieDomain],
    );
    return fromRow(rows[0]!);
  });
}

export async function listSites(db: Database): Promise<Site[]> {
  const { rows } = await db.query<SiteRow>(`SELECT ${siteColumns} FROM sites ORDER BY created_at`);
  return rows.map(fromRow);
}

/** True when `host` is one of the site's hosts or a subdomain of one. */
export function isSiteHost(site: Pick<Site, 'hosts'>, host: string): boolean {
  const lower = host.toLowerCase();
  return site.hosts.some((siteHost) => lower === siteHost || lower.endsWith(`.${siteHost}`));
}

/** True when a browser `Origin` (scheme://host[:port]) belongs to the site, over http or https. */
export function isSiteOrigin(site: Pick<Site, 'hosts'>, origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'https:' || url.protocol === 'http:') && isSiteHost(site, url.hostname);
  } catch {
    return false;
  }
}

/** The tag a site owner pastes into their pages. */
export function trackerTag(publicUrl: string, site: Site): string {
  const cookieDomain = site.cookieDomain ? ` data-cookie-domain="${site.cookieDomain}"` : '';
  return `<script async src="${publicUrl}/t.js" data-site="${site.key}"${cookieDomain}></script>`;
}

/**
 * Site lookups by key for the collector, cached: every tracked page view asks, sites rarely change.
 * Unknown keys are cached briefly too, so a flood of bad keys does not reach the database.
 */
export class SiteDirectory {
  private readonly cache = new Map<string, { site: Site | undefined; expires: number }>();
  /** Lookups under way: concurrent hits of one site share one query instead of one each. */
  private readonly inFlight = new Map<string, Promise<Site | undefined>>();

  constructor(
    private readonly db: Database,
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
  ) {}

  async byKey(key: string): Promise<Site | undefined> {
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now()) return cached.site;
    let lookup = this.inFlight.get(key);
    if (!lookup) {
      lookup = this.load(key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, lookup);
    }
    return lookup;
  }

  private async load(key: string): Promise<Site | undefined> {
    const { rows } = await this.db.query<SiteRow>(`SELECT ${siteColumns} FROM sites WHERE key = $1`, [key]);
    const site = rows[0] ? fromRow(rows[0]) : undefined;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(key, { site, expires: Date.now() + (site ? this.ttlMs : Math.min(this.ttlMs, 5_000)) });
    return site;
  }
}
