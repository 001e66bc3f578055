/**
 * Bitrix24's answers as CrmFailures (../shared/crm/bitrix24.md 1.6, 1.7, 3.1, 4.3, 4.4): the REST
 * envelope `{error, error_description}` (legacy CRM methods with an empty code), the OAuth server's
 * errors, and the two limits — the leaky bucket's 503 QUERY_LIMIT_EXCEEDED and the per-method
 * operating-time 429.
 */
import type { CrmFailure } from '../crmFailure.js';

interface ErrorBody {
  error?: unknown;
  error_description?: unknown;
}

function bodyOf(body: unknown): ErrorBody | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) return body as ErrorBody;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ErrorBody) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Grant gone: the app was removed, or the portal or the installing user cannot be used any more. */
const revokedCodes = new Set(['invalid_grant', 'APPLICATION_NOT_FOUND', 'authorization_error', 'PORTAL_DELETED', 'user_access_error']);

/**
 * `status` undefined means no answer (network error, timeout). `body` is the parsed JSON or the raw
 * text; inside a `batch` pass a command's `result_error` entry with the status the call would have.
 */
export function translateBitrix24Error(status: number | undefined, body: unknown): CrmFailure {
  if (status === undefined) return { code: 'TEMPORARY', status, message: 'Bitrix24 did not answer (network error or timeout)' };
  const parsed = bodyOf(body);
  const code = typeof parsed?.error === 'string' || typeof parsed?.error === 'number' ? String(parsed.error) : '';
  const description = typeof parsed?.error_description === 'string' ? parsed.error_description.trim() : '';
  const said = [code, description].filter(Boolean).join(': ') || `HTTP ${status}`;

  if (code === 'QUERY_LIMIT_EXCEEDED') return { code: 'RATE_LIMITED', status, message: 'Bitrix24: too many requests (the portal\'s request bucket is full)' };
  if (code === 'OPERATION_TIME_LIMIT') {
    return { code: 'BLOCKED', status, message: 'Bitrix24: this method is blocked for up to 10 minutes (operating-time limit); the work is retried later' };
  }
  if (code === 'OVERLOAD_LIMIT') return { code: 'BLOCKED', status, message: 'Bitrix24: REST API blocked due to overload (manual block; contact Bitrix24 support)' };
  if (code === 'expired_token' || code === 'invalid_token') return { code: 'AUTH_EXPIRED', status, message: `Bitrix24: ${said}` };
  if (revokedCodes.has(code)) return { code: 'AUTH_REVOKED', status, message: `Bitrix24: ${said}` };
  if (code === 'invalid_client') return { code: 'FORBIDDEN', status, message: `Bitrix24: ${said}: check BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET` };
  if (code === 'PAYMENT_REQUIRED') return { code: 'ACCOUNT_INACTIVE', status, message: 'Bitrix24: the application\'s paid period is over (PAYMENT_REQUIRED)' };
  if (code === 'insufficient_scope' || code === 'ACCESS_DENIED' || code === 'WRONG_AUTH_TYPE' || code === 'allowed_only_intranet_user') {
    return { code: 'FORBIDDEN', status, message: `Bitrix24: ${said || 'access denied'}` };
  }
  if (status >= 500) return { code: 'TEMPORARY', status, message: `Bitrix24 server error ${status}${code ? ` (${said})` : ''}` };
  if (status === 429) return { code: 'RATE_LIMITED', status, message: `Bitrix24: ${said}` };
  if (code === 'NOT_FOUND' || code === 'OWNER_NOT_FOUND' || /^Not found\.?$/.test(description)) return { code: 'NOT_FOUND', status, message: `Bitrix24: ${said}` };
  if (status === 401) return { code: 'AUTH_EXPIRED', status, message: `Bitrix24: ${said}` };
  if (status === 400) return { code: 'VALIDATION', status, message: `Bitrix24 refused the request: ${said}` };
  return { code: 'UNKNOWN', status, message: `Bitrix24: ${said}` };
}
