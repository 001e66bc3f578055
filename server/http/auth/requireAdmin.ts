import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * `Authorization: Bearer $ADMIN_TOKEN`. Without a configured ADMIN_TOKEN the admin API is closed to
 * everyone (401), never open. Compared in constant time.
 */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken ? digest(adminToken) : undefined;
  return (req, _res, next) => {
    if (!expected) {
      next(AppError.unauthorized('The admin API is closed: set ADMIN_TOKEN to open it'));
      return;
    }
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) {
      next(AppError.unauthorized('Send the admin token as "Authorization: Bearer <ADMIN_TOKEN>"'));
      return;
    }
    next();
  };
}
