/**
 * amoCRM's answers as CrmFailures (../shared/crm/amocrm.md, sections 1.5 and 3): problem+json
 * bodies with `title`/`detail`, OAuth problems with a `hint`, `validation-errors` on 400, and two
 * gateway answers that are not JSON at all: 429 (too many requests) and the 403 page of a block.
 */
import type { CrmFailure } from '../crmFailure.js';

interface ProblemBody {
  title?: unknown;
  detail?: unknown;
  hint?: unknown;
  'validation-errors'?: unknown;
}

const revokedHints = new Set([
  'Token has been revoked',
  'Token is not linked to client',
  'Invalid refresh token',
  'Authorization code has expired',
  'Authorization code has been revoked',
  'Cannot decrypt the authorization code',
]);

function problemOf(body: unknown): ProblemBody | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body)) return body as ProblemBody;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ProblemBody) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function validationFields(problem: ProblemBody): CrmFailure['fields'] {
  const groups = problem['validation-errors'];
  if (!Array.isArray(groups)) return undefined;
  const fields: NonNullable<CrmFailure['fields']> = [];
  for (const group of groups) {
    const errors = (group as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors as Array<Record<string, unknown>>) {
      fields.push({ path: text(error.path) ?? '', code: text(error.code) ?? '', detail: text(error.detail) ?? '' });
    }
  }
  return fields;
}

/**
 * `status` undefined means no answer (network error, timeout). `body` is the parsed JSON or the
 * raw text of the answer.
 */
export function translateAmocrmError(status: number | undefined, body: unknown): CrmFailure {
  if (status === undefined) return { code: 'TEMPORARY', status, message: 'amoCRM did not answer (network error or timeout)' };
  const problem = problemOf(body);
  const hint = text(problem?.hint);
  const said = hint ?? text(problem?.detail) ?? text(problem?.title) ?? `HTTP ${status}`;

  if (status === 429) return { code: 'RATE_LIMITED', status, message: 'amoCRM: too many requests per second' };
  if (status >= 500) return { code: 'TEMPORARY', status, message: `amoCRM server error ${status}` };
  if (hint && revokedHints.has(hint)) return { code: 'AUTH_REVOKED', status, message: `amoCRM: ${hint}` };
  // League OAuth's invalid_client: our AMOCRM_CLIENT_ID/SECRET are wrong, not the account's grant.
  if (hint === 'Client authentication failed' || hint === 'Check the `client_id` parameter') {
    return { code: 'FORBIDDEN', status, message: `amoCRM: ${hint}: check AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET` };
  }
  switch (status) {
    case 401:
      return { code: 'AUTH_EXPIRED', status, message: `amoCRM: ${said}` };
    case 402:
      return { code: 'ACCOUNT_INACTIVE', status, message: `amoCRM: the account's subscription has expired (${said})` };
    case 403:
      // The block after repeated limit violations is the gateway's HTML page, not problem+json.
      return problem
        ? { code: 'FORBIDDEN', status, message: `amoCRM: ${said}` }
        : { code: 'BLOCKED', status, message: 'amoCRM blocked API access after repeated rate-limit violations' };
    case 404:
      return { code: 'NOT_FOUND', status, message: `amoCRM: ${said}` };
    case 400:
    case 422: {
      const fields = problem ? validationFields(problem) : undefined;
      return { code: 'VALIDATION', status, message: `amoCRM refused the data: ${said}`, ...(fields?.length ? { fields } : {}) };
    }
    default:
      return { code: 'UNKNOWN', status, message: `amoCRM: ${said}` };
  }
}
