/**
 * Short-lived sessions for pages a CRM opens for its users (the deal-card widget, the dashboard inside
 * amoCRM or Bitrix24): once the CRM has vouched for the user (amoCRM's disposable token, a Bitrix24
 * placement call checked with `user.current`), the server issues an HS256 JWT naming the tenant, and
 * the page's API calls carry it as `Authorization: Bearer <session>`. The signing key is derived from
 * ENCRYPTION_KEY, so every server process of a deployment accepts the sessions of the others.
 *
 * `requireTenantAccess` is what tenant-scoped read APIs use: a session, or the admin token together
 * with an explicit `tenant_id` query parameter (standalone use of the dashboard).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.js';
import type { TokenCipher } from './tokenCipher.js';

const ISSUER = 'longfunnel';
const AUDIENCE = 'longfunnel:tenant-session';
export const DEFAULT_SESSION_SECONDS = 60 * 60;

export type SessionOrigin = 'amocrm' | 'bitrix24' | 'admin';

export interface TenantSession {
  tenantId: string;
  /** The CRM user the session was issued to (their CRM user id), when known. */
  userId?: string;
  origin: SessionOrigin;
  /** The CRM's interface language when the CRM told us. */
  locale?: 'ru' | 'en';
}

function sessionKey(cipher: TokenCipher): Uint8Array {
  return cipher.deriveKey('tenant-session');
}

export async function issueTenantSession(cipher: TokenCipher, session: TenantSession, ttlSeconds = DEFAULT_SESSION_SECONDS): Promise<string> {
  const claims: Record<string, string> = { tenant: session.tenantId, origin: session.origin };
  if (session.locale) claims.locale = session.locale;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime(`${ttlSeconds}s`);
  if (session.userId) jwt.setSubject(session.userId);
  return jwt.sign(sessionKey(cipher));
}

/** The session a token carries; throws a 401 AppError saying why when it is forged, expired or malformed. */
export async function verifyTenantSession(cipher: TokenCipher, token: string): Promise<TenantSession> {
  try {
    const { payload } = await jwtVerify(token, sessionKey(cipher), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    const { tenant, origin, locale } = payload as Record<string, unknown>;
    if (typeof tenant !== 'string' || (origin !== 'amocrm' && origin !== 'bitrix24' && origin !== 'admin')) {
      throw AppError.unauthorized('The session token does not name a tenant');
    }
    return {
      tenantId: tenant,
      origin,
      ...(typeof payload.sub === 'string' ? { userId: payload.sub } : {}),
      ...(locale === 'ru' || locale === 'en' ? { locale } : {}),
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw AppError.unauthorized('The session has expired: reopen the page in the CRM');
    throw AppError.unauthorized('The session token is not valid');
  }
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * A tenant session (`res.locals.session`), or the admin token with `?tenant_id=`; either way
 * `sessionTenant(res)` is then the tenant the request may read.
 */
export function requireTenantAccess(cipher: TokenCipher, adminToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    const token = bearer(req.get('authorization'));
    if (!token) {
      next(AppError.unauthorized('Open this from the CRM, or send the admin token as "Authorization: Bearer <ADMIN_TOKEN>" with ?tenant_id='));
      return;
    }
    if (adminToken && sameSecret(token, adminToken)) {
      const tenantId = typeof req.query.tenant_id === 'string' ? req.query.tenant_id.trim() : '';
      if (!tenantId) {
        next(AppError.validation('With the admin token, say which tenant with ?tenant_id='));
        return;
      }
      res.locals.session = { tenantId, origin: 'admin' } satisfies TenantSession;
      next();
      return;
    }
    verifyTenantSession(cipher, token).then(
      (session) => {
        res.locals.session = session;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

export function sessionOf(res: Response): TenantSession {
  const session = res.locals.session as TenantSession | undefined;
  if (!session) throw new Error('sessionOf used on a route without requireTenantAccess');
  return session;
}

export function sessionTenant(res: Response): string {
  return sessionOf(res).tenantId;
}
