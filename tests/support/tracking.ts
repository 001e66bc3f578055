/** Helpers for tests that act as a website: create a site, send tracker hits as a browser would. */
import { randomBytes } from 'node:crypto';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

export interface CreatedSite {
  id: string;
  key: string;
  tenant_id: string;
  domain: string;
  hosts: string[];
  tag: string;
}

export async function createTestSite(baseUrl: string, body: Record<string, unknown> = { domain: 'shop.example' }): Promise<CreatedSite> {
  const response = await fetch(`${baseUrl}/api/v1/sites`, { method: 'POST', headers: adminHeaders, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`creating a site answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as CreatedSite;
}

export const newId = () => randomBytes(12).toString('hex');

export interface HitOptions {
  origin?: string | null;
  userAgent?: string;
  contentType?: string;
}

export function sendHit(baseUrl: string, payload: Record<string, unknown>, options: HitOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'text/plain;charset=UTF-8',
    'user-agent': options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  };
  if (options.origin !== null) headers.origin = options.origin ?? 'https://shop.example';
  return fetch(`${baseUrl}/collect`, { method: 'POST', headers, body: typeof payload === 'string' ? payload : JSON.stringify(payload) });
}

export function pageview(siteKey: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    site: siteKey,
    type: 'pageview',
    visitor: 'visitor-0001',
    visit: 'visit-0001',
    url: 'https://shop.example/',
    landing: 'https://shop.example/',
    ts: Date.now(),
    ...fields,
  };
}

/** A visit as `GET /api/v1/visitors/:visitorId/visits` returns it (the fields tests read). */
export interface StoredVisit {
  id: string;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  channel: string;
  click_id_type: string | null;
  landing_params: Record<string, string>;
  pageviews: number;
  goals: number;
  ym_uid: string | null;
  ga_cid: string | null;
  device: { type: string; browser: string | null; os: string | null; screen: string | null };
  hits: Array<{ type: string; url: string; goal: string | null; value: number | null }>;
}
