/**
 * What went wrong on a CRM call, in the few words the workers act on. Each CRM translates its own
 * answers into these once, at the edge (`<crm>/errors.ts`); one place in the workers then decides:
 * back off and retry, refresh the token, ask for a re-install, stop calling, or fail the job.
 */
export type CrmFailureCode =
  /** Too many requests: wait and retry, without spending an attempt. */
  | 'RATE_LIMITED'
  /** The CRM blocked this integration or IP after repeated violations: stop calling until it is lifted. */
  | 'BLOCKED'
  /** The access token expired or was not accepted: refresh it and retry once. */
  | 'AUTH_EXPIRED'
  /** The grant is gone (refresh token spent or revoked, integration removed): the account must re-install. */
  | 'AUTH_REVOKED'
  /** The account's subscription lapsed: nothing works until it is paid. */
  | 'ACCOUNT_INACTIVE'
  /** The user or IP lacks the right to do this. */
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  /** The CRM refused the data: retrying the same request cannot help. */
  | 'VALIDATION'
  /** Network trouble, a timeout or a 5xx: retry with backoff. */
  | 'TEMPORARY'
  | 'UNKNOWN';

export interface CrmFailure {
  code: CrmFailureCode;
  /** HTTP status, or undefined when no answer came. */
  status: number | undefined;
  /** For logs and the admin: what the CRM said, without secrets. */
  message: string;
  /** Field-level problems of a VALIDATION failure, as the CRM named them. */
  fields?: Array<{ path: string; code: string; detail: string }>;
}

/** Whether repeating the same call later can succeed on its own. */
export function isRetryable(code: CrmFailureCode): boolean {
  return code === 'RATE_LIMITED' || code === 'TEMPORARY';
}
