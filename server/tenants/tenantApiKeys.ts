/**
 * API keys a tenant's own backends use (call tracking, email tracking, ad cost import): shown once at
 * creation, stored only as a SHA-256 digest (the keys carry ~190 bits of randomness, so a plain digest
 * is enough), revocable. `requireTenantKey` resolves `Authorization: Bearer lft_...` to its tenant.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import type { Queryable } from '../storage/database.js';

const KEY_PREFIX = 'lft_';

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface TenantApiKey {
  id: string;
  tenantId: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export async function createTenantApiKey(db: Queryable, tenantId: string, label: string): Promise<{ key: string; record: TenantApiKey }> {
  const { rows: tenants } = await db.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
  if (tenants.length === 0) throw AppError.notFound(`No tenant ${JSON.stringify(tenantId)}`);
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  const id = randomUUID();
  const { rows } = await db.query<{ created_at: Date }>(
    'INSERT INTO tenant_api_keys (id, tenant_id, key_hash, label) VALUES ($1, $2, $3, $4) RETURNING created_at',
    [id, tenantId, digest(key), label],
  );
  return { key, record: { id, tenantId, label, createdAt: rows[0]!.created_at, revokedAt: null } };
}

export async function listTenantApiKeys(db: Queryable, tenantId: string): Promise<TenantApiKey[]> {
  const { rows } = await db.query<{ id: string; label: string; created_at: Date; revoked_at: Date | null }>(
    'SELECT id, label, created_at, revoked_at FROM tenant_api_keys WHERE tenant_id = $1 ORDER BY created_at',
    [tenantId],
  );
  return rows.map((row) => ({ id: row.id, tenantId, label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at }));
}

export async function revokeTenantApiKey(db: Queryable, tenantId: string, keyId: string): Promise<void> {
  const { rowCount } = await db.query(
    'UPDATE tenant_api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE tenant_id = $1 AND id = $2',
    [tenantId, keyId],
  );
  if (rowCount === 0) throw AppError.notFound(`No API key ${JSON.stringify(keyId)} for tenant ${JSON.stringify(tenantId)}`);
}

/** The tenant a key belongs to, or undefined for an unknown or revoked key. */
export async function tenantOfApiKey(db: Queryable, key: string): Promise<string | undefined> {
  if (!key.startsWith(KEY_PREFIX)) return undefined;
  const { rows } = await db.query<{ tenant_id: string }>(
    'SELECT tenant_id FROM tenant_api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [digest(key)],
  );
  return rows[0]?.tenant_id;
}

/** `Authorization: Bearer lft_...`; the tenant id is then `authenticatedTenant(res)`. */
export function requireTenantKey(db: Queryable): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) {
      next(AppError.unauthorized('Send a tenant API key as "Authorization: Bearer lft_..." (create one with POST /api/v1/tenants/:tenantId/api-keys)'));
      return;
    }
    tenantOfApiKey(db, match[1]).then(
      (tenantId) => {
        if (!tenantId) {
          next(AppError.unauthorized('Unknown or revoked tenant API key'));
          return;
        }
        res.locals.tenantId = tenantId;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

export function authenticatedTenant(res: Response): string {
  const tenantId = res.locals.tenantId as unknown;
  if (typeof tenantId !== 'string') throw new Error('authenticatedTenant used on a route without requireTenantKey');
  return tenantId;
}
