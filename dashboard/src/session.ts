/**
 * Where the page's credential comes from (server/reports/dashboardPage.ts explains the order):
 * the session a CRM entry point put in `<meta name="longfunnel-session">`; a session the parent
 * frame posts, accepted only from an origin in `<meta name="longfunnel-embedders">`; or the admin
 * token and tenant id typed into the login form, kept in sessionStorage (this tab only).
 */
import type { Credential } from './api.js';

const ADMIN_TOKEN_KEY = 'longfunnel.adminToken';
const TENANT_KEY = 'longfunnel.tenantId';

export function meta(name: string): string | undefined {
  const content = document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content;
  return content ? content : undefined;
}

export function embedderOrigins(): string[] {
  return (meta('longfunnel-embedders') ?? '').split(/\s+/).filter(Boolean);
}

export function isFramed(): boolean {
  return window.parent !== window;
}

/** The session a CRM entry point rendered into the page, if any. */
export function metaSession(): Credential | undefined {
  const token = meta('longfunnel-session');
  return token ? { kind: 'session', token } : undefined;
}

export function storedAdmin(): Credential | undefined {
  try {
    const token = sessionStorage.getItem(ADMIN_TOKEN_KEY);
    const tenantId = sessionStorage.getItem(TENANT_KEY);
    return token && tenantId ? { kind: 'admin', token, tenantId } : undefined;
  } catch {
    return undefined;
  }
}

export function storeAdmin(token: string, tenantId: string): void {
  sessionStorage.setItem(ADMIN_TOKEN_KEY, token);
  sessionStorage.setItem(TENANT_KEY, tenantId);
}

export function forgetAdmin(): void {
  sessionStorage.removeItem(ADMIN_TOKEN_KEY);
}

/**
 * Inside a CRM frame: asks the parent for a session (`longfunnel:ready`) and waits for
 * `{ type: 'longfunnel:session', token }` from one of the allowed origins. Calls `onSession` for
 * every new session (the CRM may renew an expired one). Messages from any other origin are ignored.
 */
export function listenForFrameSessions(onSession: (credential: Credential) => void): void {
  const allowed = embedderOrigins();
  if (!isFramed() || allowed.length === 0) return;
  window.addEventListener('message', (event: MessageEvent) => {
    if (!allowed.includes(event.origin)) return;
    const data = event.data as { type?: unknown; token?: unknown } | null;
    if (!data || data.type !== 'longfunnel:session' || typeof data.token !== 'string' || data.token.length === 0) return;
    onSession({ kind: 'session', token: data.token });
  });
  for (const origin of allowed) window.parent.postMessage({ type: 'longfunnel:ready' }, origin);
}

/** Tells the CRM frame the session ran out, so it can post a fresh one. */
export function askFrameForNewSession(): void {
  for (const origin of embedderOrigins()) {
    if (isFramed()) window.parent.postMessage({ type: 'longfunnel:session-expired' }, origin);
  }
}
