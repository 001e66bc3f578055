/** Helpers for call and e-mail tracking tests: a tenant key, a site's numbers, a visit's first hit asking for its swap. */
import { adminHeaders, newId, sendHit, pageview } from './tracking.js';

export async function createTenantKey(baseUrl: string, tenantId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/tenants/${tenantId}/api-keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ label: 'telephony' }) });
  if (response.status !== 201) throw new Error(`creating a tenant key answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

export async function configureNumbers(baseUrl: string, siteId: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await fetch(`${baseUrl}/api/v1/sites/${siteId}/call-tracking`, { method: 'PUT', headers: adminHeaders, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`configuring numbers answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, any>;
}

/** `+7 495 000-00-01` ... : valid Moscow numbers for a pool. */
export function poolNumbers(count: number, prefix = '+7495000'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(4, '0')}`);
}

export interface SwapHitAnswer {
  status: number;
  body: { phone?: [string, string]; email?: [string, string]; ttl: number } | null;
}

export async function swapHit(baseUrl: string, siteKey: string, visit: { visitor?: string; visit?: string; landing?: string; origin?: string } = {}): Promise<SwapHitAnswer & { visitor: string; visit: string }> {
  const visitor = visit.visitor ?? `visitor-${newId()}`;
  const visitId = visit.visit ?? `visit-${newId()}`;
  const landing = visit.landing ?? 'https://shop.example/';
  const response = await sendHit(baseUrl, { ...pageview(siteKey, { visitor, visit: visitId, url: landing, landing }), v: 2, swap: 1 }, { origin: visit.origin });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as SwapHitAnswer['body']) : null, visitor, visit: visitId };
}

export function postCall(baseUrl: string, key: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/calls`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export function postEmail(baseUrl: string, key: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/emails`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
